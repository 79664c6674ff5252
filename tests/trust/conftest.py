"""An area with two PCNs, three practices, the federation, the LMC and the ICS: an LMC
officer, six partners at practice 1 (PCN A), two at practice 3 (PCN B), a federation
director and an ICS reader."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from portal import mail
from portal.accounts.models import Role, User
from portal.extensions import db
from portal.organisations.models import Area, Organisation, OrganisationKind
from portal.trust import services
from portal.trust.models import TrustRound, TrustScoreCount, TrustTarget
from tests.factories import make_area, make_organisation, make_user


@dataclass
class World:
    area: Area
    pcn_a: Organisation
    pcn_b: Organisation
    officer: User
    partners_1: list[User]
    partners_3: list[User]
    federation_director: User
    ics_reader: User

    def url(self, rest: str = "") -> str:
        return f"/areas/{self.area.slug}/trust/{rest}"


@pytest.fixture
def world(db) -> World:
    area = make_area()
    pcn_a = make_organisation(area, OrganisationKind.PCN, name="Alpha PCN")
    pcn_b = make_organisation(area, OrganisationKind.PCN, name="Beta PCN")
    practice_1 = make_organisation(area, pcn=pcn_a)
    make_organisation(area, pcn=pcn_a)
    practice_3 = make_organisation(area, pcn=pcn_b)
    lmc = make_organisation(area, OrganisationKind.LMC, name="The LMC")
    federation = make_organisation(area, OrganisationKind.FEDERATION, name="The federation")
    ics = make_organisation(area, OrganisationKind.ICS, name="The ICB")
    return World(
        area=area,
        pcn_a=pcn_a,
        pcn_b=pcn_b,
        officer=make_user(lmc, Role.LMC_OFFICER, name="Olive Officer"),
        partners_1=[make_user(practice_1, Role.GP_PARTNER) for _ in range(6)],
        partners_3=[make_user(practice_3, Role.GP_PARTNER) for _ in range(2)],
        federation_director=make_user(federation, Role.FEDERATION_DIRECTOR),
        ics_reader=make_user(ics, Role.ICS_READER),
    )


def open_round(world: World, title: str = "December 2026") -> TrustRound:
    trust_round = services.open_round(world.officer, world.area, title)
    db.session.commit()
    mail.deliver_queued()
    return trust_round


def answer(
    world: World, user: User, trust_round: TrustRound, score: int, comment: str = ""
) -> None:
    services.answer(user, trust_round, dict.fromkeys(TrustTarget, score), comment)
    db.session.commit()


def counter_total() -> int:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(TrustScoreCount.n), 0)))
