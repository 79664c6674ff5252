"""Published statements answered at the edge (portal/edge.py), before Flask runs: for readers
with no session only, with the bytes and headers Flask sent, a fresh CSP nonce each time, 304
and HEAD, and never once anything changed, whichever instance changed it."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from flask import Flask

from portal import create_app
from portal.database import utcnow
from portal.edge import EXTENSION as EDGE
from portal.extensions import db as database
from portal.positions.models import Tier
from portal.statements import caching, services
from tests.conftest import IsolatedClient, free_port, sign_in_with_form
from tests.statements.helpers import publish_statement

NONCE = re.compile(r"'nonce-([^']+)'")
# Made afresh for every response, by Flask and the edge alike.
PER_RESPONSE = ("X-Request-ID",)


def _surfaces(reference: str) -> list[str]:
    return [
        f"/statements/{reference}",
        "/statements",
        "/statements.atom",
        "/api/v1/statements",
        f"/api/v1/statements/{reference}",
    ]


class FlaskRuns:
    """Counts the requests that reached Flask's request machinery."""

    def __init__(self, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        dispatch = app.full_dispatch_request

        def counted() -> Any:
            self.count += 1
            return dispatch()

        monkeypatch.setattr(app, "full_dispatch_request", counted)


@pytest.fixture
def flask_runs(app: Flask, monkeypatch: pytest.MonkeyPatch) -> FlaskRuns:
    return FlaskRuns(app, monkeypatch)


@pytest.fixture(autouse=True)
def _nothing_kept_from_earlier_tests(app: Flask) -> None:
    app.extensions[EDGE].kept.clear()


def _nonces(response: Any) -> set[str]:
    return set(NONCE.findall(response.headers.get("Content-Security-Policy", "")))


def _without_nonces(text: str, nonces: set[str]) -> str:
    for nonce in nonces:
        text = text.replace(nonce, "NONCE")
    return text


def _comparable(response: Any, but: str = "") -> tuple[int, list[tuple[str, str]], str]:
    """Status, headers and body with what is made afresh for each response taken out."""
    nonces = _nonces(response)
    headers = sorted(
        (name, _without_nonces(value, nonces))
        for name, value in response.headers.items()
        if name not in (*PER_RESPONSE, but)
    )
    return response.status_code, headers, _without_nonces(response.get_data(as_text=True), nonces)


def test_a_hit_is_answered_before_flask_with_the_bytes_and_headers_of_the_miss(
    app, client, setting, flask_runs, caplog
):
    statement = publish_statement(setting, tier=Tier.PUBLIC)
    caplog.set_level(logging.INFO, logger="portal.access")
    for url in _surfaces(statement.reference):
        before = flask_runs.count
        miss = client.get(url)
        assert flask_runs.count == before + 1, url
        hit = client.get(url)
        assert flask_runs.count == before + 1, f"{url} went through Flask"
        assert "Set-Cookie" not in hit.headers
        assert _comparable(hit) == _comparable(miss), url
        assert hit.headers["X-Request-ID"] != miss.headers["X-Request-ID"]
        assert caplog.records[-1].fields["answered_by"] == "edge"
        assert caplog.records[-1].fields["request_id"] == hit.headers["X-Request-ID"]


def test_every_answer_has_a_nonce_of_its_own_in_policy_and_page(client, setting, flask_runs):
    statement = publish_statement(setting, tier=Tier.PUBLIC)
    url = f"/statements/{statement.reference}"
    seen = [client.get(url) for _ in range(3)]
    assert flask_runs.count == 1
    nonces = [_nonces(response) for response in seen]
    assert all(len(found) == 1 for found in nonces)
    assert len(set.union(*nonces)) == 3, "never the same nonce twice"
    for response, (nonce,) in zip(seen, nonces, strict=True):
        page = response.get_data(as_text=True)
        assert f'nonce="{nonce}"' in page
        assert page.count('nonce="') == page.count(f'nonce="{nonce}"')
        assert response.headers["Content-Length"] == str(len(response.data))


def test_head_and_304_at_the_edge_are_what_flask_answers(app, client, setting, flask_runs):
    statement = publish_statement(setting, tier=Tier.PUBLIC)
    # A visitor with a session (the sign-in form's CSRF token, say) is always served by Flask,
    # from the same cache: its answers are the ones to match.
    visitor = app.test_client()
    with visitor.session_transaction() as session:
        session["seen"] = True
    for url in _surfaces(statement.reference):
        flask_head = client.head(url)
        get = client.get(url)
        etag = get.headers["ETag"]
        assert get.headers["Last-Modified"]
        runs = flask_runs.count
        head = client.head(url)
        assert head.data == b""
        assert head.headers["Content-Length"] == str(len(get.data))
        assert _comparable(head)[:2] == _comparable(flask_head)[:2] == _comparable(get)[:2]

        edge_304 = client.get(url, headers={"If-None-Match": etag})
        assert flask_runs.count == runs, f"{url} went through Flask"
        assert edge_304.status_code == 304
        assert edge_304.data == b""
        assert edge_304.headers["ETag"] == etag
        flask_304 = visitor.get(url, headers={"If-None-Match": etag})
        assert flask_runs.count == runs + 1
        # The same but for the visitor's own session cookie.
        assert _comparable(edge_304) == _comparable(flask_304, but="Set-Cookie"), url
        # Another ETag, or a date alone, is answered in full.
        assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
        since = {"If-Modified-Since": get.headers["Last-Modified"]}
        assert client.get(url, headers=since).status_code == 200
        assert flask_runs.count == runs + 1


def test_a_signed_in_reader_never_gets_the_anonymous_copy(app, client, setting, flask_runs):
    public = publish_statement(setting, tier=Tier.PUBLIC, title="Dormouse position")
    publish_statement(setting, tier=Tier.ICS, title="Cormorant position")
    for url in _surfaces(public.reference):
        client.get(url)
        assert "Cormorant" not in client.get(url).get_data(as_text=True)
    reader = app.test_client()
    assert sign_in_with_form(reader, setting.ics_reader.email).status_code == 302
    for url in _surfaces(public.reference):
        runs = flask_runs.count
        seen = reader.get(url)
        # Again: the feed and the API from the cache of the reader's own audience, in Flask.
        again = reader.get(url)
        assert flask_runs.count == runs + 2, f"{url}: the signed-in reader went round Flask"
        assert seen.status_code == again.status_code == 200
        if url in ("/statements", "/api/v1/statements", "/statements.atom"):
            assert "Cormorant" in seen.get_data(as_text=True), url
        if url.startswith("/statements/"):
            assert "Sign out" in seen.get_data(as_text=True)
    # Credentials of any kind, or a remember-me cookie, go to Flask, which reads them.
    url = f"/api/v1/statements/{public.reference}"
    runs = flask_runs.count
    client.get(url, headers={"Authorization": "Bearer something"})
    stranger = app.test_client()
    stranger.set_cookie("remember_token", "1|forged")
    assert stranger.get(url).status_code == 200
    assert flask_runs.count == runs + 2


def test_a_host_flask_refuses_is_refused_however_warm(client, setting):
    statement = publish_statement(setting, tier=Tier.PUBLIC)
    url = f"/api/v1/statements/{statement.reference}"
    client.get(url)
    client.get(url)
    assert client.get(url, headers={"Host": "portal.example.com"}).status_code == 400


def _instances(app: Flask, tmp_path: Any, redis_url: str | None) -> Iterator[tuple[Flask, Flask]]:
    """Two instances of the portal on one database (and, given ``redis_url``, one Redis): two
    processes' worth of caches, each with its own edge, generation and connections."""
    settings = {key: value for key, value in app.config.items() if key.isupper()}
    made = []
    for name in "ab":
        instance = create_app(
            {**settings, "REDIS_URL": redis_url, "OUTBOX_DIR": str(tmp_path / name)}
        )
        instance.test_client_class = IsolatedClient
        made.append(instance)
    yield made[0], made[1]
    for instance in made:
        with instance.app_context():
            database.engine.dispose()


@pytest.fixture(params=["memory", "redis"])
def two_instances(request, app, db, tmp_path) -> Iterator[tuple[Flask, Flask]]:
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    yield from _instances(app, tmp_path, redis_url)


@pytest.fixture
def two_instances_on_redis(app, db, tmp_path, redis_url) -> Iterator[tuple[Flask, Flask]]:
    yield from _instances(app, tmp_path, redis_url)


def _warm(readers: list[Any], urls: list[str]) -> dict[str, str]:
    """Each instance's edge holds every surface (asked twice: Flask, then the edge)."""
    seen = {}
    for reader in readers:
        for url in urls:
            reader.get(url)
            seen[url] = reader.get(url).get_data(as_text=True)
    return seen


@pytest.mark.parametrize("change", ["withdraw", "respond", "publish"])
def test_a_change_made_elsewhere_is_seen_at_once_by_every_instance(two_instances, setting, change):
    """The change is made by a third instance (the test's own), whose generation reaches
    neither: only the fingerprint, read from the database for every answer, can tell them."""
    statement = publish_statement(setting, tier=Tier.PUBLIC)
    database.session.commit()
    urls = _surfaces(statement.reference)
    readers = [instance.test_client() for instance in two_instances]
    _warm(readers, urls)
    now = utcnow()
    if change == "withdraw":
        services.withdraw(setting.officer, statement, "The ICB dropped the plan.", now)
        changed, wanted = urls, "withdrawn"
    elif change == "respond":
        services.record_response(setting.ics_reader, statement, "We did it for Wombats.", now)
        changed, wanted = [urls[0], urls[4]], "Wombats"
    else:
        publish_statement(setting, tier=Tier.PUBLIC, title="A later position on Wombats")
        changed, wanted = urls[1:4], "Wombats"
    database.session.commit()
    for reader in readers:
        for url in changed:
            assert wanted in reader.get(url).get_data(as_text=True), url


def test_an_area_renamed_on_one_instance_is_seen_on_the_other_through_redis(
    two_instances_on_redis, setting
):
    """What the fingerprint cannot see (an area's name) moves the generation both share
    (without Redis each process's generation is its own)."""
    a, b = two_instances_on_redis
    statement = publish_statement(setting, tier=Tier.PUBLIC)
    database.session.commit()
    url = f"/api/v1/statements/{statement.reference}"
    reader = a.test_client()
    _warm([reader], [url])
    with b.app_context():
        area = database.session.get(type(setting.area), setting.area.id)
        area.name = "Staffordshire North"
        database.session.commit()
    assert reader.get(url).get_json()["area"]["name"] == "Staffordshire North"


def test_another_instance_answers_from_what_the_first_put_in_redis(
    two_instances_on_redis, setting, monkeypatch
):
    a, b = two_instances_on_redis
    statement = publish_statement(setting, tier=Tier.PUBLIC)
    database.session.commit()
    url = f"/api/v1/statements/{statement.reference}"
    first = a.test_client().get(url)
    runs = FlaskRuns(b, monkeypatch)
    rendered = []
    monkeypatch.setattr(services, "find", lambda *args: rendered.append(args))
    # b's Flask finds a's response in Redis, without finding the statement, and b's edge keeps
    # it for the next reader.
    for _ in range(3):
        seen = b.test_client().get(url)
        assert (seen.data, seen.headers["ETag"]) == (first.data, first.headers["ETag"])
    assert runs.count == 1
    assert rendered == []


def test_the_edge_hands_over_to_flask_when_its_stores_fail(
    two_instances, setting, monkeypatch, tmp_path
):
    a, _b = two_instances
    statement = publish_statement(setting, tier=Tier.PUBLIC)
    database.session.commit()
    url = f"/api/v1/statements/{statement.reference}"
    reader = a.test_client()
    runs = FlaskRuns(a, monkeypatch)
    reader.get(url)
    reader.get(url)
    assert runs.count == 1
    state = a.extensions[caching.EXTENSION]
    fingerprints = state["fingerprints"]
    # The database dropped the kept connection (a restart): asked again on a fresh one.
    fingerprints._local.connection.connection.dbapi_connection.close()
    assert reader.get(url).status_code == 200
    assert runs.count == 1
    # The database away: Flask answers (here with what it holds; its error page otherwise).
    broken = sa.create_engine(f"sqlite:///{tmp_path}/missing/none.sqlite3")
    monkeypatch.setattr(fingerprints, "_engine", broken)
    monkeypatch.setattr(fingerprints._local, "connection", None)
    assert reader.get(url).status_code == 200
    assert runs.count == 2
    monkeypatch.undo()
    runs = FlaskRuns(a, monkeypatch)
    if isinstance(state["store"], caching._RedisStore):
        # Redis away: every request goes to Flask, which serves without the cache.
        away = redis.Redis(port=free_port(), socket_connect_timeout=0.2, socket_timeout=0.2)
        monkeypatch.setattr(state["store"], "_redis", away)
        assert reader.get(url).status_code == 200
        assert runs.count == 1
