"""An area with two PCNs, three practices, the federation, the LMC and the ICS: an LMC
officer, six partners at practice 1 (PCN A), two at practice 3 (PCN B), a federation
director and an ICS reader."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal import mail
from portal.accounts.models import Role, User
from portal.extensions import db
from portal.trust import services
from portal.trust.models import TrustRound, TrustScoreCount, TrustTarget
from tests.factories import Org, Person, World, federation, ics, lmc, make_world, pcn

TRUST_WORLD = {
    "organisations": [
        pcn("pcn_a", name="Alpha PCN"),
        pcn("pcn_b", name="Beta PCN"),
        Org("practice_1", pcn="pcn_a"),
        Org("practice_2", pcn="pcn_a"),
        Org("practice_3", pcn="pcn_b"),
        lmc(name="The LMC"),
        federation(name="The federation"),
        ics(name="The ICB"),
    ],
    "people": [
        Person("officer", "lmc", Role.LMC_OFFICER, name="Olive Officer"),
        *(
            Person(f"partner_1_{n}", "practice_1", Role.GP_PARTNER, group="partners_1")
            for n in range(6)
        ),
        *(
            Person(f"partner_3_{n}", "practice_3", Role.GP_PARTNER, group="partners_3")
            for n in range(2)
        ),
        Person("federation_director", "federation", Role.FEDERATION_DIRECTOR),
        Person("ics_reader", "ics", Role.ICS_READER),
    ],
    "section": "trust/",
}


@pytest.fixture
def world(db) -> World:
    return make_world(**TRUST_WORLD)


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
