"""A page view never writes: one page of every GET route in Flask's URL map, asked by a visitor
and by each role of the demo area, runs no INSERT, UPDATE or DELETE and leaves every table as it
was. What a view used to record (a vote closed on the first view after its closing time, a
position brought up to date with its vote) is done by the worker, and one-click links from
email lead to a page with a POST button.

Each route is asked with real ids from the demo (tests/app/page_walk.py: a vote past its closing
time and not yet counted, the partner's own practice to cast for, a token from an email), so the
pages render rather than answer 404. Signing in writes (a session, an audit entry); it happens
before the walk is watched.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from portal.database import utcnow
from portal.demo.loader import load_demo_area
from portal.extensions import db as database
from portal.organisations.models import Area
from tests.app.page_walk import PARTNER, demo_arguments, page_path, walked_rules
from tests.app.test_no_server_errors import DEMO_PEOPLE, _sign_in

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE|TRUNCATE)\b", re.IGNORECASE)


@contextmanager
def _writes_watched(engine: sa.Engine) -> Iterator[list[str]]:
    """Every INSERT, UPDATE or DELETE sent to the database while the block runs."""
    writes: list[str] = []

    def watch(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if WRITE.match(statement):
            writes.append(" ".join(statement.split())[:160])

    sa.event.listen(engine, "before_cursor_execute", watch)
    try:
        yield writes
    finally:
        sa.event.remove(engine, "before_cursor_execute", watch)


def _fingerprint() -> dict[str, tuple[int, str]]:
    """Each table's row count and a digest of all its rows, in primary-key order."""
    tables = {}
    for table in database.metadata.sorted_tables:
        rows = database.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        digest = hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()
        tables[table.name] = (len(rows), digest)
    database.session.commit()
    return tables


@pytest.fixture
def demo(db) -> dict[str, dict[str, str]]:
    load_demo_area()
    db.session.commit()
    return demo_arguments(utcnow())


@pytest.mark.parametrize("person", list(DEMO_PEOPLE))
def test_no_page_view_writes(app, client, demo, person, monkeypatch):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    email = DEMO_PEOPLE[person]
    if email:
        _sign_in(client, email)
    before = _fingerprint()
    written: list[str] = []
    failed: list[str] = []
    walked = 0
    with _writes_watched(database.engine) as writes:
        for rule in walked_rules(app):
            path = page_path(rule, demo)
            response = client.get(path)
            walked += 1
            if response.status_code >= 500:
                failed.append(f"GET {path} -> {response.status_code}")
            written.extend(f"GET {path} ({rule.endpoint}): {sql}" for sql in writes)
            writes.clear()
    assert walked > 90
    assert written == [], "\n".join(written)
    assert failed == []
    after = _fingerprint()
    assert {name: after[name] for name in after if after[name] != before[name]} == {}


def test_the_walk_sees_pages_not_refusals(app, client, demo):
    """The ids are real: a partner gets the vote being counted, its position and the cast page."""
    _sign_in(client, PARTNER)
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    vote_page = client.get(page_path(rules["voting.vote"], demo))
    assert vote_page.status_code == 200
    assert "Closed, being counted" in vote_page.get_data(as_text=True)
    assert client.get(page_path(rules["positions.position"], demo)).status_code == 200
    assert client.get(page_path(rules["voting.cast"], demo)).status_code == 200
    assert client.get(page_path(rules["voting.results"], demo)).status_code == 200
    assert client.get(page_path(rules["accounts.reset_password"], demo)).status_code == 200
    assert client.get(page_path(rules["notifications.from_email"], demo)).status_code == 200


def test_the_guard_sees_a_write(app, db):
    with _writes_watched(database.engine) as writes:
        db.session.execute(sa.update(Area).values(name=Area.name))
    db.session.rollback()
    assert len(writes) == 1
    assert writes[0].startswith("UPDATE areas")
