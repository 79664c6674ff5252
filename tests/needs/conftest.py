"""An area with two PCNs, three practices, the federation, the LMC and the ICS, one person in
every role (and one who is both a GP partner and a PCN clinical director), and three needs:
an open practice need, an "LMC only" practice need, and a PCN need."""

from __future__ import annotations

from dataclasses import dataclass
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
from portal.organisations.models import Area, Organisation, OrganisationKind
from tests.factories import add_membership, make_area, make_organisation, make_user


@dataclass
class World:
    area: Area
    pcn_a: Organisation
    pcn_b: Organisation
    practice_1: Organisation
    practice_2: Organisation
    practice_3: Organisation
    lmc: Organisation
    people: dict[str, User]
    open_need: Need
    lmc_only_need: Need
    pcn_need: Need

    def url(self, rest: str = "") -> str:
        return f"/areas/{self.area.slug}/needs/{rest}"


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


@pytest.fixture
def world(db) -> World:
    area = make_area(slug="staffs", name="Staffordshire Test ICB")
    pcn_a = make_organisation(area, OrganisationKind.PCN, ods_code="U90001", name="Alpha PCN")
    pcn_b = make_organisation(area, OrganisationKind.PCN, ods_code="U90002", name="Bravo PCN")
    practice_1 = make_organisation(
        area, ods_code="M80001", name="Riverside Surgery", list_size=10000, pcn=pcn_a
    )
    practice_2 = make_organisation(
        area, ods_code="M80002", name="Hillside Practice", list_size=6000, pcn=pcn_a
    )
    practice_3 = make_organisation(
        area, ods_code="M80003", name="Meadow Surgery", list_size=4000, pcn=pcn_b
    )
    federation = make_organisation(area, OrganisationKind.FEDERATION, name="The Federation")
    lmc = make_organisation(area, OrganisationKind.LMC, name="The LMC")
    ics = make_organisation(area, OrganisationKind.ICS, name="The ICB")
    elsewhere = make_area(slug="elsewhere", name="Elsewhere ICB")
    elsewhere_lmc = make_organisation(elsewhere, OrganisationKind.LMC)

    people = {
        "practice_member": make_user(practice_1, Role.GP_PARTNER, name="Pat Partner"),
        "other_practice_member": make_user(practice_2, Role.PRACTICE_MANAGER, name="Mo Manager"),
        "pcn_clinical_director": make_user(pcn_b, Role.PCN_CLINICAL_DIRECTOR, name="Cleo CD"),
        "federation_director": make_user(federation, Role.FEDERATION_DIRECTOR, name="Fred Fed"),
        "lmc_officer": make_user(lmc, Role.LMC_OFFICER, name="Lou Officer"),
        "ics_reader": make_user(ics, Role.ICS_READER, name="Ivy Reader"),
        "area_admin": make_user(lmc, Role.AREA_ADMIN, name="Ada Admin"),
        "outsider": make_user(elsewhere_lmc, Role.LMC_OFFICER, name="Otto Outsider"),
        "dual": make_user(practice_2, Role.GP_PARTNER, name="Dana Dual"),
    }
    add_membership(people["dual"], pcn_a, Role.PCN_CLINICAL_DIRECTOR)
    # The outsider also holds every channel role, but in another area.
    other_practice = make_organisation(elsewhere, ods_code="M99999")
    add_membership(people["outsider"], other_practice, Role.GP_PARTNER)

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
    return World(
        area=area,
        pcn_a=pcn_a,
        pcn_b=pcn_b,
        practice_1=practice_1,
        practice_2=practice_2,
        practice_3=practice_3,
        lmc=lmc,
        people=people,
        open_need=open_need,
        lmc_only_need=lmc_only_need,
        pcn_need=pcn_need,
    )
