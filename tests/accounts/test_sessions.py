"""Sessions that end: a replayed cookie after sign-out, renewal at sign-in, idle and absolute
time-outs, sign-out everywhere, and the profile's list of sessions."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from portal.accounts.models import Role, UserSession
from tests.conftest import fetch_csrf_token, sign_in_with_form
from tests.factories import Org, Person, lmc, make_world

COOKIE = "gpcv_session"


@pytest.fixture
def people(db):
    return make_world(
        [Org("practice"), lmc()],
        [
            Person("partner", "practice", Role.GP_PARTNER),
            Person("officer", "lmc", Role.LMC_OFFICER),
        ],
    )


def _signed_in(app, user):
    browser = app.test_client()
    response = sign_in_with_form(browser, user.email)
    assert response.status_code == 302
    assert browser.get("/accounts/profile").status_code == 200
    return browser


def _replay(app, cookie_value):
    fresh = app.test_client()
    fresh.set_cookie(COOKIE, cookie_value)
    return fresh


@pytest.mark.parametrize("who", ["partner", "officer"])
def test_a_cookie_saved_before_sign_out_is_refused_afterwards(app, people, who):
    browser = _signed_in(app, people[who])
    saved = browser.get_cookie(COOKIE).value
    assert _replay(app, saved).get("/accounts/profile").status_code == 200
    browser.post(
        "/accounts/logout", data={"csrf_token": fetch_csrf_token(browser, "/accounts/profile")}
    )
    replayed = _replay(app, saved).get("/accounts/profile")
    assert replayed.status_code == 302
    assert replayed.headers["Location"].startswith("/accounts/login")


def test_sign_in_renews_the_session(app, people, db):
    browser = app.test_client()
    browser.get("/accounts/login")
    with browser.session_transaction() as cookie:
        cookie["planted"] = "by someone who set this cookie before sign-in"
    before = browser.get_cookie(COOKIE).value
    sign_in_with_form(browser, people["partner"].email)
    with browser.session_transaction() as cookie:
        assert "planted" not in cookie
    after = browser.get_cookie(COOKIE).value
    assert after != before
    again = _signed_in(app, people["partner"])
    keys = db.session.execute(sa.select(UserSession.key_hash)).scalars().all()
    assert len(set(keys)) == 2
    assert again.get_cookie(COOKIE).value != after


@pytest.mark.parametrize(("who", "idle_minutes"), [("partner", 120), ("officer", 30)])
def test_an_idle_session_ends(app, people, who, idle_minutes):
    browser = _signed_in(app, people[who])
    with browser.session_transaction() as cookie:
        cookie["seen"] = int(time.time()) - (idle_minutes - 1) * 60
    assert browser.get("/accounts/profile").status_code == 200
    with browser.session_transaction() as cookie:
        # That page view moved the last-seen time on.
        assert cookie["seen"] >= int(time.time()) - 5
        cookie["seen"] = int(time.time()) - idle_minutes * 60 - 5
    assert browser.get("/accounts/profile").status_code == 302


def test_a_session_ends_after_twelve_hours_however_busy(app, people, db):
    browser = _signed_in(app, people["partner"])
    row = db.session.execute(sa.select(UserSession)).scalar_one()
    row.created_at -= timedelta(hours=12, minutes=1)
    db.session.commit()
    assert browser.get("/accounts/profile").status_code == 302


def test_a_page_view_writes_nothing_to_the_database(app, people, db):
    browser = _signed_in(app, people["officer"])
    writes = []

    def watch(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", watch)
    try:
        assert browser.get("/accounts/profile").status_code == 200
        assert browser.get(f"/areas/{people['officer'].memberships[0].organisation.area.slug}/")
    finally:
        event.remove(db.engine, "before_cursor_execute", watch)
    assert writes == []


def test_sign_out_everywhere_ends_every_session(app, people, db):
    user = people["officer"]
    here, phone = _signed_in(app, user), _signed_in(app, user)
    profile = here.get("/accounts/profile").get_data(as_text=True)
    assert profile.count("This browser") == 1
    assert profile.count('<tr class="nhsuk-table__row"><td') == 2
    response = here.post(
        "/accounts/sessions/end-all",
        data={"csrf_token": fetch_csrf_token(here, "/accounts/profile")},
    )
    assert response.headers["Location"] == "/accounts/login"
    assert here.get("/accounts/profile").status_code == 302
    assert phone.get("/accounts/profile").status_code == 302
    ended = db.session.execute(sa.select(UserSession.ended_at)).scalars().all()
    assert len(ended) == 2
    assert None not in ended


def test_the_profile_lists_only_live_sessions(app, people):
    user = people["partner"]
    first = _signed_in(app, user)
    second = _signed_in(app, user)
    second.post(
        "/accounts/logout", data={"csrf_token": fetch_csrf_token(second, "/accounts/profile")}
    )
    profile = first.get("/accounts/profile").get_data(as_text=True)
    assert profile.count('<tr class="nhsuk-table__row"><td') == 1
    assert "This browser" in profile
