"""Two transactions truly side by side, for the tests of what happens at the same moment.

Only PostgreSQL runs transactions side by side (SQLite lets one writer in at a time), so these
tests are marked ``postgresql_only``; ``make test`` runs them there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from portal.errors import Conflict
from tests.conftest import TEST_DATABASE_URL

postgresql_only = pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"),
    reason="concurrent transactions are tested on PostgreSQL (make test runs it there)",
)


def waiting_locks(app) -> int:
    from portal.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(
            sa.text("SELECT count(*) FROM pg_locks WHERE NOT granted")
        ).scalar_one()


def race(app, first: Callable[[], object], second: Callable[[], object]) -> tuple[object, object]:
    """Run ``first`` in its own transaction and keep it open until ``second``, started once
    ``first`` has done its work, waits on one of its locks; then commit each.

    Each work runs in the app context of its own thread and session. Return what each
    returned, or the message of the ``Conflict`` it raised (its transaction rolled back).
    """
    first_done = threading.Event()
    outcomes: list[object] = [None, None]

    def run(index: int, work: Callable[[], object]) -> None:
        from portal.extensions import db

        if index == 1:
            first_done.wait(20)
        with app.app_context():
            session = db.session
            try:
                outcomes[index] = work()
                if index == 0:
                    first_done.set()
                    deadline = time.monotonic() + 20
                    while waiting_locks(app) == 0 and time.monotonic() < deadline:
                        time.sleep(0.05)
                session.commit()
            except Conflict as conflict:
                session.rollback()
                outcomes[index] = conflict.message
            finally:
                first_done.set()
                session.remove()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes[0], outcomes[1]
