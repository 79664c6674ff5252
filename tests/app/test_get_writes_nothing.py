"""A page view never writes: one page of every GET route in Flask's URL map, asked by a visitor
and by each role of the demo area, runs no INSERT, UPDATE or DELETE and leaves every table as it
was. What a view used to record (a vote closed on the first view after its closing time, a
position brought up to date with its vote) is done by the worker, and one-click links from
email lead to a page with a POST button.

Each route is asked with real ids from the demo (a vote past its closing time and not yet
counted, the partner's own practice to cast for, a token from an email), so the pages render
rather than answer 404. Signing in writes (a session, an audit entry); it happens before the
walk is watched.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from werkzeug.routing import AnyConverter, Rule

from portal.accounts.models import Invitation, PasswordReset, Role, User
from portal.accounts.tokens import new_token
from portal.agreements.models import Agreement
from portal.database import utcnow
from portal.demo.loader import DEMO_AREA_SLUG, load_demo_area
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
from tests.app.test_no_server_errors import DEMO_PEOPLE, NOT_WALKED, _sign_in

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE|TRUNCATE)\b", re.IGNORECASE)
PARTNER = DEMO_PEOPLE["gp_partner"]


def _first(query: sa.Select[Any]) -> Any:
    return database.session.execute(query.limit(1)).scalars().first()


def _id(row: Any) -> str:
    return "1" if row is None else str(row.id)


def _arguments(now: Any) -> dict[str, dict[str, str]]:
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


def _path(rule: Rule, arguments: dict[str, dict[str, str]]) -> str:
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
            raise LookupError(f"give the walk a real {text} for {rule.endpoint} (see _arguments)")
    return path.split("|", 1)[-1]


@contextmanager
def _writes_watched(engine: sa.Engine) -> Iterator[list[str]]:
    """Every INSERT, UPDATE or DELETE sent to the database while the block runs."""
    writes: list[str] = []

    def watch(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if WRITE.match(statement):
            writes.append(" ".join(statement.split())[:160])

    sa.event.listen(engine, "before_cursor_execute", watch)
    try:
        yield writes
    finally:
        sa.event.remove(engine, "before_cursor_execute", watch)


def _fingerprint() -> dict[str, tuple[int, str]]:
    """Each table's row count and a digest of all its rows, in primary-key order."""
    tables = {}
    for table in database.metadata.sorted_tables:
        rows = database.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        digest = hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()
        tables[table.name] = (len(rows), digest)
    database.session.commit()
    return tables


@pytest.fixture
def demo(db) -> dict[str, dict[str, str]]:
    load_demo_area()
    db.session.commit()
    return _arguments(utcnow())


@pytest.mark.parametrize("person", list(DEMO_PEOPLE))
def test_no_page_view_writes(app, client, demo, person, monkeypatch):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    email = DEMO_PEOPLE[person]
    if email:
        _sign_in(client, email)
    before = _fingerprint()
    written: list[str] = []
    failed: list[str] = []
    walked = 0
    with _writes_watched(database.engine) as writes:
        for rule in app.url_map.iter_rules():
            if rule.endpoint in NOT_WALKED or "GET" not in rule.methods:
                continue
            path = _path(rule, demo)
            response = client.get(path)
            walked += 1
            if response.status_code >= 500:
                failed.append(f"GET {path} -> {response.status_code}")
            written.extend(f"GET {path} ({rule.endpoint}): {sql}" for sql in writes)
            writes.clear()
    assert walked > 90
    assert written == [], "\n".join(written)
    assert failed == []
    after = _fingerprint()
    assert {name: after[name] for name in after if after[name] != before[name]} == {}


def test_the_walk_sees_pages_not_refusals(app, client, demo):
    """The ids are real: a partner gets the vote being counted, its position and the cast page."""
    _sign_in(client, PARTNER)
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    vote_page = client.get(_path(rules["voting.vote"], demo))
    assert vote_page.status_code == 200
    assert "Closed, being counted" in vote_page.get_data(as_text=True)
    assert client.get(_path(rules["positions.position"], demo)).status_code == 200
    assert client.get(_path(rules["voting.cast"], demo)).status_code == 200
    assert client.get(_path(rules["voting.results"], demo)).status_code == 200
    assert client.get(_path(rules["accounts.reset_password"], demo)).status_code == 200
    assert client.get(_path(rules["notifications.from_email"], demo)).status_code == 200


def test_the_guard_sees_a_write(app, db):
    with _writes_watched(database.engine) as writes:
        db.session.execute(sa.update(Area).values(name=Area.name))
    db.session.rollback()
    assert len(writes) == 1
    assert writes[0].startswith("UPDATE areas")
