"""The area overview, practice and PCN tables and organisation pages, for members only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from portal.accounts.models import Role
from portal.extensions import db as database
from portal.organisations.models import (
    ListSizeMeasure,
    ListSizeRecord,
    OrganisationKind,
    PcnMembership,
)
from tests.factories import (
    Org,
    World,
    federation,
    ics,
    lmc,
    make_organisation,
    make_user,
    make_world,
    pcn,
)

NORTH = "/areas/north"
PAGES = [
    f"{NORTH}/",
    f"{NORTH}/practices",
    f"{NORTH}/pcns",
    f"{NORTH}/organisations/M00001",
]


class _PageParser(HTMLParser):
    """Collects table rows (cell text without the mobile heading spans) and text by element id."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.ids: dict[str, str] = {}
        self._open_ids: list[tuple[str, str, int]] = []
        self._depth = 0
        self._table: str | None = None
        self._table_count = 0
        self._in_body = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._skip_depth: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag not in {"input", "meta", "link", "br", "img"}:
            self._depth += 1
            if attributes.get("id"):
                self._open_ids.append((attributes["id"] or "", tag, self._depth))
                self.ids[attributes["id"] or ""] = ""
        if tag == "table":
            self._table_count += 1
            self._table = attributes.get("id") or f"table-{self._table_count}"
            self.tables[self._table] = []
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row = []
        elif tag in {"td", "th"} and self._row is not None:
            self._cell = []
        elif tag == "span" and "nhsuk-table__heading" in (attributes.get("class") or ""):
            self._skip_depth = self._depth

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self._skip_depth == self._depth:
            self._skip_depth = None
        elif tag in {"td", "th"} and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_body = False
        while self._open_ids and self._open_ids[-1][2] >= self._depth:
            self._open_ids.pop()
        self._depth -= 1

    def handle_data(self, data: str) -> None:
        for element_id, _tag, _depth in self._open_ids:
            self.ids[element_id] += data
        if self._cell is not None and self._skip_depth is None:
            self._cell.append(data)


@dataclass
class Page:
    html: str
    tables: dict[str, list[list[str]]]
    ids: dict[str, str]

    def text(self, element_id: str) -> str:
        return " ".join(self.ids[element_id].split())

    def rows(self, table_id: str = "table-1") -> list[list[str]]:
        return self.tables[table_id]


def page(client: FlaskClient, url: str) -> Page:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    html = response.get_data(as_text=True)
    parser = _PageParser()
    parser.feed(html)
    return Page(html, parser.tables, parser.ids)


@pytest.fixture
def areas(db: Any) -> World:
    """North: two PCNs, four open practices (28,000 patients), one closed; South: one practice."""
    areas = make_world(
        [
            pcn("alpha", ods_code="U00001", name="Alpha PCN"),
            pcn("beta", ods_code="U00002", name="Beta PCN"),
            Org(
                "hill",
                ods_code="M00001",
                name="Hill Surgery",
                list_size=8000,
                weighted_list_size=Decimal("8500.50"),
                pcn="alpha",
            ),
            Org("vale", ods_code="M00002", name="Vale Practice", list_size=12000, pcn="alpha"),
            Org(
                "brook", ods_code="M00003", name="Brook Medical Centre", list_size=5000, pcn="beta"
            ),
            Org("closed", ods_code="M00004", name="Closed Surgery", list_size=4000, pcn="beta"),
            Org("lone", ods_code="M00005", name="Lone Practice", list_size=3000),
            lmc(ods_code="X00001", name="North LMC"),
            federation(ods_code="X00002", name="North GP Federation"),
            ics(ods_code="QXX", name="North ICS"),
        ],
        slug="north",
        name="North ICB",
        area_key="north",
    )
    hill, beta = areas.hill, areas.beta
    hill.weighted_list_size_date = date(2025, 1, 1)
    areas.closed.closed_on = date(2025, 3, 31)
    # Hill Surgery was in Beta PCN before it moved to Alpha PCN.
    database.session.add(
        PcnMembership(
            practice=hill, pcn=beta, valid_from=date(2019, 7, 1), valid_to=date(2025, 3, 31)
        )
    )
    for as_of, measure, value in [
        (date(2025, 1, 1), ListSizeMeasure.REGISTERED, Decimal(7900)),
        (date(2025, 4, 1), ListSizeMeasure.REGISTERED, Decimal(8000)),
        (date(2025, 1, 1), ListSizeMeasure.WEIGHTED, Decimal("8500.50")),
    ]:
        database.session.add(
            ListSizeRecord(
                organisation_id=hill.id,
                measure=measure,
                as_of=as_of,
                value=value,
                source=f"Patients registered at a GP practice, {as_of:%B %Y}",
            )
        )
    areas.add_area("south", "south", "South ICB")
    areas.add(
        [
            pcn("south_pcn", area="south", ods_code="U90001", name="South PCN"),
            Org(
                "southern",
                area="south",
                ods_code="M90001",
                name="Southern Surgery",
                list_size=9999,
                pcn="south_pcn",
            ),
        ]
    )
    database.session.commit()
    return areas


