"""Who may see and do what: every page of agreements for every kind of person (404 for what
they may not see, 403 for what they may see but not do), and the same for the API."""

from __future__ import annotations

import pytest

from tests.agreements.conftest import make_agreement

PAGES = (
    "index",
    "agreement",
    "csv",
    "versions",
    "new",
    "sign_up",
    "notice",
    "new_version",
    "report",
)
# Expected status of each page (in PAGES order) for each kind of person.
TABLE = {
    "anonymous": (302, 302, 302, 302, 302, 302, 302, 302, 302),
    "outsider": (404, 404, 404, 404, 404, 404, 404, 404, 404),
    "ics_reader": (200, 404, 404, 404, 403, 404, 404, 404, 404),
    "salaried": (200, 200, 200, 200, 403, 403, 403, 403, 403),
    "manager": (200, 200, 200, 200, 403, 403, 403, 403, 403),
    "hill_partner": (200, 200, 200, 200, 200, 200, 200, 403, 403),
    "director": (200, 200, 200, 200, 200, 403, 403, 200, 200),
    "officer": (200, 200, 200, 200, 200, 403, 403, 200, 403),
}


def _urls(world, agreement_id: int) -> dict[str, str]:
    base = world.url()
    return {
        "index": base,
        "agreement": f"{base}{agreement_id}",
        "csv": f"{base}{agreement_id}/practices.csv",
        "versions": f"{base}{agreement_id}/versions",
        "new": f"{base}new",
        "sign_up": f"{base}{agreement_id}/sign-up",
        "notice": f"{base}{agreement_id}/notice",
        "new_version": f"{base}{agreement_id}/versions/new",
        "report": f"{base}{agreement_id}/reports/new",
    }


@pytest.mark.parametrize("who", sorted(TABLE))
def test_the_page_table(client, login, world, who):
    agreement = make_agreement(world)
    if who != "anonymous":
        login(getattr(world, who))
    urls = _urls(world, agreement.id)
    got = tuple(client.get(urls[page]).status_code for page in PAGES)
    assert dict(zip(PAGES, got, strict=True)) == dict(zip(PAGES, TABLE[who], strict=True))


@pytest.mark.parametrize(
    ("who", "status"),
    [("ics_reader", 404), ("salaried", 403), ("hill_partner", 403), ("director", 302)],
)
def test_putting_a_version_to_the_vote_needs_the_lead_or_an_officer(
    client, login, world, who, status
):
    from tests.conftest import csrf_token_from

    agreement = make_agreement(world)
    login(getattr(world, who))
    token = csrf_token_from(client.get("/accounts/profile").get_data(as_text=True))
    response = client.post(
        world.url(f"{agreement.id}/versions/1/vote"),
        data={"csrf_token": token, "closes_on": "2099-01-01"},
    )
    # The lead is let through to the service, which refuses version 1 (already adopted).
    assert response.status_code == status


def test_a_visible_agreement_opens_its_pages_to_ics_readers_read_only(client, login, world):
    agreement = make_agreement(world, visible_to_ics=True)
    login(world.ics_reader)
    urls = _urls(world, agreement.id)
    assert [client.get(urls[page]).status_code for page in PAGES] == [
        200, 200, 200, 200, 403, 403, 403, 403, 403,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("anonymous", set()),
        ("outsider", set()),
        ("ics_reader", {"Staff bank"}),
        ("salaried", {"Staff bank", "Document management hub"}),
        ("officer", {"Staff bank", "Document management hub"}),
    ],
)
def test_the_api_shows_each_person_what_they_may_see(client, login, world, who, sees):
    hidden = make_agreement(world)
    shown = make_agreement(world, title="Staff bank", visible_to_ics=True)
    if who != "anonymous":
        login(getattr(world, who))
    listing = client.get("/api/v1/agreements").get_json()
    assert {item["title"] for item in listing["items"]} == sees
    assert listing["total"] == len(sees)
    for agreement in (hidden, shown):
        status = client.get(f"/api/v1/agreements/{agreement.id}").status_code
        assert status == (200 if agreement.title in sees else 404)
