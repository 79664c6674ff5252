"""The checks that keep odd input from becoming a 500: control characters in text fields,
``next=`` after sign-in, and ids too long for any table."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from portal.accounts.models import Role
from portal.form_filters import control_character_problem
from portal.organisations.models import Organisation, OrganisationKind
from portal.urls import LARGEST_ID, local_path
from tests.conftest import fetch_csrf_token
from tests.factories import DEFAULT_PASSWORD, make_area, make_organisation, make_user


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("Hill\r\nSurgery", "must be on one line"),
        ("Hill\nSurgery", "must be on one line"),
        ("Hill\u2028Surgery", "must be on one line"),
        ("Hill\x00Surgery", "must not contain control characters"),
        ("Hill\tSurgery", "must not contain control characters"),
        ("Hill\x1bSurgery", "must not contain control characters"),
        ("Hill\x85Surgery", "must be on one line"),
        ("Hill Surgery, Ünïcødé ✓", None),
    ],
)
def test_one_line_text_refuses_control_characters(value, problem):
    assert control_character_problem(value, multi_line=False) == problem


def test_multi_line_text_keeps_line_breaks_but_not_other_controls():
    assert control_character_problem("First\r\n\tSecond", multi_line=True) is None
    assert control_character_problem("First\x00", multi_line=True) is not None


def test_a_cr_lf_vote_title_is_refused_at_the_form(app):
    from portal.voting.setup_forms import VoteForm

    with app.test_request_context(method="POST"):
        app.config["WTF_CSRF_ENABLED"] = False
        try:
            form = VoteForm(MultiDict({"title": "Enhanced access\r\nBcc: x@example.org"}))
            form.validate()
        finally:
            app.config["WTF_CSRF_ENABLED"] = True
    assert "Title must be on one line" in form.title.errors


def test_a_cr_lf_organisation_name_is_refused_and_nothing_is_saved(client, db, login):
    area = make_area()
    admin = make_user(
        make_organisation(area, OrganisationKind.LMC, ods_code="LMC1"), Role.AREA_ADMIN
    )
    login(admin)
    url = f"/areas/{area.slug}/admin/organisations"
    response = client.post(
        url,
        data={
            "kind": "federation",
            "ods_code": "FED1",
            "name": "Rogue\r\nFederation",
            "csrf_token": fetch_csrf_token(client, url),
        },
    )
    assert response.status_code == 200
    assert "Name must be on one line" in response.get_data(as_text=True)
    count = db.session.execute(
        sa.select(sa.func.count(Organisation.id)).where(Organisation.ods_code == "FED1")
    ).scalar_one()
    assert count == 0


@pytest.mark.parametrize(
    "target",
    [
        "/votes\r\nSet-Cookie: stolen=1",
        "//evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "votes",
    ],
)
def test_sign_in_with_a_hostile_next_goes_home(client, db, target):
    user = make_user(make_organisation(make_area()), Role.GP_PARTNER)
    response = client.post(
        "/accounts/login",
        data={
            "email": user.email,
            "password": DEFAULT_PASSWORD,
            "next": target,
            "csrf_token": fetch_csrf_token(client),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_sign_in_follows_a_path_on_this_site(client, db):
    user = make_user(make_organisation(make_area()), Role.GP_PARTNER)
    response = client.post(
        "/accounts/login",
        data={
            "email": user.email,
            "password": DEFAULT_PASSWORD,
            "next": "/areas/test-area/votes/?page=2",
            "csrf_token": fetch_csrf_token(client),
        },
    )
    assert response.headers["Location"] == "/areas/test-area/votes/?page=2"
    assert local_path("/ünï") == "/ünï"


def test_an_id_longer_than_any_table_holds_is_not_found(client, db, login):
    area = make_area()
    admin = make_user(
        make_organisation(area, OrganisationKind.LMC, ods_code="LMC1"), Role.AREA_ADMIN
    )
    login(admin)
    for user_id in ("9" * 20, str(LARGEST_ID + 1)):
        assert client.get(f"/areas/{area.slug}/admin/members/{user_id}").status_code == 404
    assert client.get(f"/areas/{area.slug}/admin/members/{LARGEST_ID}").status_code == 404
    assert client.get(f"/areas/{area.slug}/admin/members/{admin.id}").status_code == 200


def test_a_nul_byte_in_a_search_or_a_form_is_refused_with_a_page(client, db, login):
    area = make_area()
    login(make_user(make_organisation(area), Role.GP_PARTNER))
    search = client.get(f"/areas/{area.slug}/practices?q=Hill%00")
    assert search.status_code == 400
    assert "a NUL byte" in search.get_data(as_text=True)
    assert client.get(f"/areas/{area.slug}/practices?q=Hill").status_code == 200
    posted = client.post("/accounts/profile", data={"name": "Ann\x00"})
    assert posted.status_code == 400
