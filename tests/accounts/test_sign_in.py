"""Signing in and out, waits after repeated failures, session cookie flags, CSRF."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from portal.accounts import delays
from portal.accounts.models import Role, SignInDelay
from portal.audit.models import AuditEntry
from portal.organisations.models import OrganisationKind
from tests.conftest import fetch_csrf_token, sign_in_with_form
from tests.factories import DEFAULT_PASSWORD, make_area, make_organisation, make_user


def _partner(db):
    area = make_area()
    practice = make_organisation(area)
    return area, make_user(practice, Role.GP_PARTNER, email="partner@example.nhs.uk")


def _sign_in(client, email, password):
    return client.post(
        "/accounts/login",
        data={"email": email, "password": password, "csrf_token": fetch_csrf_token(client)},
    )


def test_sign_in_lands_on_the_area_and_sign_out_ends_the_session(client, db):
    area, user = _partner(db)
    response = _sign_in(client, "Partner@Example.nhs.uk ", DEFAULT_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "What needs you" in home.get_data(as_text=True)
    assert f'href="/areas/{area.slug}/"' in home.get_data(as_text=True)
    page = client.get(f"/areas/{area.slug}/")
    assert page.status_code == 200
    assert area.name in page.get_data(as_text=True)

    token = fetch_csrf_token(client, f"/areas/{area.slug}/")
    assert client.post("/accounts/logout", data={"csrf_token": token}).status_code == 302
    assert client.get(f"/areas/{area.slug}/").status_code == 302
    actions = db.session.execute(sa.select(AuditEntry.action).order_by(AuditEntry.sequence))
    assert list(actions.scalars()) == ["account.signed_in", "account.signed_out"]


def test_wrong_password_and_unknown_email_read_the_same(client, db):
    _partner(db)
    wrong = _sign_in(client, "partner@example.nhs.uk", "not the password at all")
    unknown = _sign_in(client, "nobody@example.nhs.uk", "not the password at all")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "Enter a correct email address and password" in response.get_data(as_text=True)
    assert client.get("/accounts/profile").status_code == 302


def test_repeated_failures_from_a_new_place_bring_a_growing_wait(client, db):
    _partner(db)
    for _ in range(delays.FREE_FAILURES):
        response = _sign_in(client, "partner@example.nhs.uk", "wrong password attempt")
        assert "Enter a correct email address and password" in response.get_data(as_text=True)
    # Even the right password waits, and is not tried.
    response = _sign_in(client, "partner@example.nhs.uk", DEFAULT_PASSWORD)
    assert response.status_code == 200
    assert "Wait 2 seconds before trying again" in response.get_data(as_text=True)
    assert client.get("/accounts/profile").status_code == 302
    # The wait over, the next attempt is tried; one more failure doubles the wait.
    _age_last_failure(db, seconds=delays.FIRST_DELAY_SECONDS)
    response = _sign_in(client, "partner@example.nhs.uk", "wrong password attempt")
    assert "Enter a correct email address and password" in response.get_data(as_text=True)
    response = _sign_in(client, "partner@example.nhs.uk", "wrong password attempt")
    assert "Wait 4 seconds before trying again" in response.get_data(as_text=True)
    failed = db.session.execute(
        sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "account.sign_in_failed")
    ).scalar_one()
    assert failed == delays.FREE_FAILURES + 1


def _age_last_failure(db, *, seconds: int) -> None:
    for delay in db.session.execute(sa.select(SignInDelay)).scalars():
        delay.last_failure_at -= timedelta(seconds=seconds + 1)
    db.session.commit()


def test_a_wait_reads_the_same_for_an_unknown_email(client, db):
    _partner(db)
    pages = {}
    for email in ("partner@example.nhs.uk", "nobody@example.nhs.uk"):
        for _ in range(delays.FREE_FAILURES):
            _sign_in(client, email, "wrong password attempt")
        pages[email] = _sign_in(client, email, "wrong password attempt").get_data(as_text=True)
    assert all("Wait 2 seconds before trying again" in page for page in pages.values())


def test_the_right_password_after_the_wait_signs_in_and_clears_the_count(client, db):
    _partner(db)
    for _ in range(delays.FREE_FAILURES + 2):
        _sign_in(client, "partner@example.nhs.uk", "wrong password attempt")
        _age_last_failure(db, seconds=delays.MAXIMUM_DELAY_SECONDS)
    assert _sign_in(client, "partner@example.nhs.uk", DEFAULT_PASSWORD).status_code == 302
    assert db.session.execute(sa.select(sa.func.count()).select_from(SignInDelay)).scalar_one() == 0


def test_a_flood_from_one_address_leaves_the_officer_able_to_sign_in(app, db):
    area = make_area()
    lmc = make_organisation(area, OrganisationKind.LMC)
    officer = make_user(lmc, Role.LMC_OFFICER, email="officer@example.nhs.uk")
    usual = app.test_client()
    usual.environ_base["REMOTE_ADDR"] = "198.51.100.10"
    assert sign_in_with_form(usual, officer.email).status_code == 302
    usual.post(
        "/accounts/logout", data={"csrf_token": fetch_csrf_token(usual, "/accounts/profile")}
    )

    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.66"
    for _ in range(40):
        _sign_in(attacker, officer.email, "a guess at the password")
    assert "before trying again" in _sign_in(attacker, officer.email, DEFAULT_PASSWORD).get_data(
        as_text=True
    )
    # A new browser at a new address waits too: the account has not been seen there.
    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "192.0.2.1"
    assert "before trying again" in _sign_in(stranger, officer.email, DEFAULT_PASSWORD).get_data(
        as_text=True
    )

    # The officer's own browser (its known-browser mark) from a hotel network gets in...
    usual.environ_base["REMOTE_ADDR"] = "192.0.2.200"
    response = sign_in_with_form(usual, officer.email)
    assert response.status_code == 302
    assert usual.get("/accounts/profile").status_code == 200
    # ... and so does a fresh browser at the officer's usual address.
    colleague_pc = app.test_client()
    colleague_pc.environ_base["REMOTE_ADDR"] = "198.51.100.10"
    assert sign_in_with_form(colleague_pc, officer.email).status_code == 302
    assert colleague_pc.get("/accounts/profile").status_code == 200


def test_a_forged_known_browser_mark_is_ignored(app, db):
    _, partner = _partner(db)
    for _ in range(delays.FREE_FAILURES):
        _sign_in(app.test_client(), partner.email, "wrong password attempt")
    forger = app.test_client()
    forger.set_cookie("gpcv_known_browser", f"[{partner.id}].forged", path="/accounts/")
    response = _sign_in(forger, partner.email, DEFAULT_PASSWORD)
    assert "before trying again" in response.get_data(as_text=True)


def test_sign_in_without_csrf_token_is_refused_and_changes_nothing(client, db):
    _partner(db)
    response = client.post(
        "/accounts/login",
        data={"email": "partner@example.nhs.uk", "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 400
    assert "could not be accepted" in response.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count(AuditEntry.id))).scalar_one() == 0


def test_forged_csrf_token_is_refused(client, db):
    _partner(db)
    client.get("/accounts/login")
    response = client.post(
        "/accounts/login",
        data={
            "email": "partner@example.nhs.uk",
            "password": DEFAULT_PASSWORD,
            "csrf_token": "IjAxMjM0NTY3ODkwMTIzNDU2Nzg5Ig.forged.signature",
        },
    )
    assert response.status_code == 400


def test_sign_out_is_post_only(client, db, login):
    _, user = _partner(db)
    login(user)
    assert client.get("/accounts/logout").status_code == 405
    assert client.get("/accounts/profile").status_code == 200


def test_next_parameter_never_leaves_the_site(client, db):
    _partner(db)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post(
            "/accounts/login",
            data={
                "email": "partner@example.nhs.uk",
                "password": DEFAULT_PASSWORD,
                "next": target,
                "csrf_token": fetch_csrf_token(client),
            },
        )
        assert response.headers["Location"] == "/"
        client.post(
            "/accounts/logout", data={"csrf_token": fetch_csrf_token(client, "/accounts/profile")}
        )


def test_session_cookie_is_http_only_and_same_site(client, db, app):
    _partner(db)
    response = _sign_in(client, "partner@example.nhs.uk", DEFAULT_PASSWORD)
    cookie = next(
        header for header in response.headers.getlist("Set-Cookie") if "gpcv_session" in header
    )
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_production_settings_mark_cookies_secure():
    from config import load_settings

    settings = load_settings("production", environ={})
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["REMEMBER_COOKIE_SECURE"] is True


def test_changing_password_ends_other_sessions(app, db):
    area = make_area()
    practice = make_organisation(area, OrganisationKind.PRACTICE)
    user = make_user(practice, Role.GP_PARTNER)
    first, second = app.test_client(), app.test_client()
    for browser in (first, second):
        _sign_in(browser, user.email, DEFAULT_PASSWORD)
        assert browser.get("/accounts/profile").status_code == 200
    new_password = "a completely new passphrase"
    response = first.post(
        "/accounts/password",
        data={
            "password": new_password,
            "confirm_password": new_password,
            "csrf_token": fetch_csrf_token(first, "/accounts/password"),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/profile"
    assert first.get("/accounts/profile").status_code == 200
    assert second.get("/accounts/profile").status_code == 302
    assert _sign_in(app.test_client(), user.email, new_password).status_code == 302
