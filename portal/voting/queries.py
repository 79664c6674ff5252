"""Read-only questions other parts of the portal ask about votes (the home page's list of
what needs a person). Nothing here writes, so a page view may ask them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

import sqlalchemy as sa

from portal.accounts.models import User
from portal.extensions import db
from portal.organisations.models import Area, Organisation
from portal.voting import casting, guards, reports
from portal.voting.models import Proxy, Vote, VoteState
from portal.voting.permissions import CASTING_ROLE, can_see_vote, can_see_votes, casts_for


@dataclass(frozen=True)
class AwaitingBallot:
    """An open vote in which an organisation the person casts for has not voted yet."""

    vote: Vote
    organisation: Organisation
    ods_code: str
    share: Fraction | None
    as_proxy: bool


def open_votes(area: Area, now: datetime) -> list[Vote]:
    """Votes accepting ballots now, closing soonest first."""
    return list(
        db.session.execute(
            sa.select(Vote)
            .where(
                Vote.area_id == area.id,
                Vote.state == VoteState.OPEN,
                Vote.opens_at <= now,
                Vote.closes_at > now,
            )
            .order_by(Vote.closes_at, Vote.id)
        ).scalars()
    )


def votes_awaiting(user: User, area: Area, now: datetime) -> list[AwaitingBallot]:
    """Each ballot ``user`` could cast now that has not been cast: for an organisation whose
    own ballot they cast, or one whose proxy their organisation holds; closing soonest first."""
    if not can_see_votes(user, area):
        return []
    own = [
        membership.organisation
        for membership in user.memberships
        if membership.organisation.area_id == area.id
        and CASTING_ROLE.get(membership.organisation.kind) is membership.role
    ]
    awaiting = []
    for vote in open_votes(area, now):
        if not can_see_vote(user, vote):
            continue  # a vote on a draft of a tier the person may not read
        shares = {row.member.organisation_id: row.share for row in reports.weight_table(vote)}
        candidates = [(organisation, False) for organisation in own]
        held = db.session.execute(
            sa.select(Proxy).where(
                Proxy.vote_id == vote.id,
                Proxy.holder_id.in_([organisation.id for organisation in own]),
                Proxy.revoked_at.is_(None),
            )
        ).scalars()
        candidates += [
            (proxy.grantor, True) for proxy in held if not casts_for(user, proxy.grantor)
        ]
        seen: set[int] = set()
        for organisation, as_proxy in candidates:
            member = guards.member_for(vote, organisation)
            if member is None or member.recused or organisation.id in seen:
                continue
            seen.add(organisation.id)
            if casting.ballot_of(vote, organisation) is not None:
                continue
            awaiting.append(
                AwaitingBallot(
                    vote, organisation, member.ods_code, shares.get(organisation.id), as_proxy
                )
            )
    return awaiting


def search_votes(user: User, area: Area, text: str, limit: int) -> list[Vote]:
    """Votes the user may see with ``text`` in the title or question, latest closing first."""
    if not can_see_votes(user, area):
        return []
    votes = db.session.execute(
        sa.select(Vote)
        .where(
            Vote.area_id == area.id,
            sa.or_(
                Vote.title.icontains(text, autoescape=True),
                Vote.question.icontains(text, autoescape=True),
            ),
        )
        .order_by(Vote.closes_at.desc(), Vote.id.desc())
    ).scalars()
    return [vote for vote in votes if can_see_vote(user, vote)][:limit]
