"""Published statements from the cache of their audience: strong ETags answered with 304, never
across audiences, moved on by every change, and almost no work for a response held."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis
import sqlalchemy as sa

from portal import create_app
from portal.database import utcnow
from portal.extensions import db as database
from portal.positions.models import Tier
from portal.statements import caching, endorsements, services
from tests.conftest import IsolatedClient, sign_in_with_form
from tests.statements.helpers import publish_statement

NONCE = re.compile(r'nonce="([^"]+)"')


def _surfaces(reference: str) -> list[str]:
    return [
        f"/statements/{reference}",
        "/statements",
        "/statements.atom",
        "/api/v1/statements",
        f"/api/v1/statements/{reference}",
    ]


@contextmanager
def counted_queries() -> Iterator[list[str]]:
    """Every SQL statement sent while the block runs, from any session of the engine."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # Queries, not the BEGIN that SQLite's connection sends to open a transaction.
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    engine = database.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_a_statement_answers_its_own_etag_with_304(client, setting):
    statement = publish_statement(setting, tier=Tier.PUBLIC)
    for url in _surfaces(statement.reference):
        first = client.get(url)
        assert first.status_code == 200, url
        etag = first.headers["ETag"]
        assert etag.startswith('"'), "a strong ETag"
        assert first.headers["Last-Modified"]
        assert first.headers["Vary"] == "Cookie"
        assert "no-cache" in first.headers["Cache-Control"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304, url
        assert again.data == b""
        assert again.headers["ETag"] == etag
        # Served from the cache, the same bytes but for the CSP nonce, which is the request's.
        held = client.get(url)
        assert held.headers["ETag"] == etag
        assert NONCE.sub("", held.get_data(as_text=True)) == NONCE.sub(
            "", first.get_data(as_text=True)
        )
    page = client.get(f"/statements/{statement.reference}")
    nonce = NONCE.search(page.get_data(as_text=True)).group(1)
    assert f"'nonce-{nonce}'" in page.headers["Content-Security-Policy"]
    other = client.get(f"/statements/{statement.reference}")
    assert NONCE.search(other.get_data(as_text=True)).group(1) != nonce


def test_a_304_is_never_served_across_audiences(app, client, login, setting):
    public = publish_statement(setting, tier=Tier.PUBLIC, title="Dormouse position")
    ics = publish_statement(setting, tier=Tier.ICS, title="Cormorant position")
    anonymous_tags = {url: client.get(url).headers["ETag"] for url in _surfaces(public.reference)}

    reader = app.test_client()
    assert sign_in_with_form(reader, setting.ics_reader.email).status_code == 302
    reader_tags = {}
    for url, tag in anonymous_tags.items():
        seen = reader.get(url, headers={"If-None-Match": tag})
        if url.startswith("/statements/") or url == "/statements":
            # A signed-in reader's page carries their own header and forms: never stored.
            assert seen.status_code == 200
            assert "ETag" not in seen.headers
            continue
        assert seen.status_code == 200, url
        assert seen.headers["ETag"] != tag
        reader_tags[url] = seen.headers["ETag"]
        if url != f"/api/v1/statements/{public.reference}":
            assert "Cormorant" in seen.get_data(as_text=True)
        assert reader.get(url, headers={"If-None-Match": seen.headers["ETag"]}).status_code == 304

    # The other way round: the ICS reader's tags mean nothing to a visitor.
    for url, tag in reader_tags.items():
        seen = client.get(url, headers={"If-None-Match": tag})
        assert seen.status_code == 200, url
        assert "Cormorant" not in seen.get_data(as_text=True)
    ics_item = f"/api/v1/statements/{ics.reference}"
    tag = reader.get(ics_item).headers["ETag"]
    assert client.get(ics_item, headers={"If-None-Match": tag}).status_code == 404
    assert client.get(f"/statements/{ics.reference}").status_code == 404

    # Another role of the same area reads other tiers: an officer's API tags are their own.
    login(setting.officer)
    officer = client.get(ics_item, headers={"If-None-Match": tag})
    assert officer.status_code == 200
    assert officer.headers["ETag"] != tag


def test_a_withdraw_changes_the_etag(client, setting):
    statement = publish_statement(setting, tier=Tier.PUBLIC)
    tags = {url: client.get(url).headers["ETag"] for url in _surfaces(statement.reference)}
    services.withdraw(setting.officer, statement, "The ICB dropped the plan.", utcnow())
    database.session.commit()
    for url, tag in tags.items():
        seen = client.get(url, headers={"If-None-Match": tag})
        assert seen.status_code == 200, url
        assert seen.headers["ETag"] != tag
        assert "withdrawn" in seen.get_data(as_text=True).lower(), url


@pytest.mark.parametrize("change", ["publish", "supersede", "endorse", "respond"])
def test_every_change_a_reader_sees_changes_the_etag(client, setting, change):
    statement = publish_statement(setting, tier=Tier.PUBLIC)
    url = f"/api/v1/statements/{statement.reference}"
    listing = "/api/v1/statements"
    tags = {url: client.get(url).headers["ETag"], listing: client.get(listing).headers["ETag"]}
    now = utcnow()
    if change == "publish":
        publish_statement(setting, tier=Tier.PUBLIC, title="A later position")
    elif change == "supersede":
        later = publish_statement(setting, tier=Tier.LMC, title="Its replacement")
        services.supersede(setting.officer, statement, later, "", now)
    elif change == "endorse":
        statement = publish_statement(
            setting, tier=Tier.PUBLIC, signatories=services.SignatoryChoice.ENDORSERS
        )
        url = f"/api/v1/statements/{statement.reference}"
        tags = {url: client.get(url).headers["ETag"], listing: client.get(listing).headers["ETag"]}
        endorsements.endorse(setting.partners[0], statement, setting.practices[0], now)
    else:
        services.record_response(setting.ics_reader, statement, "We did it.", now)
    database.session.commit()
    for address, tag in tags.items():
        assert client.get(address, headers={"If-None-Match": tag}).status_code == 200, address


def test_a_held_response_costs_one_query(client, setting):
    statement = publish_statement(setting, tier=Tier.PUBLIC)
    for url in _surfaces(statement.reference):
        with counted_queries() as first:
            tag = client.get(url).headers["ETag"]
        with counted_queries() as held:
            assert client.get(url).status_code == 200
        with counted_queries() as revalidated:
            assert client.get(url, headers={"If-None-Match": tag}).status_code == 304
        # The fingerprint, and nothing that grows with the statements or the page.
        assert len(held) == 1, (url, held)
        assert len(revalidated) == 1, (url, revalidated)
        assert len(first) > 1, url


def test_a_waiting_message_is_never_stored(client, setting):
    statement = publish_statement(setting, tier=Tier.PUBLIC)
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Only for this visitor")]
    page = client.get(f"/statements/{statement.reference}")
    assert "Only for this visitor" in page.get_data(as_text=True)
    assert "ETag" not in page.headers
    assert "Only for this visitor" not in client.get(f"/statements/{statement.reference}").get_data(
        as_text=True
    )


@pytest.fixture
def redis_app(app, db, redis_url, tmp_path):
    """The portal as several workers run it: the cache in Redis."""
    shared = create_app(
        {
            **{key: value for key, value in app.config.items() if key.isupper()},
            "REDIS_URL": redis_url,
            "OUTBOX_DIR": str(tmp_path),
        }
    )
    shared.test_client_class = IsolatedClient
    yield shared
    with shared.app_context():
        database.engine.dispose()


def test_workers_share_the_cache_through_redis(redis_app, redis_url, setting):
    statement = publish_statement(setting, tier=Tier.PUBLIC)
    store = redis.Redis.from_url(redis_url)
    url = f"/api/v1/statements/{statement.reference}"
    first = redis_app.test_client().get(url)
    assert first.status_code == 200
    assert store.keys(f"{caching.ENTRY_PREFIX}*")
    # Another worker, another process's memory: the same ETag, answered from Redis.
    second = redis_app.test_client().get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 304
    before = int(store.get(caching.GENERATION_KEY) or 0)
    with redis_app.app_context():
        found = database.session.merge(statement)
        officer = database.session.merge(setting.officer)
        services.withdraw(officer, found, "Dropped.", utcnow())
        database.session.commit()
    assert int(store.get(caching.GENERATION_KEY)) > before
    third = redis_app.test_client().get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert third.status_code == 200
    assert third.get_json()["status"] == "withdrawn"


def test_an_area_renamed_changes_the_etag(client, setting):
    statement = publish_statement(setting, tier=Tier.PUBLIC)
    url = f"/api/v1/statements/{statement.reference}"
    tag = client.get(url).headers["ETag"]
    setting.area.name = "Staffordshire North"
    database.session.commit()
    seen = client.get(url, headers={"If-None-Match": tag})
    assert seen.status_code == 200
    assert seen.get_json()["area"]["name"] == "Staffordshire North"
