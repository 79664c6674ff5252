"""The header's links, contributed by each blueprint, for each kind of person in an area."""

from __future__ import annotations

import re

import pytest

from portal.accounts.models import Role
from tests.factories import Org, Person, federation, ics, lmc, make_world, pcn

LINK = re.compile(r'class="nhsuk-header__navigation-link" href="([^"]*)"[^>]*>([^<]*)</a>')

EVERYONE = ["Overview", "Practices", "PCNs"]
GROUP = [*EVERYONE, "Proposals", "Positions", "Votes", "Elections"]
GROUP_AFTER_NEEDS = ["Statements", "Mandates", "Meetings", "Agreements", "Trust", "Search"]
# Needs are raised for a practice or a PCN: a salaried GP and an administrator raise none.
NEEDS = [*GROUP, "Needs", *GROUP_AFTER_NEEDS]
NO_NEEDS = [*GROUP, *GROUP_AFTER_NEEDS]


@pytest.fixture
def people(db):
    homes = {
        Role.GP_PARTNER: "practice",
        Role.SALARIED_GP: "practice",
        Role.PRACTICE_MANAGER: "practice",
        Role.PCN_CLINICAL_DIRECTOR: "pcn",
        Role.FEDERATION_DIRECTOR: "federation",
        Role.LMC_OFFICER: "lmc",
        Role.AREA_ADMIN: "lmc",
        Role.ICS_READER: "ics",
    }
    return make_world(
        [pcn("pcn"), Org("practice", pcn="pcn"), lmc(), federation(), ics()],
        [Person(role, home, role) for role, home in homes.items()],
        slug="north-staffs",
    )


def header_links(client) -> list[tuple[str, str]]:
    page = client.get("/areas/north-staffs/")
    assert page.status_code == 200
    return [(text, href) for href, text in LINK.findall(page.get_data(as_text=True))]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.GP_PARTNER, NEEDS),
        (Role.SALARIED_GP, NO_NEEDS),
        (Role.PRACTICE_MANAGER, NEEDS),
        (Role.PCN_CLINICAL_DIRECTOR, NEEDS),
        (Role.FEDERATION_DIRECTOR, NEEDS),
        (Role.LMC_OFFICER, NEEDS),
        (Role.AREA_ADMIN, [*NO_NEEDS, "Members", "Audit log", "Outbox"]),
        (Role.ICS_READER, [*EVERYONE, "Statements", "Mandates", "Agreements", "Search"]),
    ],
)
def test_each_role_sees_the_links_it_may_follow_in_order(client, login, people, role, expected):
    login(people[role])
    assert [text for text, _ in header_links(client)] == expected


def test_the_links_go_to_the_area_pages_and_the_statements(client, login, people):
    login(people[Role.AREA_ADMIN])
    links = dict(header_links(client))
    assert links["Overview"] == "/areas/north-staffs/"
    assert links["Votes"] == "/areas/north-staffs/votes/"
    assert links["Statements"] == "/statements"
    assert links["Audit log"] == "/areas/north-staffs/audit/"


def test_a_page_outside_an_area_has_no_menu(client, login, people):
    login(people[Role.GP_PARTNER])
    assert not LINK.findall(client.get("/statements").get_data(as_text=True))