@pytest.fixture
def member(areas: World, login: Any) -> Any:
    user = make_user(areas.hill, Role.GP_PARTNER, name="Dr Hill")
    login(user)
    return user


# Overview


def test_area_home_shows_counts_totals_and_the_users_roles(
    client: FlaskClient, areas: World, member: Any
) -> None:
    overview = page(client, f"{NORTH}/")

    assert "North ICB" in overview.text("maincontent")
    assert overview.text("open-practices") == "4"
    assert overview.text("open-pcns") == "2"
    assert overview.text("registered-patients").startswith("28,000 At 1 April 2025.")
    assert overview.text("weighted-patients").startswith("8,500.50 At 1 January 2025.")
    assert "3 practices have no weighted list size" in overview.text("weighted-patients")
    assert overview.rows() == [["Hill Surgery", "GP partner"]]
    assert f'href="{NORTH}/practices"' in overview.html
    assert f'href="{NORTH}/pcns"' in overview.html
    assert f'href="{NORTH}/organisations/X00001"' in overview.html


def test_area_home_lists_every_role_the_user_holds_in_the_area_only(
    client: FlaskClient, areas: World, login: Any
) -> None:
    from tests.factories import add_membership

    user = make_user(areas.lmc, Role.LMC_OFFICER)
    add_membership(user, areas.lmc, Role.AREA_ADMIN)
    add_membership(user, areas.southern, Role.GP_PARTNER)
    login(user)

    overview = page(client, f"{NORTH}/")

    assert overview.rows() == [["North LMC", "LMC officer"], ["North LMC", "Area administrator"]]
    assert "Southern Surgery" not in overview.html
    assert "Your areas" in overview.html


# Practices


def test_practices_lists_open_practices_with_current_pcn_and_list_sizes(
    client: FlaskClient, areas: World, member: Any
) -> None:
    practices = page(client, f"{NORTH}/practices")

    assert practices.rows() == [
        ["M00003", "Brook Medical Centre", "Beta PCN", "5,000", "not known"],
        ["M00001", "Hill Surgery", "Alpha PCN", "8,000", "8,500.50"],
        ["M00005", "Lone Practice", "Not in a PCN", "3,000", "not known"],
        ["M00002", "Vale Practice", "Alpha PCN", "12,000", "not known"],
    ]
    assert practices.text("practice-count") == "4 open practices in North ICB."
    assert practices.text("snapshot-dates") == (
        "Registered list sizes at 1 April 2025. Weighted list sizes at 1 January 2025."
    )
    assert f'href="{NORTH}/organisations/U00001"' in practices.html
    assert f'href="{NORTH}/organisations/M00001"' in practices.html
    assert "nhsuk-table__cell--numeric" in practices.html
    assert "Closed Surgery" not in practices.html
    assert "Southern Surgery" not in practices.html


