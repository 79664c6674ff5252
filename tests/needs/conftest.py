"""An area with two PCNs, three practices, the federation, the LMC and the ICS, one person in
every role (and one who is both a GP partner and a PCN clinical director), and three needs:
an open practice need, an "LMC only" practice need, and a PCN need."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role, User
from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.needs import services
from portal.needs.models import (
    Need,
    NeedCategory,
    NeedChannel,
    NeedComment,
    NeedStatusChange,
    NeedSupport,
    NeedUrgency,
    PcnNeedAuthorisation,
)
from portal.organisations.models import Organisation
from tests.factories import (
    Org,
    Person,
    World,
    add_membership,
    federation,
    ics,
    lmc,
    make_world,
    pcn,
)


def raise_practice_need(user: User, practice: Organisation, **overrides: Any) -> Need:
    fields: dict[str, Any] = {
        "title": "A practice need",
        "description_markdown": "Something the practice needs.",
        "category": NeedCategory.WORKFORCE,
        "urgency": NeedUrgency.ROUTINE,
        "lmc_only": False,
    }
    fields.update(overrides)
    need = services.raise_need(user, practice, NeedChannel.PRACTICE, **fields)
    db.session.commit()
    return need


def raise_pcn_need(user: User, pcn: Organisation, **overrides: Any) -> Need:
    fields: dict[str, Any] = {
        "title": "A PCN need",
        "description_markdown": "Something the PCN needs.",
        "category": NeedCategory.ARRS_WORKFORCE,
        "urgency": NeedUrgency.SOON,
    }
    fields.update(overrides)
    need = services.raise_need(user, pcn, NeedChannel.PCN, **fields)
    db.session.commit()
    return need


def row_counts() -> dict[str, int]:
    """How many rows each needs table holds, and how many needs entries the audit log holds,
    to prove that nothing was written (signing in and out write their own audit entries)."""
    counts = {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Need, NeedSupport, NeedComment, NeedStatusChange, PcnNeedAuthorisation)
    }
    counts["audit"] = db.session.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action.startswith("need."))
    )
    return counts


NEEDS_WORLD = {
    "slug": "staffs",
    "name": "Staffordshire Test ICB",
    "organisations": [
        pcn("pcn_a", ods_code="U90001", name="Alpha PCN"),
        pcn("pcn_b", ods_code="U90002", name="Bravo PCN"),
        Org(
            "practice_1", ods_code="M80001", name="Riverside Surgery", list_size=10000, pcn="pcn_a"
        ),
        Org("practice_2", ods_code="M80002", name="Hillside Practice", list_size=6000, pcn="pcn_a"),
        Org("practice_3", ods_code="M80003", name="Meadow Surgery", list_size=4000, pcn="pcn_b"),
        federation(name="The Federation"),
        lmc(name="The LMC"),
        ics(name="The ICB"),
        lmc("elsewhere_lmc", area="elsewhere"),
    ],
    "people": [
        Person("practice_member", "practice_1", Role.GP_PARTNER, name="Pat Partner"),
        Person("other_practice_member", "practice_2", Role.PRACTICE_MANAGER, name="Mo Manager"),
        Person("pcn_clinical_director", "pcn_b", Role.PCN_CLINICAL_DIRECTOR, name="Cleo CD"),
        Person("federation_director", "federation", Role.FEDERATION_DIRECTOR, name="Fred Fed"),
        Person("lmc_officer", "lmc", Role.LMC_OFFICER, name="Lou Officer"),
        Person("ics_reader", "ics", Role.ICS_READER, name="Ivy Reader"),
        Person("area_admin", "lmc", Role.AREA_ADMIN, name="Ada Admin"),
        Person("outsider", "elsewhere_lmc", Role.LMC_OFFICER, name="Otto Outsider"),
        Person(
            "dual",
            "practice_2",
            Role.GP_PARTNER,
            name="Dana Dual",
            also=(("pcn_a", Role.PCN_CLINICAL_DIRECTOR),),
        ),
    ],
    "other_areas": [("elsewhere", "elsewhere", "Elsewhere ICB")],
    "section": "needs/",
}


@pytest.fixture
def world(db) -> World:
    world = make_world(**NEEDS_WORLD)
    # The outsider also holds every channel role, but in another area.
    world.add([Org("other_practice", area="elsewhere", ods_code="M99999")])
    add_membership(world.outsider, world.other_practice, Role.GP_PARTNER)
    people, practice_1, pcn_b = world.people, world.practice_1, world.pcn_b
    open_need = raise_practice_need(
        people["practice_member"],
        practice_1,
        title="Alpha open practice need",
        description_markdown="Car parking for the practice nurses has gone.",
    )
    lmc_only_need = raise_practice_need(
        people["practice_member"],
        practice_1,
        title="Bravo confidential practice need",
        description_markdown="Our PCN takes too much of our parking and ARRS time.",
        category=NeedCategory.RELATIONSHIP_WITH_PCN,
        lmc_only=True,
    )
    pcn_need = raise_pcn_need(
        people["pcn_clinical_director"],
        pcn_b,
        title="Charlie PCN need",
        description_markdown="Parking at the hub site for ARRS staff.",
    )
    world.rows.update(open_need=open_need, lmc_only_need=lmc_only_need, pcn_need=pcn_need)
    return world
