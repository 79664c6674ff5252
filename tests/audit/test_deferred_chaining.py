"""A deployment chains audit entries a moment after their commits, several commits at a time.

With ``AUDIT_CHAIN_DELAY_MS`` above 0 (every environment but the suite's), a commit that
recorded something starts a timer if none is running; the commits until it fires join the one
chaining it runs, which the request never waits for. The suite runs with the setting at 0.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from portal.audit import chaining
from portal.audit.services import chain_head, pending_entries, record, verify_chain
from tests.factories import make_area

ROOT = Path(__file__).resolve().parents[2]
# Long enough that three commits in a row always fall inside it, short enough for a test.
DELAY_MS = 1500


@pytest.fixture
def chainings(app, monkeypatch) -> list[int]:
    """Chaining deferred by DELAY_MS; the list gets how many entries each chaining took."""
    monkeypatch.setitem(app.config, "AUDIT_CHAIN_DELAY_MS", DELAY_MS)
    taken: list[int] = []
    chain = chaining._chain

    def counted(connection, key):
        links = chain(connection, key)
        taken.append(len(links))
        return links

    monkeypatch.setattr(chaining, "_chain", counted)
    return taken


def _wait_until_chained(db, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while pending_entries() and time.monotonic() < deadline:
        db.session.rollback()  # a fresh snapshot for the next look
        time.sleep(0.05)


def test_commits_in_a_row_answer_at_once_and_are_chained_together_soon_after(db, chainings):
    area = make_area()
    db.session.commit()
    started = time.monotonic()
    for number in range(3):
        record("test.deferred", f"Deferred {number + 1}", actor=None, area=area)
        db.session.commit()
    committed_in = time.monotonic() - started

    assert committed_in < DELAY_MS / 1000  # no commit waited for a chaining
    assert pending_entries() == 3
    assert chainings == []

    _wait_until_chained(db)

    assert pending_entries() == 0
    assert chainings == [3]  # one chaining took all three
    assert chain_head().entries == 3
    assert verify_chain() is None


def test_a_commit_after_a_chaining_starts_the_next_one(db, chainings):
    area = make_area()
    record("test.first", "First", actor=None, area=area)
    db.session.commit()
    _wait_until_chained(db)
    record("test.second", "Second", actor=None, area=area)
    db.session.commit()
    assert pending_entries() == 1

    _wait_until_chained(db)

    assert pending_entries() == 0
    assert chainings == [1, 1]
    assert chain_head().entries == 2
    assert verify_chain() is None


def test_a_commit_that_records_nothing_starts_no_chaining(db, chainings):
    make_area()
    db.session.commit()
    time.sleep(DELAY_MS / 1000 + 0.5)
    assert chainings == []


def test_a_forked_worker_starts_with_no_chaining_due(db, chainings):
    """gunicorn forks its workers: a timer of the parent's never fires in a child."""
    area = make_area()
    record("test.parent", "Committed in the parent", actor=None, area=area)
    db.session.commit()
    assert chaining._deferred.due
    child = os.fork()
    if child == 0:  # the child: report and leave at once, running nothing of the parent's
        os._exit(0 if not chaining._deferred.due else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    _wait_until_chained(db)
    assert chainings == [1]


def test_a_process_that_ends_chains_what_it_had_due_first(app, db, tmp_path):
    """A command (or a worker told to stop) that committed a moment before it ended."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    script = textwrap.dedent(
        f"""
        from config import load_settings
        from portal import create_app
        from portal.audit.services import record
        from portal.extensions import db

        app = create_app({{
            **load_settings("testing"),
            "DATABASE_URL": {url!r},
            "OUTBOX_DIR": {str(tmp_path / "outbox")!r},
            "AUDIT_CHAIN_DELAY_MS": 600_000,
        }})
        with app.app_context():
            record("test.at_exit", "Committed just before the process ended", actor=None)
            db.session.commit()
        """
    )
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=120)
    assert time.monotonic() - started < 120  # it did not wait out the timer

    assert pending_entries() == 0
    assert chain_head().entries == 1
    assert verify_chain() is None