def test_practices_states_each_snapshot_date_with_its_number_of_practices(
    client: FlaskClient, areas: World, member: Any
) -> None:
    areas.lone.list_size_date = date(2025, 1, 1)
    database.session.commit()

    practices = page(client, f"{NORTH}/practices")

    assert practices.text("snapshot-dates").startswith(
        "Registered list sizes at 1 January 2025 (1 practice) and 1 April 2025 (3 practices)."
    )


@pytest.mark.parametrize(
    ("query", "expected_codes"),
    [
        ("q=hill", ["M00001"]),
        ("q=%20SURGERY%20", ["M00001"]),
        ("q=m00003", ["M00003"]),
        ("q=M0000", ["M00003", "M00001", "M00005", "M00002"]),
        ("q=%25", []),
        ("q=_", []),
        ("pcn=U00001", ["M00001", "M00002"]),
        ("pcn=u00002", ["M00003"]),
        ("pcn=U90001", []),
        ("q=vale&pcn=U00001", ["M00002"]),
        ("q=vale&pcn=U00002", []),
    ],
)
def test_practices_search_and_pcn_filter(
    client: FlaskClient, areas: World, member: Any, query: str, expected_codes: list[str]
) -> None:
    practices = page(client, f"{NORTH}/practices?{query}")

    codes = [row[0] for row in practices.tables.get("table-1", [])]
    assert codes == expected_codes
    assert "match" in practices.text("practice-count")


def test_practices_search_form_keeps_its_values_and_works_without_javascript(
    client: FlaskClient, areas: World, member: Any
) -> None:
    practices = page(client, f"{NORTH}/practices?q=vale&pcn=U00001&sort=list-size-desc")

    assert '<form class="portal-filter" method="get"' in practices.html
    assert 'value="vale"' in practices.html
    assert '<option value="U00001" selected>' in practices.html
    assert '<option value="list-size-desc" selected>' in practices.html
    assert "Clear search" in practices.html


@pytest.mark.parametrize(
    ("sort", "expected_codes", "aria_sort"),
    [
        ("name", ["M00003", "M00001", "M00005", "M00002"], 'aria-sort="ascending"'),
        ("name-desc", ["M00002", "M00005", "M00001", "M00003"], 'aria-sort="descending"'),
        ("list-size", ["M00005", "M00003", "M00001", "M00002"], 'aria-sort="ascending"'),
        ("list-size-desc", ["M00002", "M00001", "M00003", "M00005"], 'aria-sort="descending"'),
        ("nonsense", ["M00003", "M00001", "M00005", "M00002"], 'aria-sort="ascending"'),
    ],
)
def test_practices_sort_by_name_or_list_size(
    client: FlaskClient,
    areas: World,
    member: Any,
    sort: str,
    expected_codes: list[str],
    aria_sort: str,
) -> None:
    practices = page(client, f"{NORTH}/practices?sort={sort}")

    assert [row[0] for row in practices.rows()] == expected_codes
    assert practices.html.count("aria-sort=") == 1
    assert aria_sort in practices.html


def test_practices_sort_links_keep_the_search(
    client: FlaskClient, areas: World, member: Any
) -> None:
    practices = page(client, f"{NORTH}/practices?q=e&pcn=U00001")

    assert f'href="{NORTH}/practices?q=e&amp;pcn=U00001&amp;sort=name-desc"' in practices.html
    assert f'href="{NORTH}/practices?q=e&amp;pcn=U00001&amp;sort=list-size-desc"' in practices.html


def test_practice_without_list_size_sorts_last(
    client: FlaskClient, areas: World, member: Any
) -> None:
    areas.lone.list_size = None
    database.session.commit()

    for sort in ("list-size", "list-size-desc"):
        rows = page(client, f"{NORTH}/practices?sort={sort}").rows()
        assert rows[-1][:1] == ["M00005"]
        assert rows[-1][3] == "not known"


