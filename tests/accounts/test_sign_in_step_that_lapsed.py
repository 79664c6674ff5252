"""The code step of signing in lasts five minutes and belongs to a live account: after that, or
once the account is deactivated, the code page sends the person back to the password, and
nobody is signed in. Someone already signed in who opens the sign-in page goes home."""

from __future__ import annotations

import time

from portal.accounts.models import Role
from portal.extensions import db as database
from portal.organisations.models import OrganisationKind
from tests.conftest import SECOND_STEP, fetch_csrf_token
from tests.factories import (
    DEFAULT_PASSWORD,
    fresh_totp_code,
    make_area,
    make_organisation,
    make_user,
)

SIGN_IN_AGAIN = "Sign in again: enter your email address and password."


def _officer():
    lmc = make_organisation(make_area(), OrganisationKind.LMC, ods_code="LMC1")
    officer = make_user(lmc, Role.LMC_OFFICER, email="olive@example.nhs.uk")
    database.session.commit()
    return officer


def _password_step(client, officer):
    response = client.post(
        "/accounts/login",
        data={
            "email": officer.email,
            "password": DEFAULT_PASSWORD,
            "csrf_token": fetch_csrf_token(client),
        },
    )
    assert response.headers["Location"] == SECOND_STEP


def _code_step(client, officer):
    return client.post(
        SECOND_STEP,
        data={
            "code": fresh_totp_code(officer.email),
            "csrf_token": fetch_csrf_token(client, "/accounts/login"),
        },
        follow_redirects=True,
    )


def _signed_in(client) -> bool:
    return client.get("/accounts/profile").status_code == 200


def test_a_code_after_five_minutes_sends_the_person_back_to_the_password(client, db):
    officer = _officer()
    _password_step(client, officer)
    with client.session_transaction() as session:
        session["pending_sign_in"] = {
            **session["pending_sign_in"],
            "at": int(time.time()) - 5 * 60 - 1,
        }

    answer = _code_step(client, officer)

    assert SIGN_IN_AGAIN in answer.get_data(as_text=True)
    assert not _signed_in(client)


def test_a_code_for_an_account_deactivated_meanwhile_signs_nobody_in(client, db):
    officer = _officer()
    _password_step(client, officer)
    officer.active = False
    db.session.commit()

    answer = _code_step(client, officer)

    assert SIGN_IN_AGAIN in answer.get_data(as_text=True)
    assert not _signed_in(client)


def test_someone_signed_in_who_opens_the_sign_in_page_goes_home(client, db, login):
    officer = _officer()
    login(officer)

    answer = client.get("/accounts/login")

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"
