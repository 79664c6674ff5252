"""Switching between one's areas from the header, and area administrators kept to their own."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from portal.accounts.models import Role
from portal.organisations.models import OrganisationKind
from tests.conftest import csrf_token_from, fetch_csrf_token
from tests.factories import add_membership, make_area, make_organisation, make_user

SWITCHER = 'action="/areas/switch"'


def two_areas() -> tuple[Any, Any]:
    north = make_area("north", "North ICB")
    south = make_area("south", "South ICB")
    return make_organisation(north), make_organisation(south)


def test_someone_in_two_areas_switches_from_the_header(client: FlaskClient, login: Any) -> None:
    north_practice, south_practice = two_areas()
    user = make_user(north_practice, Role.PRACTICE_MANAGER)
    add_membership(user, south_practice, Role.PRACTICE_MANAGER)
    login(user)

    page = client.get("/areas/north/").get_data(as_text=True)
    assert SWITCHER in page
    assert '<option value="north" selected>North ICB</option>' in page
    assert '<option value="south">South ICB</option>' in page

    response = client.post(
        "/areas/switch", data={"area": "south", "csrf_token": csrf_token_from(page)}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/areas/south/"
    with client.session_transaction() as session:
        assert session["area"] == "south"
    # The start page, which lists every area, keeps the chosen one in the switcher.
    home = client.get("/").get_data(as_text=True)
    assert '<option value="south" selected>South ICB</option>' in home


def test_an_area_one_is_not_in_cannot_be_chosen(client: FlaskClient, login: Any) -> None:
    north_practice, south_practice = two_areas()
    make_area("elsewhere", "Elsewhere ICB")
    user = make_user(north_practice, Role.PRACTICE_MANAGER)
    add_membership(user, south_practice, Role.PRACTICE_MANAGER)
    login(user)
    client.get("/areas/north/")

    response = client.post(
        "/areas/switch",
        data={"area": "elsewhere", "csrf_token": fetch_csrf_token(client, "/areas/north/")},
        headers={"Referer": "/areas/north/"},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/areas/north/"
    with client.session_transaction() as session:
        assert session["area"] == "north"
    assert "Choose one of your areas." in client.get("/areas/north/").get_data(as_text=True)


def test_switching_needs_the_csrf_token_and_a_sign_in(client: FlaskClient, login: Any) -> None:
    north_practice, south_practice = two_areas()
    signed_out = client.post(
        "/areas/switch", data={"area": "south", "csrf_token": fetch_csrf_token(client)}
    )
    assert signed_out.status_code == 302
    assert signed_out.headers["Location"].startswith("/accounts/login")
    user = make_user(north_practice, Role.PRACTICE_MANAGER)
    add_membership(user, south_practice, Role.PRACTICE_MANAGER)
    login(user)

    assert client.post("/areas/switch", data={"area": "south"}).status_code == 400


def test_someone_in_one_area_has_no_switcher(client: FlaskClient, login: Any) -> None:
    north_practice, _ = two_areas()
    login(make_user(north_practice, Role.PRACTICE_MANAGER))

    assert SWITCHER not in client.get("/areas/north/").get_data(as_text=True)


def test_an_admin_of_one_area_cannot_administer_another(client: FlaskClient, login: Any) -> None:
    north_practice, south_practice = two_areas()
    north_lmc = make_organisation(north_practice.area, OrganisationKind.LMC)
    admin = make_user(north_lmc, Role.AREA_ADMIN)
    # A plain member of the south area: sees it, may not administer it.
    add_membership(admin, south_practice, Role.PRACTICE_MANAGER)
    login(admin)

    assert client.get("/areas/north/admin/members").status_code == 200
    assert client.get("/areas/south/").status_code == 200
    for page in ("members", "members/invite", "organisations", f"members/{admin.id}"):
        assert client.get(f"/areas/south/admin/{page}").status_code == 404, page
    refused = client.post(
        "/areas/south/admin/organisations",
        data={
            "kind": "federation",
            "ods_code": "FED1",
            "name": "A federation",
            "csrf_token": fetch_csrf_token(client, "/areas/north/admin/organisations"),
        },
    )
    assert refused.status_code == 404