@contextmanager
def counting_queries() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = database.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def test_practices_page_queries_do_not_grow_with_the_number_of_practices(
    client: FlaskClient, areas: World, member: Any
) -> None:
    with counting_queries() as few:
        page(client, f"{NORTH}/practices")
    for number in range(40):
        make_organisation(areas.north, name=f"Extra {number}", pcn=areas.beta)
    with counting_queries() as many:
        rows = page(client, f"{NORTH}/practices").rows()

    assert len(rows) == 44
    assert len(many) == len(few)


# PCNs


def test_pcns_lists_open_pcns_with_current_open_practices_and_patients(
    client: FlaskClient, areas: World, member: Any
) -> None:
    empty = make_organisation(areas.north, OrganisationKind.PCN, ods_code="U00003", name="Cobalt")
    closed_pcn = make_organisation(areas.north, OrganisationKind.PCN, name="Gone PCN")
    closed_pcn.closed_on = date(2024, 3, 31)
    database.session.commit()

    pcns = page(client, f"{NORTH}/pcns")

    assert pcns.rows() == [
        ["U00001", "Alpha PCN", "2", "20,000"],
        # Closed Surgery is still a member of Beta PCN, but closed: it does not count.
        ["U00002", "Beta PCN", "1", "5,000"],
        [empty.ods_code, "Cobalt", "0", "not known"],
    ]
    assert pcns.text("pcn-count").startswith("3 open primary care networks in North ICB.")
    assert f'href="{NORTH}/organisations/U00001"' in pcns.html
    assert "Gone PCN" not in pcns.html
    assert "South PCN" not in pcns.html


# One organisation


def test_practice_page_shows_details_pcn_history_and_list_size_history(
    client: FlaskClient, areas: World, member: Any
) -> None:
    practice = page(client, f"{NORTH}/organisations/M00001")

    assert "<h1" in practice.html
    assert practice.html.count("<h1") == 1
    assert "Hill Surgery" in practice.text("maincontent")
    assert practice.text("status") == "Open"
    assert practice.text("current-pcn") == "Alpha PCN (U00001)"
    assert practice.text("list-size") == "8,000 at 1 April 2025"
    assert practice.text("weighted-list-size") == "8,500.50 at 1 January 2025"
    assert practice.rows("pcn-history") == [
        ["Alpha PCN (U00001)", "1 April 2025", "Now"],
        ["Beta PCN (U00002)", "1 July 2019", "31 March 2025"],
    ]
    assert practice.rows("list-size-history") == [
        ["1 April 2025", "Registered", "8,000", "Patients registered at a GP practice, April 2025"],
        [
            "1 January 2025",
            "Registered",
            "7,900",
            "Patients registered at a GP practice, January 2025",
        ],
        [
            "1 January 2025",
            "Weighted",
            "8,500.50",
            "Patients registered at a GP practice, January 2025",
        ],
    ]


def test_practice_page_accepts_a_lower_case_code(
    client: FlaskClient, areas: World, member: Any
) -> None:
    assert page(client, f"{NORTH}/organisations/m00001").text("current-pcn").startswith("Alpha")


def test_closed_practice_says_when_it_closed(
    client: FlaskClient, areas: World, member: Any
) -> None:
    practice = page(client, f"{NORTH}/organisations/M00004")

    assert practice.text("closed-notice").startswith("Information: Closed on 31 March 2025.")
    assert practice.text("status") == "Closed on 31 March 2025"


def test_practice_without_pcn_or_history(client: FlaskClient, areas: World, member: Any) -> None:
    practice = page(client, f"{NORTH}/organisations/M00005")

    assert practice.text("current-pcn") == "Not in a PCN"
    assert "No network membership is recorded for this practice." in practice.html
    assert "No list size history is recorded for this practice." in practice.html


def test_pcn_page_lists_member_practices_with_total(
    client: FlaskClient, areas: World, member: Any
) -> None:
    pcn = page(client, f"{NORTH}/organisations/U00001")

    assert "Primary care network" in pcn.text("maincontent")
    assert pcn.text("members-list-size") == "20,000"
    assert pcn.rows("members") == [
        ["M00001", "Hill Surgery", "8,000", "8,500.50"],
        ["M00002", "Vale Practice", "12,000", "not known"],
        ["", "Total of 2 practices", "20,000", "8,500.50"],
    ]
    assert "current-pcn" not in pcn.ids


