"""Signing in and out, lockout after repeated failures, session cookie flags, CSRF."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from portal.accounts.models import Role, User
from portal.audit.models import AuditEntry
from portal.database import utcnow
from portal.organisations.models import OrganisationKind
from tests.conftest import fetch_csrf_token
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


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, db, app):
    _partner(db)
    threshold = app.config["LOGIN_FAILURES_BEFORE_LOCKOUT"]
    for _ in range(threshold):
        _sign_in(client, "partner@example.nhs.uk", "wrong password attempt")
    user = db.session.execute(sa.select(User)).scalar_one()
    assert user.failed_logins == threshold
    assert user.locked_until is not None
    assert user.locked_until > utcnow() + timedelta(minutes=10)
    response = _sign_in(client, "partner@example.nhs.uk", DEFAULT_PASSWORD)
    assert response.status_code == 200
    assert "locked" in response.get_data(as_text=True)
    assert client.get("/accounts/profile").status_code == 302
    locked = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "account.locked")
    ).scalar_one()
    assert "5 failed" in locked.summary


def test_lock_expires_and_a_good_sign_in_clears_the_count(client, db, app):
    _partner(db)
    user = db.session.execute(sa.select(User)).scalar_one()
    user.failed_logins = 7
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert _sign_in(client, "partner@example.nhs.uk", DEFAULT_PASSWORD).status_code == 302
    db.session.expire_all()
    user = db.session.execute(sa.select(User)).scalar_one()
    assert (user.failed_logins, user.locked_until) == (0, None)


def test_lockout_doubles_with_further_failures(client, db, app):
    _partner(db)
    user = db.session.execute(sa.select(User)).scalar_one()
    threshold = app.config["LOGIN_FAILURES_BEFORE_LOCKOUT"]
    user.failed_logins = threshold
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    before = utcnow()
    _sign_in(client, "partner@example.nhs.uk", "still the wrong one")
    db.session.expire_all()
    user = db.session.execute(sa.select(User)).scalar_one()
    minutes = app.config["LOGIN_LOCKOUT_MINUTES"]
    assert user.locked_until - before >= timedelta(minutes=2 * minutes) - timedelta(seconds=5)


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
        "/accounts/profile",
        data={
            "current_password": DEFAULT_PASSWORD,
            "password": new_password,
            "confirm_password": new_password,
            "csrf_token": fetch_csrf_token(first, "/accounts/profile"),
        },
    )
    assert response.status_code == 302
    assert first.get("/accounts/profile").status_code == 200
    assert second.get("/accounts/profile").status_code == 302
    assert _sign_in(app.test_client(), user.email, new_password).status_code == 302
