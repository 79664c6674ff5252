"""The walk of every page: one page of every GET route in Flask's URL map, with real ids from
the demo area, so each page renders rather than answers 404. The tests that walk it ask it as a
visitor and as each role of the demo (``DEMO_PEOPLE``): that a page view writes nothing
(test_get_writes_nothing) and that every page is valid HTML (test_valid_html).

``demo_arguments`` prepares what the walk needs (a vote past its closing time and not yet
counted, the partner's own practice to cast for, a token from an email) and returns each
route's argument values; ``page_path`` fills a rule's arguments from them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from werkzeug.routing import AnyConverter, Rule

from portal.accounts.models import Invitation, PasswordReset, Role, User
from portal.accounts.tokens import new_token
from portal.agreements.models import Agreement
from portal.demo.loader import DEMO_AREA_SLUG
from portal.elections.models import Election, Nomination
from portal.email_kinds import Kind
from portal.extensions import db as database
from portal.mandates.models import Mandate
from portal.meetings import services as meeting_services
from portal.meetings.models import AgendaItem, Meeting, MeetingSeries
from portal.needs.models import Need
from portal.notifications.services import preferences_token
from portal.organisations.models import Area, Organisation, OrganisationKind
from portal.positions import amendments, workflow
from portal.positions import services as position_services
from portal.positions.models import (
    Amendment,
    AmendmentState,
    Comment,
    Position,
    PositionState,
    Proposal,
    ProposalDocument,
)
from portal.statements.models import Statement
from portal.trust.models import TrustRound
from portal.voting.models import BallotSecrecy, Vote, VoteState
from tests.app.test_no_server_errors import DEMO_PEOPLE, NOT_WALKED

PARTNER = DEMO_PEOPLE["gp_partner"]


def walked_rules(app: Flask) -> list[Rule]:
    """Every rule a GET can ask, but signing out (which would end the walk's own session) and
    the static files."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in NOT_WALKED and rule.methods and "GET" in rule.methods
    ]


def _first(query: sa.Select[Any]) -> Any:
    return database.session.execute(query.limit(1)).scalars().first()


def _id(row: Any) -> str:
    return "1" if row is None else str(row.id)