def test_pcn_page_leaves_out_closed_and_former_members(
    client: FlaskClient, areas: World, member: Any
) -> None:
    pcn = page(client, f"{NORTH}/organisations/U00002")

    assert pcn.rows("members") == [
        ["M00003", "Brook Medical Centre", "5,000", "not known"],
        ["", "Total of 1 practice", "5,000", "not known"],
    ]


def test_other_kinds_of_organisation_have_a_page(
    client: FlaskClient, areas: World, member: Any
) -> None:
    lmc = page(client, f"{NORTH}/organisations/X00001")

    assert "Local medical committee" in lmc.text("maincontent")
    assert "List size history" not in lmc.html


@pytest.mark.parametrize(
    "url",
    [
        f"{NORTH}/organisations/M90001",  # South's practice
        f"{NORTH}/organisations/U90001",  # South's PCN
        f"{NORTH}/organisations/Z99999",
        "/areas/nowhere/",
        "/areas/nowhere/practices",
        "/areas/nowhere/organisations/M00001",
    ],
)
def test_unknown_area_or_organisation_is_not_found(
    client: FlaskClient, areas: World, member: Any, url: str
) -> None:
    assert client.get(url).status_code == 404


def test_member_of_another_area_gets_not_found_without_the_areas_name(
    client: FlaskClient, areas: World, login: Any
) -> None:
    login(make_user(areas.southern, Role.GP_PARTNER))

    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 404
        html = response.get_data(as_text=True)
        assert "North ICB" not in html
        assert "Hill Surgery" not in html


@pytest.mark.parametrize("url", [*PAGES, "/areas/nowhere/"])
def test_anonymous_user_is_sent_to_sign_in(client: FlaskClient, areas: World, url: str) -> None:
    response = client.get(url)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/accounts/login")


# Escaping


def test_practice_names_are_escaped(client: FlaskClient, areas: World, member: Any) -> None:
    areas.vale.name = '<script>alert("x")</script> & Sons'
    database.session.commit()

    for url in (
        f"{NORTH}/practices",
        f"{NORTH}/organisations/M00002",
        f"{NORTH}/organisations/U00001",
    ):
        html = client.get(url).get_data(as_text=True)
        assert '<script>alert("x")</script>' not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Sons" in html


def test_search_text_is_escaped(client: FlaskClient, areas: World, member: Any) -> None:
    html = client.get(f'{NORTH}/practices?q="><script>x</script>').get_data(as_text=True)

    assert "<script>x</script>" not in html
    assert 'value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"' in html


# Roles


ROLE_ORGANISATIONS = {
    Role.GP_PARTNER: "hill",
    Role.PRACTICE_MANAGER: "vale",
    Role.PCN_CLINICAL_DIRECTOR: "alpha",
    Role.FEDERATION_DIRECTOR: "federation",
    Role.LMC_OFFICER: "lmc",
    Role.ICS_READER: "ics",
    Role.AREA_ADMIN: "lmc",
}
WHO = [*(role.value for role in ROLE_ORGANISATIONS), "other_area_member", "anonymous"]
EXPECTED_STATUS = {
    **dict.fromkeys((role.value for role in ROLE_ORGANISATIONS), 200),
    "other_area_member": 404,
    "anonymous": 302,
}


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("url", PAGES)
def test_who_may_see_each_page(
    client: FlaskClient, areas: World, login: Any, who: str, url: str
) -> None:
    if who == "other_area_member":
        login(make_user(areas.southern, Role.PRACTICE_MANAGER))
    elif who != "anonymous":
        role = Role(who)
        login(make_user(getattr(areas, ROLE_ORGANISATIONS[role]), role))

    assert client.get(url).status_code == EXPECTED_STATUS[who]


def test_user_without_any_membership_sees_nothing(
    client: FlaskClient, areas: World, login: Any
) -> None:
    login(make_user())

    for url in PAGES:
        assert client.get(url).status_code == 404
