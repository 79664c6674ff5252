"""Two officers publishing at the same moment.

Two positions: both pick the next reference; the unique constraint makes the second insert wait
for the first transaction and then fail, and the service retries with the next number. One
position twice: the row lock makes the second wait, and it then finds the position published.
Only PostgreSQL runs transactions truly side by side, so these tests run there.
"""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from portal.accounts.models import User
from portal.database import utcnow
from portal.errors import Conflict
from portal.positions.models import Position, Tier
from portal.statements import services
from portal.statements.models import SignatoryChoice, Statement
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"),
    reason="concurrent transactions are tested on PostgreSQL (make test runs it there)",
)


def _waiting_locks(app) -> int:
    from portal.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(
            sa.text("SELECT count(*) FROM pg_locks WHERE NOT granted")
        ).scalar_one()


def _race(app, officer_id: int, first_id: int, second_id: int) -> dict[str, str]:
    """Publish ``first_id`` and hold the transaction until the publishing of ``second_id``
    waits on a lock; then commit both. Return what each publisher got."""
    first_published = threading.Event()
    outcome: dict[str, str] = {}

    def publish(name: str, position_id: int, hold: bool) -> None:
        from portal.extensions import db as database

        with app.app_context():
            session = database.session
            officer = session.get(User, officer_id)
            position = session.get(Position, position_id)
            try:
                statement = services.publish(
                    officer, position, Tier.PUBLIC, SignatoryChoice.ALL, utcnow()
                )
                if hold:
                    first_published.set()
                    deadline = time.monotonic() + 20
                    while _waiting_locks(app) == 0 and time.monotonic() < deadline:
                        time.sleep(0.05)
                session.commit()
                outcome[name] = statement.reference
            except Conflict as conflict:
                session.rollback()
                outcome[name] = conflict.message
            finally:
                session.remove()

    def second() -> None:
        first_published.wait(20)
        publish("second", second_id, False)

    threads: list[threading.Thread] = [
        threading.Thread(target=publish, args=("first", first_id, True)),
        threading.Thread(target=second),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcome


def test_two_statements_published_at_once_get_consecutive_references(app, db, setting):
    vote = setting.closed_vote()
    first = setting.agreed_position(vote, title="First")
    second = setting.agreed_position(vote, title="Second")
    ids = (setting.officer.id, first.id, second.id)
    db.session.commit()
    outcome = _race(app, *ids)
    year = services.publication_year(utcnow())
    assert outcome == {"first": f"GPV-{year}-001", "second": f"GPV-{year}-002"}
    titles = db.session.execute(
        sa.select(Statement.reference, Statement.title).order_by(Statement.reference)
    ).all()
    assert [tuple(row) for row in titles] == [
        (f"GPV-{year}-001", "First"),
        (f"GPV-{year}-002", "Second"),
    ]


def test_one_position_published_twice_at_once_makes_one_statement(app, db, setting):
    position = setting.agreed_position(setting.closed_vote())
    ids = (setting.officer.id, position.id, position.id)
    db.session.commit()
    outcome = _race(app, *ids)
    assert outcome["first"].startswith("GPV-")
    assert outcome["second"] == "This position has already been published"
    assert db.session.execute(sa.select(sa.func.count(Statement.id))).scalar_one() == 1
