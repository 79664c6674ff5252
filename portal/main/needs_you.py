"""What needs a person, area by area: the home page after sign-in.

Each domain answers for itself through its ``queries`` module; this only gathers the
answers: votes awaiting a ballot, drafts awaiting comments, ICS proposals awaiting the group's
answer, needs with news, mandates in force the person holds (theirs to report commitments
under), agreements in force that a practice they sign for is not in, an open trust round they
have not answered, and the area's next meeting. The next meeting is for the diary, not a task:
it alone does not stop the page saying that nothing needs the person.

Nothing here writes: the time of the person's last visit comes from the signed session, not
the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from portal.accounts.models import User
from portal.agreements.queries import AgreementToSign, agreements_to_sign
from portal.mandates.models import Mandate
from portal.mandates.queries import mandates_to_report_on
from portal.meetings.models import Meeting
from portal.meetings.queries import next_meeting
from portal.needs.queries import NeedNews, needs_with_news
from portal.organisations.models import Area
from portal.positions.models import Proposal
from portal.positions.queries import DraftAwaitingComments, drafts_awaiting_comments, proposals_due
from portal.timewords import LONDON
from portal.trust.models import TrustRound
from portal.trust.queries import round_awaiting_answer
from portal.voting.queries import AwaitingBallot, votes_awaiting

# A first visit shows the needs news of this many days.
FIRST_VISIT_NEWS = timedelta(days=7)
# Page views closer together than this are one visit, so news stays until the visit ends.
VISIT_GAP = timedelta(minutes=30)


@dataclass(frozen=True)
class AreaAgenda:
    area: Area
    ballots: list[AwaitingBallot] = field(default_factory=list)
    drafts: list[DraftAwaitingComments] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    needs: list[NeedNews] = field(default_factory=list)
    mandates: list[Mandate] = field(default_factory=list)
    agreements: list[AgreementToSign] = field(default_factory=list)
    trust_round: TrustRound | None = None
    # Not a task: shown for the person's diary, so it does not make the page "not empty".
    next_meeting: Meeting | None = None

    @property
    def is_empty(self) -> bool:
        return not (
            self.ballots
            or self.drafts
            or self.proposals
            or self.needs
            or self.mandates
            or self.agreements
            or self.trust_round
        )


@dataclass(frozen=True)
class Visit:
    """When the current visit's news starts (``since``), and what the session keeps next."""

    since: datetime
    first: bool
    stored: dict[str, str]


def visit_from(stored: dict[str, str] | None, now: datetime) -> Visit:
    """The visit, from what the session held: ``{"since": ..., "seen": ...}`` in ISO format,
    and ``"first"`` while the first visit lasts.

    A page view more than ``VISIT_GAP`` after the last one starts a new visit, whose news
    is everything since that last view."""
    try:
        since = datetime.fromisoformat(stored["since"]) if stored else None
        seen = datetime.fromisoformat(stored["seen"]) if stored else None
    except (KeyError, TypeError, ValueError):
        since = seen = None
    if since is None or seen is None or since.tzinfo is None or seen.tzinfo is None:
        start = now - FIRST_VISIT_NEWS
        return Visit(
            start, True, {"since": start.isoformat(), "seen": now.isoformat(), "first": "1"}
        )
    first = bool(stored and stored.get("first"))
    if now - seen > VISIT_GAP:
        since, first = seen, False
    kept = {"since": since.isoformat(), "seen": now.isoformat()}
    return Visit(since, first, {**kept, "first": "1"} if first else kept)


def agendas(user: User, areas: list[Area], now: datetime, since: datetime) -> list[AreaAgenda]:
    today = now.astimezone(LONDON).date()
    return [
        AreaAgenda(
            area,
            votes_awaiting(user, area, now),
            drafts_awaiting_comments(user, area),
            proposals_due(user, area, today),
            needs_with_news(user, area, since),
            mandates_to_report_on(user, area, today),
            agreements_to_sign(user, area, today),
            round_awaiting_answer(user, area),
            next_meeting(user, area, now),
        )
        for area in areas
    ]
