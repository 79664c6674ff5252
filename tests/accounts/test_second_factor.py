"""The second factor: password then code at sign-in, set-up forced on officers and
administrators, codes refused the second time, recovery codes, and re-authentication before a
change to how one signs in."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pyotp
import pytest
import sqlalchemy as sa

from portal.accounts import second_factor
from portal.accounts.models import RecoveryCode, Role, User
from portal.audit.models import AuditEntry
from portal.organisations.models import OrganisationKind
from tests.conftest import csrf_token_from, fetch_csrf_token, sign_in_with_form
from tests.factories import (
    DEFAULT_PASSWORD,
    fresh_totp_code,
    make_area,
    make_organisation,
    make_user,
)

CODE_STEP = "/accounts/login/code"


@pytest.fixture
def lmc(db):
    return make_organisation(make_area(), OrganisationKind.LMC)


def _password_step(client, email, password=DEFAULT_PASSWORD):
    return client.post(
        "/accounts/login",
        data={"email": email, "password": password, "csrf_token": fetch_csrf_token(client)},
    )


def _code_step(client, code):
    return client.post(
        CODE_STEP, data={"code": code, "csrf_token": fetch_csrf_token(client, CODE_STEP)}
    )


def _secret_on(page: str) -> str:
    return re.search(r'<code id="totp-secret"[^>]*>([A-Z2-7]+)</code>', page).group(1)


def test_an_officer_signs_in_with_password_then_code(client, db, lmc):
    officer = make_user(lmc, Role.LMC_OFFICER)
    response = _password_step(client, officer.email)
    assert response.headers["Location"] == CODE_STEP
    # The password alone opens nothing.
    assert client.get("/accounts/profile").status_code == 302
    response = _code_step(client, pyotp.TOTP(officer.totp_secret).now())
    assert response.status_code == 302
    assert client.get("/accounts/profile").status_code == 200


def test_a_wrong_code_is_refused_and_five_send_you_back_to_the_password(client, db, lmc):
    officer = make_user(lmc, Role.LMC_OFFICER)
    # From a browser the officer has used before, so that no wait comes first.
    sign_in_with_form(client, officer.email)
    client.post(
        "/accounts/logout", data={"csrf_token": fetch_csrf_token(client, "/accounts/profile")}
    )
    _password_step(client, officer.email)
    for attempt in range(5):
        response = _code_step(client, "000000")
        if attempt < 4:
            assert response.status_code == 200
            assert "That code is not right" in response.get_data(as_text=True)
    assert response.headers["Location"] == "/accounts/login"
    assert client.get(CODE_STEP).headers["Location"] == "/accounts/login"
    assert client.get("/accounts/profile").status_code == 302


def test_a_code_is_refused_the_second_time(app, db, lmc):
    officer = make_user(lmc, Role.LMC_OFFICER)
    code = pyotp.TOTP(officer.totp_secret).now()
    first, second = app.test_client(), app.test_client()
    _password_step(first, officer.email)
    assert _code_step(first, code).status_code == 302
    _password_step(second, officer.email)
    response = _code_step(second, code)
    assert response.status_code == 200
    assert "used already" in response.get_data(as_text=True)
    assert second.get("/accounts/profile").status_code == 302


def test_an_earlier_step_is_refused_after_a_later_one(db):
    secret = pyotp.random_base32()
    now = datetime(2026, 12, 1, 10, 0, 15, tzinfo=UTC)
    step = second_factor.time_step(now)
    earlier = pyotp.TOTP(secret).at((step - 1) * 30)
    assert second_factor.matching_step(secret, earlier, None, now) == step - 1
    assert second_factor.matching_step(secret, earlier, step, now) is None
    two_steps_ago = pyotp.TOTP(secret).at((step - 2) * 30)
    assert second_factor.matching_step(secret, two_steps_ago, None, now) is None


def test_an_officer_without_a_second_factor_must_set_it_up_first(client, db, lmc):
    officer = make_user(lmc, Role.LMC_OFFICER, second_factor=False)
    response = _password_step(client, officer.email)
    assert response.headers["Location"] == "/accounts/second-factor"
    for page in ("/", "/accounts/profile", f"/areas/{lmc.area.slug}/", "/statements"):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response.headers["Location"] == "/accounts/second-factor", page
    setup = client.get("/accounts/second-factor")
    assert setup.status_code == 200
    html = setup.get_data(as_text=True)
    assert '<svg role="img"' in html
    secret = _secret_on(html)
    # Showing the page kept the secret in the cookie only.
    db.session.expire_all()
    assert db.session.get(User, officer.id).totp_secret is None

    wrong = client.post(
        "/accounts/second-factor", data={"code": "123456", "csrf_token": csrf_token_from(html)}
    )
    assert "That code is not right" in wrong.get_data(as_text=True)
    done = client.post(
        "/accounts/second-factor",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_token_from(html)},
    )
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9-]{19})</code></li>", done.get_data(as_text=True))
    assert len(set(codes)) == 10
    db.session.expire_all()
    user = db.session.get(User, officer.id)
    assert user.totp_secret == secret
    stored = db.session.execute(sa.select(RecoveryCode.code_hash)).scalars().all()
    assert len(stored) == 10
    assert not any(code.replace("-", "") in stored or code in stored for code in codes)
    assert client.get("/accounts/profile").status_code == 200


def test_a_recovery_code_works_once(app, db, lmc):
    officer = make_user(lmc, Role.LMC_OFFICER, second_factor=False)
    client = app.test_client()
    sign_in_with_form(client, officer.email)
    html = client.get("/accounts/second-factor").get_data(as_text=True)
    secret = _secret_on(html)
    done = client.post(
        "/accounts/second-factor",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_token_from(html)},
    )
    recovery = re.findall(r"<li><code>([a-z2-9-]{19})</code></li>", done.get_data(as_text=True))[0]
    first, second = app.test_client(), app.test_client()
    _password_step(first, officer.email)
    assert _code_step(first, recovery.upper()).status_code == 302
    assert first.get("/accounts/profile").status_code == 200
    assert "9 recovery codes left" in first.get("/accounts/profile").get_data(as_text=True)
    _password_step(second, officer.email)
    assert _code_step(second, recovery).status_code == 200
    assert second.get("/accounts/profile").status_code == 302
    used = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "account.recovery_code_used")
    ).scalar_one()
    assert used.details["left"] == 9


def test_a_partner_may_turn_it_on_from_the_profile_and_off_again(client, db, login):
    practice = make_organisation(make_area())
    partner = make_user(practice, Role.GP_PARTNER)
    login(partner)
    profile = client.get("/accounts/profile").get_data(as_text=True)
    assert "Set up<span" in profile
    html = client.get("/accounts/second-factor").get_data(as_text=True)
    client.post(
        "/accounts/second-factor",
        data={"code": pyotp.TOTP(_secret_on(html)).now(), "csrf_token": csrf_token_from(html)},
    )
    db.session.expire_all()
    assert db.session.get(User, partner.id).has_second_factor
    client.post(
        "/accounts/second-factor/remove",
        data={"csrf_token": fetch_csrf_token(client, "/accounts/profile")},
    )
    db.session.expire_all()
    assert not db.session.get(User, partner.id).has_second_factor
    assert db.session.execute(sa.select(sa.func.count(RecoveryCode.id))).scalar_one() == 0


def test_an_officer_cannot_turn_it_off(client, db, login, lmc):
    officer = make_user(lmc, Role.LMC_OFFICER)
    login(officer)
    response = client.post(
        "/accounts/second-factor/remove",
        data={"csrf_token": fetch_csrf_token(client, "/accounts/profile")},
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(User, officer.id).has_second_factor


def test_changes_to_sign_in_need_a_recent_password_and_code(client, db, login, lmc, app):
    officer = make_user(lmc, Role.LMC_OFFICER)
    login(officer)
    with client.session_transaction() as cookie:
        cookie["confirmed_at"] = int(time.time()) - app.config["REAUTHENTICATION_MINUTES"] * 60 - 5
    for page in ("/accounts/password", "/accounts/second-factor"):
        response = client.get(page)
        assert response.headers["Location"] == f"/accounts/confirm?next={page}", page
    new_password = "a completely new passphrase"
    refused = client.post(
        "/accounts/password",
        data={
            "password": new_password,
            "confirm_password": new_password,
            "csrf_token": fetch_csrf_token(client, "/accounts/profile"),
        },
    )
    assert refused.headers["Location"].startswith("/accounts/confirm")
    token = fetch_csrf_token(client, "/accounts/confirm?next=/accounts/password")
    no_code = client.post(
        "/accounts/confirm",
        data={"password": DEFAULT_PASSWORD, "next": "/accounts/password", "csrf_token": token},
    )
    assert no_code.status_code == 200
    assert "Enter the code your app shows now" in no_code.get_data(as_text=True)
    confirmed = client.post(
        "/accounts/confirm",
        data={
            "password": DEFAULT_PASSWORD,
            "code": fresh_totp_code(officer.email),
            "next": "/accounts/password",
            "csrf_token": token,
        },
    )
    assert confirmed.headers["Location"] == "/accounts/password"
    assert client.get("/accounts/password").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, officer.id).password_hash == officer.password_hash


def test_replacing_the_second_factor_ends_other_sessions(app, db, lmc):
    officer = make_user(lmc, Role.LMC_OFFICER)
    here, elsewhere = app.test_client(), app.test_client()
    for browser in (here, elsewhere):
        sign_in_with_form(browser, officer.email)
        assert browser.get("/accounts/profile").status_code == 200
    html = here.get("/accounts/second-factor").get_data(as_text=True)
    assert "This replaces the app you use now" in html
    here.post(
        "/accounts/second-factor",
        data={"code": pyotp.TOTP(_secret_on(html)).now(), "csrf_token": csrf_token_from(html)},
    )
    assert here.get("/accounts/profile").status_code == 200
    assert elsewhere.get("/accounts/profile").status_code == 302


def test_granting_a_role_needs_a_recent_password_and_code(client, db, login, lmc, app):
    admin = make_user(lmc, Role.AREA_ADMIN)
    partner = make_user(make_organisation(lmc.area), Role.GP_PARTNER)
    login(admin)
    url = f"/areas/{lmc.area.slug}/admin/members/{partner.id}"
    grant = {"organisation": str(lmc.id), "role": "lmc_officer"}
    with client.session_transaction() as cookie:
        cookie["confirmed_at"] = int(time.time()) - app.config["REAUTHENTICATION_MINUTES"] * 60 - 5
    # The member page still shows; its grant waits for a confirmation.
    assert client.get(url).status_code == 200
    refused = client.post(url, data={**grant, "csrf_token": fetch_csrf_token(client, url)})
    assert refused.headers["Location"] == f"/accounts/confirm?next={url}"
    assert len(db.session.get(User, partner.id).memberships) == 1
    client.post(
        "/accounts/confirm",
        data={
            "password": DEFAULT_PASSWORD,
            "code": fresh_totp_code(admin.email),
            "next": url,
            "csrf_token": fetch_csrf_token(client, f"/accounts/confirm?next={url}"),
        },
    )
    granted = client.post(url, data={**grant, "csrf_token": fetch_csrf_token(client, url)})
    assert granted.headers["Location"] == url
    db.session.expire_all()
    assert len(db.session.get(User, partner.id).memberships) == 2


def test_replaying_the_code_step_cookie_does_not_buy_more_guesses(client, db, lmc):
    officer = make_user(lmc, Role.LMC_OFFICER)
    _password_step(client, officer.email)
    saved = client.get_cookie("gpcv_session").value
    for _ in range(3):
        assert "That code is not right" in _code_step(client, "000000").get_data(as_text=True)
    client.set_cookie("gpcv_session", saved)
    response = _code_step(client, pyotp.TOTP(officer.totp_secret).now())
    assert "Wait 2 seconds before trying again" in response.get_data(as_text=True)
    assert client.get("/accounts/profile").status_code == 302
