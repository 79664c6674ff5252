"""An area with two PCNs, four practices, the federation, the LMC and the ICS: an officer, the
federation director (the lead), two partners of one practice, a partner of another, a
salaried GP and a practice manager, an ICS reader, and a partner from another area."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role, User
from portal.agreements import setting_up, signing
from portal.agreements.models import (
    Agreement,
    CostSharing,
    ReportFrequency,
    VoteWeighting,
)
from portal.audit.models import AuditEntry
from portal.database import utcnow
from portal.extensions import db
from portal.organisations.models import Organisation
from portal.outbox import OutboxMessage
from portal.times import LONDON
from tests.factories import Org, Person, World, federation, ics, lmc, make_world, pcn

PROCEDURE = """Every incoming document is read by a hub workflow coder within one working day.

Abnormal results go to the practice's duty doctor the same day.

Codes are added by the hub's coding protocol, not the practice's own."""


AGREEMENTS_WORLD = {
    "organisations": [
        pcn("pcn_a", name="Alpha PCN", ods_code="U10001"),
        pcn("pcn_b", name="Beta PCN", ods_code="U10002"),
        Org("hill", pcn="pcn_a", name="Hill Surgery", list_size=6000),
        Org("vale", pcn="pcn_a", name="Vale Practice", list_size=3000),
        Org("brook", pcn="pcn_b", name="Brook Medical Centre", list_size=1000),
        Org("moor", pcn="pcn_b", name="Moor Lane Surgery", list_size=2000),
        federation(name="The Federation"),
        lmc(name="The LMC"),
        ics(name="The ICB"),
        Org("far", area="elsewhere", name="Far Away Surgery"),
    ],
    "people": [
        Person("officer", "lmc", Role.LMC_OFFICER, name="Olive Officer"),
        Person("director", "federation", Role.FEDERATION_DIRECTOR, name="Fran Director"),
        Person("hill_partner", "hill", Role.GP_PARTNER, name="Dr Hana Hill"),
        Person("hill_partner_2", "hill", Role.GP_PARTNER, name="Dr Hugo Hill"),
        Person("vale_partner", "vale", Role.GP_PARTNER, name="Dr Val Vale"),
        Person("brook_partner", "brook", Role.GP_PARTNER, name="Dr Bo Brook"),
        Person("salaried", "hill", Role.SALARIED_GP),
        Person("manager", "hill", Role.PRACTICE_MANAGER),
        Person("ics_reader", "ics", Role.ICS_READER),
        Person("outsider", "far", Role.GP_PARTNER),
    ],
    "other_areas": [("elsewhere", "elsewhere", "Elsewhere ICB")],
    "section": "agreements/",
}


@pytest.fixture
def world(db) -> World:
    return make_world(**AGREEMENTS_WORLD)


def sign_out(client: Any) -> None:
    from tests.conftest import fetch_csrf_token

    token = fetch_csrf_token(client, "/accounts/profile")
    assert client.post("/accounts/logout", data={"csrf_token": token}).status_code == 302


def today() -> date:
    return utcnow().astimezone(LONDON).date()


def terms(**overrides: Any) -> setting_up.Terms:
    fields: dict[str, Any] = {
        "title": "Document management hub",
        "gives_up": "Each practice actions and codes incoming documents by this protocol, "
        "not its own.",
        "gets": "Documents handled within a day by trained coders.",
        "who_does_what_markdown": "- The federation runs the hub.\n- Practices send documents.",
        "oversight": "The hub manager reports to the federation board and the practices.",
        "report_frequency": ReportFrequency.QUARTERLY,
        "review_on": None,
        "starts_on": today() - timedelta(days=30),
        "minimum_term_months": 12,
        "notice_period_months": 3,
        "cost_sharing": CostSharing.PER_PATIENT,
        "annual_cost": Decimal("12000.00"),
        "vote_weighting": VoteWeighting.EQUAL,
        "visible_to_ics": False,
    }
    fields.update(overrides)
    return setting_up.Terms(**fields)


def make_agreement(world: World, **overrides: Any) -> Agreement:
    agreement = setting_up.create_agreement(
        world.director, world.area, world.federation, terms(**overrides), PROCEDURE, utcnow()
    )
    db.session.commit()
    return agreement


def sign(world: World, agreement: Agreement, partner: User, practice: Organisation, day: date):
    signatory = signing.sign_up(
        partner,
        agreement,
        practice,
        checked_version=agreement.in_force.number,
        today=day,
        now=datetime.combine(day, datetime.min.time(), LONDON),
    )
    db.session.commit()
    return signatory


def count(model: Any) -> int:
    db.session.commit()
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def audit_actions() -> list[str]:
    db.session.commit()
    return list(db.session.execute(sa.select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


def outbox_to(email: str) -> list[OutboxMessage]:
    db.session.commit()
    return list(
        db.session.execute(
            sa.select(OutboxMessage).where(OutboxMessage.recipient == email)
        ).scalars()
    )
