"""The elections pages' world: two practices (Riverside in a PCN, Hillside not), the LMC and
the ICS; an officer, a partner and a salaried GP at each practice, a practice manager, an ICS
reader, and a partner of another area."""

from __future__ import annotations

from typing import Any

import pytest

from portal.accounts.models import Role
from tests.factories import Org, Person, World, ics, lmc, make_world, pcn

ELECTIONS_WORLD: dict[str, Any] = {
    "slug": "staffs",
    "name": "Staffordshire Test ICB",
    "organisations": [
        pcn("pcn", ods_code="U90001"),
        Org("riverside", ods_code="M80001", name="Riverside Surgery", pcn="pcn"),
        Org("hillside", ods_code="M80002", name="Hillside Practice"),
        lmc(name="Test LMC"),
        ics(name="Test ICS readers"),
        Org("elsewhere_practice", area="elsewhere"),
    ],
    "people": [
        Person("officer", "lmc", Role.LMC_OFFICER, name="Olive Officer"),
        Person("ann", "riverside", Role.GP_PARTNER, name="Ann Adams"),
        Person("bob", "riverside", Role.SALARIED_GP, name="Bob Brown"),
        Person("cat", "hillside", Role.GP_PARTNER, name="Cat Clark"),
        Person("dan", "hillside", Role.SALARIED_GP, name="Dan Dale"),
        Person("manager", "hillside", Role.PRACTICE_MANAGER, name="Pat Manager"),
        Person("reader", "ics", Role.ICS_READER, name="Ian Reader"),
        Person("stranger", "elsewhere_practice", Role.GP_PARTNER, name="Sam Stranger"),
    ],
    "other_areas": [("elsewhere", "elsewhere", "Elsewhere ICB")],
}


@pytest.fixture
def world(db: Any) -> World:
    return make_world(**ELECTIONS_WORLD)
