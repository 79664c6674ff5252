"""Rate limits per client address and overall, counted in a real Redis (database 15)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask

from portal import create_app
from portal.accounts.models import Role
from portal.ratelimits import LIMITS, SIGN_IN, limit_for
from tests.conftest import IsolatedClient, csrf_token_from, free_port
from tests.factories import DEFAULT_PASSWORD, make_area, make_organisation, make_user

PRACTICE_ADDRESS = "192.0.2.10"
OTHER_ADDRESS = "198.51.100.7"


@pytest.fixture
def limited_app(app: Flask, db: Any, redis_url: str, tmp_path) -> Iterator[Flask]:
    """The portal as deployed: limits on, counted in Redis, on the suite's database."""
    limited = create_app(
        {
            **{key: value for key, value in app.config.items() if key.isupper()},
            "RATELIMIT_ENABLED": True,
            "REDIS_URL": redis_url,
            "RATELIMIT_STORAGE_URI": redis_url,
            "OUTBOX_DIR": str(tmp_path),
        }
    )
    limited.test_client_class = IsolatedClient
    yield limited
    with limited.app_context():
        from portal.extensions import db as database

        database.engine.dispose()


def _client(app: Flask, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _sign_in(client, email: str, password: str):
    token = csrf_token_from(client.get("/accounts/login").get_data(as_text=True))
    return client.post(
        "/accounts/login", data={"email": email, "password": password, "csrf_token": token}
    )


def test_a_password_spray_from_one_address_is_stopped_and_others_sign_in(limited_app, db):
    officer = make_user(
        make_organisation(make_area()), Role.LMC_OFFICER, email="olive@example.nhs.uk"
    )
    db.session.commit()
    sprayer = _client(limited_app, PRACTICE_ADDRESS)
    answers = [
        _sign_in(sprayer, f"guess{number}@example.nhs.uk", "Password1234").status_code
        for number in range(31)
    ]
    assert 429 not in answers[:30], "30 sign-ins a minute from one address are allowed"
    assert answers[30] == 429
    refused = _sign_in(sprayer, officer.email, DEFAULT_PASSWORD)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    page = refused.get_data(as_text=True)
    assert "<h1>Too many attempts</h1>" in page
    assert 'class="nhsuk-header' in page

    elsewhere = _sign_in(_client(limited_app, OTHER_ADDRESS), officer.email, DEFAULT_PASSWORD)
    assert elsewhere.status_code == 302


def test_viewing_the_sign_in_page_is_not_counted(limited_app, db):
    visitor = _client(limited_app, PRACTICE_ADDRESS)
    for _ in range(40):
        assert visitor.get("/accounts/login").status_code == 200


def test_the_counters_live_in_redis(limited_app, db, redis_url):
    _sign_in(_client(limited_app, PRACTICE_ADDRESS), "someone@example.nhs.uk", "x" * 12)
    keys = [key.decode() for key in redis.Redis.from_url(redis_url).keys("*gpcv-limits*")]
    assert any("accounts.login:address" in key and PRACTICE_ADDRESS in key for key in keys)
    assert any("accounts.login:overall" in key for key in keys)


def test_receipt_guesses_are_limited_per_address_and_overall(limited_app, db):
    per_address = 20
    overall = 600

    def guess(client, code: str) -> int:
        token = csrf_token_from(client.get("/receipts").get_data(as_text=True))
        return client.post("/receipts", data={"code": code, "csrf_token": token}).status_code

    for number in range(overall // per_address):
        guesser = _client(limited_app, f"10.0.{number}.1")
        answers = [guess(guesser, f"GUESS-{n}") for n in range(per_address + 1)]
        assert answers[:per_address] == [404] * per_address
        assert answers[per_address] == 429
    newcomer = _client(limited_app, "10.99.0.1")
    assert guess(newcomer, "GUESS") == 429, "the overall limit"


def test_the_api_answers_429_as_problem_details(limited_app, db):
    reader = _client(limited_app, PRACTICE_ADDRESS)
    answers = [reader.get("/api/v1/openapi.json") for _ in range(121)]
    assert {answer.status_code for answer in answers[:120]} == {200}
    refused = answers[120]
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert refused.json["status"] == 429
    assert refused.json["title"] == "Too Many Requests"
    assert int(refused.headers["Retry-After"]) > 0


def test_every_sign_in_step_and_the_api_is_limited_and_sign_out_is_not(app):
    endpoints = set(app.view_functions)
    for endpoint in LIMITS:
        assert endpoint in endpoints, f"{endpoint} is listed but no longer exists"
    assert limit_for(app, "accounts.login") is SIGN_IN
    assert limit_for(app, "accounts.second_factor") is not None
    assert limit_for(app, "accounts.sign_in_code") is not None
    assert limit_for(app, "accounts.logout") is None
    assert limit_for(app, "main.home") is None
    api = [endpoint for endpoint in endpoints if endpoint.startswith("statements_api.")]
    assert api
    assert all(limit_for(app, endpoint) is not None for endpoint in api)


def test_the_limits_are_off_for_the_rest_of_the_suite_and_memory_backed_without_redis(app):
    assert app.config["RATELIMIT_ENABLED"] is False
    embedded = create_app({"DATABASE_URL": "sqlite://", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert embedded.config["RATELIMIT_STORAGE_URI"] == "memory://"


@pytest.fixture
def app_with_redis_down(app: Flask, db: Any, tmp_path) -> Iterator[Flask]:
    """Limits on, counted in a Redis that does not answer (nothing listens on its port)."""
    dead = f"redis://127.0.0.1:{free_port()}/0"
    limited = create_app(
        {
            **{key: value for key, value in app.config.items() if key.isupper()},
            "RATELIMIT_ENABLED": True,
            "REDIS_URL": dead,
            "RATELIMIT_STORAGE_URI": dead,
            "OUTBOX_DIR": str(tmp_path),
        }
    )
    limited.test_client_class = IsolatedClient
    yield limited
    with limited.app_context():
        from portal.extensions import db as database

        database.engine.dispose()


def test_without_redis_sign_in_fails_closed_and_says_so(app_with_redis_down, db, caplog):
    user = make_user(make_organisation(make_area()), Role.GP_PARTNER)
    db.session.commit()
    client = _client(app_with_redis_down, PRACTICE_ADDRESS)

    with caplog.at_level(logging.WARNING, logger="portal.ratelimits"):
        refused = _sign_in(client, user.email, DEFAULT_PASSWORD)

    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "10"
    assert "<h1>Try again in a few seconds</h1>" in refused.get_data(as_text=True)
    assert "accounts.login refused with 503 (fails closed)" in caplog.text
    assert client.get("/accounts/profile").status_code == 302  # not signed in


def test_without_redis_casting_fails_open_and_says_so(app, app_with_redis_down, db, caplog):
    from portal.database import utcnow
    from portal.voting.models import Ballot
    from tests.conftest import sign_in_with_form
    from tests.factories import make_world
    from tests.voting.helpers import (
        WEIGHTED_WORLD,
        open_weighted_vote,
    )

    setting = make_world(**WEIGHTED_WORLD)
    vote = open_weighted_vote(setting, db)
    # Signed in while Redis was up (the suite's app has no limits), cast while it is down:
    # both apps share the database and the secret key, so the session holds in either.
    signed_in = app.test_client()
    assert sign_in_with_form(signed_in, setting.partners[0].email).status_code == 302
    client = app_with_redis_down.test_client()
    client.set_cookie(
        "gpcv_session", signed_in.get_cookie("gpcv_session").value, domain="localhost"
    )
    cast = f"/areas/{setting.area.slug}/votes/{vote.id}/cast/A10001"

    with caplog.at_level(logging.WARNING, logger="portal.ratelimits"):
        page = client.get(cast).get_data(as_text=True)
        chosen = client.post(cast, data={"choice": "for", "csrf_token": csrf_token_from(page)})
        check = client.get(f"{cast}/check").get_data(as_text=True)
        token = re.search(r'name="token" type="hidden" value="([^"]+)"', check).group(1)
        confirmed = client.post(
            f"{cast}/confirm", data={"token": token, "csrf_token": csrf_token_from(check)}
        )

    assert chosen.status_code == 302
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"].endswith("/receipt")
    db.session.expire_all()
    assert [ballot.choice for ballot in db.session.query(Ballot)] == ["for"]
    assert "voting.confirm let through unlimited (fails open)" in caplog.text
    assert vote.closes_at > utcnow()


def test_redis_gone_after_the_check_costs_only_the_headers(limited_app, db, caplog, monkeypatch):
    from limits.storage import RedisStorage

    def gone(*args, **kwargs):
        raise redis.exceptions.ConnectionError("Connection closed by server.")

    # The check (acquiring an entry in the window) works; reading the window for the
    # X-RateLimit headers afterwards finds Redis gone, as when it stops mid-request.
    monkeypatch.setattr(RedisStorage, "get_moving_window", gone)
    client = _client(limited_app, PRACTICE_ADDRESS)

    with caplog.at_level(logging.WARNING, logger="portal.ratelimits"):
        answer = _sign_in(client, "nobody@example.nhs.uk", "Password1234")

    assert answer.status_code == 200
    assert "X-RateLimit-Limit" not in answer.headers
    assert "sent without its rate limit headers" in caplog.text
