"""The separation of the two channels, as a table: every role against both channels and the
"LMC only" flag, for need pages, lists, search, CSV exports and dashboard counts.

Deny by default: a need or channel a person may not see answers 404 (it is not admitted to
exist), a signed-out visitor is sent to sign in, and nothing hidden leaks through a count.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from portal.needs import permissions
from portal.needs.models import NeedChannel

OPEN, LMC_ONLY, PCN = "open", "lmc_only", "pcn"
TITLES = {
    OPEN: "Alpha open practice need",
    LMC_ONLY: "Bravo confidential practice need",
    PCN: "Charlie PCN need",
}
CHANNEL_OF = {OPEN: "practice", LMC_ONLY: "practice", PCN: "pcn"}

# Who sees which need. Everyone else gets 404; signed-out visitors go to sign in.
SEES = {
    "practice_member": {OPEN, LMC_ONLY},  # a member of the practice that raised both
    "other_practice_member": {OPEN},  # another practice of the area: not the LMC only need
    "pcn_clinical_director": {PCN},  # acting for a PCN: never the practice channel
    "federation_director": {PCN},
    "lmc_officer": {OPEN, LMC_ONLY, PCN},
    "ics_reader": set(),
    "area_admin": set(),  # administrative only
    "outsider": set(),  # every role, but in another area
    "dual": {OPEN, PCN},  # partner of another practice and clinical director of a PCN
    "anonymous": set(),
}
VIEWERS = list(SEES)


def dashboard_cell(html: str, category: str, column: str) -> int:
    """The number in one cell of a dashboard table (``column`` is a status value or "all")."""
    row = html.split(f'data-category="{category}"')[1].split("</tr>")[0]
    match = re.search(rf'data-status="{column}">.*?</span>(\d+)<', row)
    assert match, f"no {column} cell for {category}"
    return int(match.group(1))


def _channels_seen(viewer: str) -> set[str]:
    return {CHANNEL_OF[need] for need in SEES[viewer]}


def _need(world, key):
    return {OPEN: world.open_need, LMC_ONLY: world.lmc_only_need, PCN: world.pcn_need}[key]


@pytest.fixture
def signed_in(client, login, world):
    def sign_in(viewer: str):
        if viewer != "anonymous":
            login(world.people[viewer])
        return client

    return sign_in


def _expected_status(viewer: str, visible: bool) -> int:
    if viewer == "anonymous":
        return 302
    return 200 if visible else 404


@pytest.mark.parametrize("viewer", VIEWERS)
def test_need_pages(signed_in, world, viewer):
    client = signed_in(viewer)
    for key in (OPEN, LMC_ONLY, PCN):
        need = _need(world, key)
        response = client.get(world.url(str(need.id)))
        assert response.status_code == _expected_status(viewer, key in SEES[viewer]), key
        if response.status_code == 200:
            assert TITLES[key] in response.get_data(as_text=True)
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/accounts/login")


@pytest.mark.parametrize("viewer", VIEWERS)
def test_channel_lists(signed_in, world, viewer):
    client = signed_in(viewer)
    for channel in ("practice", "pcn"):
        response = client.get(world.url(f"{channel}/"))
        assert response.status_code == _expected_status(viewer, channel in _channels_seen(viewer))
        if response.status_code != 200:
            continue
        html = response.get_data(as_text=True)
        for key, title in TITLES.items():
            visible = key in SEES[viewer] and CHANNEL_OF[key] == channel
            assert (title in html) == visible, (channel, key)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_search(signed_in, world, viewer):
    """Every need mentions parking; a search shows only the ones the viewer may see."""
    client = signed_in(viewer)
    for channel in ("practice", "pcn"):
        response = client.get(world.url(f"{channel}/?q=parking"))
        assert response.status_code == _expected_status(viewer, channel in _channels_seen(viewer))
        if response.status_code != 200:
            continue
        html = response.get_data(as_text=True)
        for key, title in TITLES.items():
            visible = key in SEES[viewer] and CHANNEL_OF[key] == channel
            assert (title in html) == visible, (channel, key)
        expected = sum(1 for key in SEES[viewer] if CHANNEL_OF[key] == channel)
        assert f"{expected} {'need' if expected == 1 else 'needs'} match" in html


@pytest.mark.parametrize("viewer", VIEWERS)
def test_csv_exports(signed_in, world, viewer):
    client = signed_in(viewer)
    for channel in ("practice", "pcn"):
        response = client.get(world.url(f"{channel}/export.csv"))
        assert response.status_code == _expected_status(viewer, channel in _channels_seen(viewer))
        if response.status_code != 200:
            continue
        assert response.mimetype == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
        titles = {row["Title"] for row in rows}
        assert titles == {TITLES[key] for key in SEES[viewer] if CHANNEL_OF[key] == channel}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_dashboard_counts(signed_in, world, viewer):
    client = signed_in(viewer)
    for channel in ("practice", "pcn"):
        response = client.get(world.url(f"{channel}/dashboard"))
        assert response.status_code == _expected_status(viewer, channel in _channels_seen(viewer))
        if response.status_code != 200:
            continue
        html = response.get_data(as_text=True)
        expected = sum(1 for key in SEES[viewer] if CHANNEL_OF[key] == channel)
        assert dashboard_cell(html, "All categories", "all") == expected
        assert dashboard_cell(html, "All categories", "new") == expected


@pytest.mark.parametrize("viewer", VIEWERS)
def test_needs_home_and_overview(signed_in, world, viewer):
    client = signed_in(viewer)
    response = client.get(world.url())
    assert response.status_code == _expected_status(viewer, bool(SEES[viewer]))
    if response.status_code == 200:
        html = response.get_data(as_text=True)
        assert ("Practice needs" in html) == ("practice" in _channels_seen(viewer))
        assert ("PCN needs</a>" in html) == ("pcn" in _channels_seen(viewer))
    overview = client.get(world.url("overview"))
    expected = 200 if viewer == "lmc_officer" else _expected_status(viewer, False)
    assert overview.status_code == expected


@pytest.mark.parametrize("viewer", VIEWERS)
def test_visible_needs_query_is_the_same_table(world, viewer, db):
    """The one query every page uses agrees with the table above, need by need."""
    user = None if viewer == "anonymous" else world.people[viewer]
    seen = set()
    for channel in NeedChannel:
        for need in db.session.scalars(permissions.visible_needs_query(user, world.area, channel)):
            seen.add(next(key for key in TITLES if TITLES[key] == need.title))
    assert seen == SEES[viewer]
    for key in (OPEN, LMC_ONLY, PCN):
        assert permissions.can_see_need(user, _need(world, key)) == (key in SEES[viewer])


def test_an_outsider_gets_no_area_name_on_the_404(signed_in, world):
    client = signed_in("outsider")
    html = client.get(world.url(f"{world.open_need.id}")).get_data(as_text=True)
    assert world.area.name not in html
