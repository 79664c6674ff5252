"""No email names an organisation in NHS England's capitals: every subject and body that names
one uses its display name, while the stored name (what the next import matches on) stays as
published.

The demo area is the real NHS files' data, so its names really are in capitals. Loading it
sends the emails of votes opening and closing, drafts in consultation, a trust round, a
scrutineer's naming, agreements signed, mandates in force, needs triaged and a public
statement; the test then sends every other
kind the portal has: the reminder before a vote closes, an officer's "send a reminder to
these", a vote cancelled, an election's nomination and its close, an invitation, a grant of
who casts a ballot, a mandate suspended, a trust reminder, and the digests of a partner who
chose them for every kind.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from portal.accounts import services as accounts
from portal.accounts.models import Role, User
from portal.database import utcnow
from portal.demo.loader import DEMO_AREA_SLUG, DEMO_EMAIL_DOMAIN, load_demo_area
from portal.elections.closing import close_nominations
from portal.elections.electors import eligible_candidates
from portal.elections.models import Election, ElectorateKind
from portal.elections.nominations import nominate
from portal.elections.setup import create_election
from portal.email_kinds import CHOOSABLE_KINDS, Frequency, Kind
from portal.extensions import db as database
from portal.mandates import services as mandates
from portal.mandates.models import Mandate, MandateState
from portal.names import display_name
from portal.notifications import services as notifications
from portal.organisations.models import Area, Organisation, OrganisationKind
from portal.outbox import OutboxMessage
from portal.trust import services as trust
from portal.voting import chase, closing, notices
from portal.voting.models import Vote, VoteState
from tests.factories import election_details


def _one(query: Any) -> Any:
    return database.session.execute(query).scalar_one()


def _person(name: str) -> User:
    return _one(sa.select(User).where(User.email == f"{name}@{DEMO_EMAIL_DOMAIN}"))


def _an_election_of_practices(area: Area, officer: User, now: datetime) -> Election:
    """Practices elect: each elector is an organisation, named in the emails it causes."""
    return create_election(
        officer,
        area,
        election_details(
            now,
            title="Practice seat on the ICB board",
            electorate_kind=ElectorateKind.ORGANISATIONS,
            roles=[],
            kinds=[OrganisationKind.PRACTICE],
            secret=False,
            nominations_close_at=now + timedelta(days=2),
            voting_opens_at=now + timedelta(days=2),
            voting_closes_at=now + timedelta(days=9),
        ),
        now,
    )


def test_no_email_names_an_organisation_in_nhs_capitals(app: Any, db: Any) -> None:
    load_demo_area()
    db.session.commit()
    area = _one(sa.select(Area).where(Area.slug == DEMO_AREA_SLUG))
    organisations = list(
        db.session.execute(sa.select(Organisation).where(Organisation.area_id == area.id)).scalars()
    )
    raw_names = {o.name for o in organisations if o.name != display_name(o.name)}
    # Only worth testing if the source really is in capitals.
    assert len(raw_names) > 100
    now = utcnow()
    admin, officer = _person("admin"), _person("lmc.officer")
    horsefair_partner = _person("partner.horsefair")
    horsefair = _one(sa.select(Organisation).where(Organisation.ods_code == "M83001"))

    # A partner who chose a digest for every kind: their emails are held, then sent as one.
    digest_reader = _person("partner.mayfield")
    notifications.set_preferences(
        digest_reader, digest_reader, dict.fromkeys(CHOOSABLE_KINDS, Frequency.DAILY)
    )

    open_votes = list(
        db.session.execute(
            sa.select(Vote).where(Vote.area_id == area.id, Vote.state == VoteState.OPEN)
        ).scalars()
    )
    assert open_votes
    first = min(open_votes, key=lambda vote: vote.closes_at)
    # The reminder 24 hours before the close, then an officer's own reminder.
    assert notices.send_reminders(first.closes_at - timedelta(hours=2)) > 0
    chase.send_chase(officer, first, now)
    if len(open_votes) > 1:
        closing.cancel_vote(officer, open_votes[-1], "Called off for the test.", now)

    election = _an_election_of_practices(area, officer, now)
    horsefair_elector = next(e for e in election.electors if e.organisation_id == horsefair.id)
    candidate = next(
        user for user in eligible_candidates(election) if user.id != horsefair_partner.id
    )
    nominate(horsefair_partner, election, horsefair_elector, candidate, now)
    close_nominations(election, now + timedelta(days=2))

    accounts.invite(
        admin,
        horsefair,
        email=f"new.partner@{DEMO_EMAIL_DOMAIN}",
        name="Dr New Partner",
        role=Role.PRACTICE_MANAGER,
        now=now,
    )
    mayfield = _one(sa.select(Organisation).where(Organisation.ods_code == "M83004"))
    accounts.add_membership(admin, horsefair_partner, mayfield, Role.GP_PARTNER)

    in_force = db.session.execute(
        sa.select(Mandate).where(Mandate.area_id == area.id, Mandate.state == MandateState.IN_FORCE)
    ).scalars()
    for mandate in in_force:
        mandates.suspend(officer, mandate, "Suspended for the test.", now)
    trust.send_reminders(now)
    db.session.flush()
    assert notifications.send_due_digests(now + timedelta(days=2)) > 0
    db.session.commit()

    messages = list(db.session.execute(sa.select(OutboxMessage)).scalars())
    kinds = {message.kind for message in messages}
    expected = {kind.value for kind in (Kind.VOTES_OPENED, Kind.REMINDERS, Kind.RESULTS)}
    expected |= {kind.value for kind in (Kind.DRAFTS, Kind.TRUST, Kind.SECURITY, Kind.DIGEST)}
    expected |= {Kind.NEEDS.value, Kind.STATEMENTS.value, Kind.PERSONAL.value}
    assert expected <= kinds, expected - kinds
    subjects = [message.subject for message in messages]
    for wanted in (
        "Reminder:",
        "You have been nominated",
        "You are invited",
        "can now cast",
        "A mandate has been suspended",
        "Your GP Collective Voice digest",
    ):
        assert any(wanted in subject for subject in subjects), wanted
    # The emails that name an organisation name it as people write it.
    bodies = "\n".join(message.body for message in messages)
    assert "Horsefair Practice" in bodies

    raw_in_emails = sorted(
        {
            (message.subject, name)
            for message in messages
            for name in raw_names
            if name in message.subject or name in message.body
        }
    )
    assert raw_in_emails == []