def demo_arguments(now: Any) -> dict[str, dict[str, str]]:
    """Real values for each route's arguments: by endpoint where a page needs a particular
    row, else by argument name."""
    area = _first(sa.select(Area).where(Area.slug == DEMO_AREA_SLUG))
    in_area = Vote.area_id == area.id
    open_vote = _first(sa.select(Vote).where(in_area, Vote.state == VoteState.OPEN))
    # A position put to the vote, whose closing time has passed: the worker has not counted it
    # yet (a page view used to count it, and bring the position up to date).
    officer = _first(sa.select(User).where(User.email == DEMO_PEOPLE["lmc_officer"]))
    position = _first(sa.select(Position).where(Position.state == PositionState.CONSULTATION))
    position.consultation_ends_at = now - timedelta(minutes=5)
    for undecided in position_services.position_amendments(position):
        if undecided.state is AmendmentState.PROPOSED:
            amendments.reject_amendment(officer, position, undecided, "Not this round", now)
    settings = workflow.VoteSettings(
        secrecy=BallotSecrecy.OPEN,
        voting_kinds=["practice"],
        closes_at=now + timedelta(days=1),
        rules=dict(position_services.DEFAULT_RULES),
    )
    counting = workflow.open_position_vote(officer, position, settings, now)
    counting.opens_at = now - timedelta(days=2)
    counting.closes_at = now - timedelta(minutes=1)
    closed = _first(
        sa.select(Vote).where(
            in_area, Vote.state == VoteState.CLOSED, Vote.secrecy == BallotSecrecy.OPEN
        )
    )
    draft = _first(sa.select(Vote).where(in_area, Vote.state == VoteState.DRAFT))
    partner = _first(sa.select(User).where(User.email == PARTNER))
    practice = next(m.organisation for m in partner.memberships if m.role is Role.GP_PARTNER)
    pcn = _first(
        sa.select(Organisation).where(
            Organisation.area_id == area.id, Organisation.kind == OrganisationKind.PCN
        )
    )
    amendment = _first(sa.select(Amendment))
    document = _first(sa.select(ProposalDocument))
    nomination = _first(sa.select(Nomination))
    on_agenda = _first(sa.select(AgendaItem).where(AgendaItem.reference.like("vote %")))
    statement = _first(sa.select(Statement))
    invitation_token, invitation_hash = new_token()
    reset_token, reset_hash = new_token()
    database.session.add_all(
        [
            Invitation(
                email="new.partner@example.org",
                name="New Partner",
                organisation_id=practice.id,
                role=Role.GP_PARTNER,
                token_hash=invitation_hash,
                expires_at=now + timedelta(days=7),
            ),
            PasswordReset(
                user=partner,
                token_hash=reset_hash,
                created_at=now,
                expires_at=now + timedelta(hours=1),
            ),
        ]
    )
    feed_token = meeting_services.new_feed_token(partner)
    database.session.commit()
    cast = {"vote_id": _id(open_vote), "ods_code": practice.ods_code}
    counted = {"vote_id": _id(closed)}
    return {
        "by name": {
            "area_slug": DEMO_AREA_SLUG,
            "vote_id": _id(counting),
            "position_id": _id(position),
            "proposal_id": _id(_first(sa.select(Proposal))),
            "election_id": _id(_first(sa.select(Election))),
            "meeting_id": _id(_first(sa.select(Meeting))),
            "series_id": _id(_first(sa.select(MeetingSeries))),
            "need_id": _id(_first(sa.select(Need))),
            "round_id": _id(_first(sa.select(TrustRound))),
            "user_id": _id(partner),
            "ods_code": practice.ods_code,
            "reference": statement.reference if statement else "GPV-2026-001",
            "comment_id": _id(_first(sa.select(Comment))),
            "mandate_id": _id(_first(sa.select(Mandate))),
            "agreement_id": _id(_first(sa.select(Agreement))),
            "slug": "secrecy",
        },
        "voting.cast": cast,
        "voting.check": cast,
        "voting.receipt": cast,
        "voting.results": counted,
        "voting.record_json": counted,
        "voting.ballots_csv": counted,
        "voting.edit": {"vote_id": _id(draft)},
        "voting.open_check": {"vote_id": _id(draft)},
        "needs.authorisations": {"ods_code": pcn.ods_code},
        "positions.amendment_vote": {
            "position_id": str(amendment.position_id) if amendment else "1",
            "amendment_id": _id(amendment),
        },
        "amendment_checks.accept_check": {
            "position_id": str(amendment.position_id) if amendment else "1",
            "amendment_id": _id(amendment),
        },
        "positions.document": {
            "proposal_id": str(document.proposal_id) if document else "1",
            "document_id": _id(document),
        },
        "elections.accept": _nomination(nomination),
        "elections.withdraw": _nomination(nomination),
        "meetings.room_vote": {
            "meeting_id": str(on_agenda.meeting_id) if on_agenda else "1",
            "vote_id": on_agenda.reference.removeprefix("vote ") if on_agenda else "1",
        },
        "accounts.accept_invitation": {"token": invitation_token},
        "accounts.reset_password": {"token": reset_token},
        "calendar.feed": {"token": feed_token},
        # The link at the foot of every email: it shows the choices, only a POST changes them.
        "notifications.from_email": {"token": preferences_token(partner.id, Kind.DIGEST)},
    }


def _nomination(nomination: Nomination | None) -> dict[str, str]:
    if nomination is None:
        return {"election_id": "1", "nomination_id": "1"}
    return {"election_id": str(nomination.election_id), "nomination_id": str(nomination.id)}


def page_path(rule: Rule, arguments: dict[str, dict[str, str]]) -> str:
    values = {**arguments["by name"], **arguments.get(rule.endpoint, {})}
    path = ""
    # werkzeug keeps a rule's parsed parts in _trace and its converters in _converters.
    for is_argument, text in rule._trace:
        if not is_argument:
            path += text
        elif isinstance(rule._converters[text], AnyConverter):
            path += next(iter(rule._converters[text].items))
        elif text in values:
            path += values[text]
        else:
            raise LookupError(
                f"give the walk a real {text} for {rule.endpoint} (see demo_arguments)"
            )
    return path.split("|", 1)[-1]
