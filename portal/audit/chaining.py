"""Chaining audit entries: giving each committed entry its place in the hash chain.

``record`` writes an entry *pending* (no sequence, no hashes) in the transaction of the change
it records, so the entry commits or rolls back with the change, and takes no lock. Once a
session commits a transaction that recorded something, ``chain_pending`` runs in a short
transaction of its own on a connection of its own: it takes the chain's lock, gives every
committed pending entry, in id order, the next sequence and its previous and own hash, and
commits. Casts in an area therefore never wait for each other's whole transaction, only for
the few milliseconds of one chaining, and one chaining takes everything waiting.

Each entry carries, from the moment it is written, an HMAC of its content under the audit key
(``written_mac``); chaining takes only entries whose HMAC holds, so a row put straight into the
table, or an entry changed while it waited, is never chained and ``verify_chain`` reports it.

Under load, one chaining a commit would cost more than the commits themselves (five round trips
on a connection of its own for each ballot cast), so a process chains at most once every
``AUDIT_CHAIN_DELAY_MS``: the first commit that recorded something starts a timer, the commits
after it join the chaining that timer runs, and a commit during that chaining starts the next
timer. An entry therefore waits that long at most for its place (100 ms unless configured);
a process that ends normally chains what it has due first, and one that is killed leaves it
to the worker's sweep. With the setting at 0 (the test suite) each commit chains its own at
once, before the request answers.

A chaining that finds the lock taken does not wait: whoever holds it, or the next chaining
after it, takes these entries too. The one that holds it may have read the pending entries
just before another commit, so an entry can be left waiting; the worker's sweep (a job of
every round, ``portal.worker``) chains those, so none waits longer than a round.

A record that shows the chain's head on its own page (``ChainHeadStamped``) needs its entry's
sequence and hash in its own transaction: ``chain_in_transaction`` chains there, waiting for
the lock, everything pending (committed, and this transaction's own) up to that entry.

On PostgreSQL the lock is an advisory lock held to the chaining's commit. SQLite has one
writer at a time, so a chaining waits for the others' write transactions instead; one that
cannot write (another wrote after it read) leaves its entries to the next chaining.
"""

from __future__ import annotations

import atexit
import hmac
import logging
import os
import threading
from typing import Any, cast

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from portal.audit.chain import GENESIS_HASH, entry_hash
from portal.audit.models import AuditEntry
from portal.extensions import db

log = logging.getLogger(__name__)

# Any fixed number: PostgreSQL serialises chainings on this advisory lock.
AUDIT_CHAIN_LOCK = 0x47504356
# Set in a session's ``info`` by ``record``: its transaction wrote a pending entry.
RECORDED = "audit_entries_recorded"


# Made over in place of a previous hash when an entry is written, so that HMAC proves the
# portal wrote the entry: a row put straight into the table is never chained (so never signed).
WRITTEN = "written"


def audit_key() -> bytes:
    """The HMAC key: ``PORTAL_AUDIT_KEY``, never stored in the database."""
    return current_app.config["AUDIT_KEY"].encode()


def entry_content(entry: Any) -> dict[str, Any]:
    """What an entry's hash covers: an ``AuditEntry`` or a row of its table."""
    return {
        "sequence": entry.sequence,
        "created_at": entry.created_at.isoformat(),
        "area_id": entry.area_id,
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "summary": entry.summary,
        "details": entry.details,
    }


def written_mac(key: bytes, entry: Any) -> str:
    """The HMAC an entry gets when written, over its content as it is while pending."""
    return entry_hash(key, WRITTEN, entry_content(entry) | {"sequence": None})


def written_by_the_portal(key: bytes, entry: Any) -> bool:
    """Whether a pending entry is as the portal wrote it: its HMAC as written holds."""
    return hmac.compare_digest(written_mac(key, entry), entry.written_mac or "")


_entries = cast(sa.Table, AuditEntry.__table__)
# The chain's last entry: its sequence and hash (no row while nothing is chained).
LAST_CHAINED = (
    sa.select(_entries.c.sequence, _entries.c.entry_hash)
    .where(_entries.c.sequence.is_not(None))
    .order_by(_entries.c.sequence.desc())
    .limit(1)
)
_chaining = (
    sa.update(_entries)
    # Only a pending entry: a chained one is never changed again.
    .where(_entries.c.id == sa.bindparam("chained_id"), _entries.c.sequence.is_(None))
    .values(
        sequence=sa.bindparam("chained_sequence"),
        previous_hash=sa.bindparam("chained_previous_hash"),
        entry_hash=sa.bindparam("chained_entry_hash"),
    )
)


def _take_lock(connection: sa.Connection, *, wait: bool) -> bool:
    if connection.dialect.name != "postgresql":
        return True
    if wait:
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(AUDIT_CHAIN_LOCK)))
        return True
    # Its commit waits for the disk like any other: a chaining lost in a crash would be made
    # again, perhaps in another order, and then disagree with a checkpoint already taken.
    return bool(
        connection.execute(sa.select(sa.func.pg_try_advisory_xact_lock(AUDIT_CHAIN_LOCK))).scalar()
    )


def _chain(connection: sa.Connection, key: bytes) -> list[dict[str, Any]]:
    """Chain every pending entry this connection sees, in id order; the lock must be held."""
    head = LAST_CHAINED.subquery("head")
    # The pending entries, each beside the chain's head: one round trip.
    pending = connection.execute(
        sa.select(
            _entries,
            head.c.sequence.label("head_sequence"),
            head.c.entry_hash.label("head_hash"),
        )
        .select_from(_entries.outerjoin(head, sa.true()))
        .where(_entries.c.sequence.is_(None))
        .order_by(_entries.c.id)
    ).all()
    if not pending:
        return []
    first = pending[0]
    sequence = first.head_sequence or 0
    previous = first.head_hash or GENESIS_HASH
    links = []
    for entry in pending:
        if not written_by_the_portal(key, entry):
            log.error(
                "audit entry %s was not written by the portal, or was changed while it waited: "
                "it is not chained",
                entry.id,
            )
            continue
        sequence += 1
        content = entry_content(entry) | {"sequence": sequence}
        chained = entry_hash(key, previous, content)
        links.append(
            {
                "chained_id": entry.id,
                "chained_sequence": sequence,
                "chained_previous_hash": previous,
                "chained_entry_hash": chained,
            }
        )
        previous = chained
    if links:
        connection.execute(_chaining, links)
    return links


def chain_pending(engine: sa.Engine, key: bytes | None = None) -> int:
    """Chain every committed pending entry in a transaction of its own; how many it chained
    (0 when another chaining holds the lock: that one, or the next, takes them)."""
    key = key or audit_key()
    with engine.begin() as connection:
        if not _take_lock(connection, wait=False):
            return 0
        return len(_chain(connection, key))


class _DeferredChaining:
    """This process's next chaining, at most one at a time: a timer that chains what every
    commit since it started has left pending."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._app: Flask | None = None
        # A forked child (a gunicorn worker) has none of its parent's threads: a timer the
        # parent had started would never fire there, and would stop every later one.
        os.register_at_fork(after_in_child=self._forget)
        # A process that ends normally (a command, a worker told to stop) chains what it has
        # due before it goes; one that is killed leaves it to the worker's sweep.
        atexit.register(self.run_now)

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._timer = None

    @property
    def due(self) -> bool:
        """Whether a chaining is due in this process."""
        return self._timer is not None

    def schedule(self, app: Flask, delay_seconds: float) -> None:
        with self._lock:
            if self._timer is not None:
                return  # the chaining already due takes this commit's entries too
            self._app = app
            # A daemon: the process never waits for it to stop (run_now runs it at exit).
            self._timer = threading.Timer(delay_seconds, self.run_now)
            self._timer.daemon = True
            self._timer.start()

    def run_now(self) -> None:
        """Run the chaining that is due, if any, in this thread."""
        # Cleared first: a commit from now on may come after this chaining's read, so it
        # starts the next timer rather than counting on this one.
        with self._lock:
            timer, app, self._timer = self._timer, self._app, None
        if timer is None or app is None:
            return
        timer.cancel()  # when called at exit: the timer must not run it a second time
        with app.app_context():
            _chain_and_log(db.engine, audit_key())


_deferred = _DeferredChaining()


def _chain_and_log(engine: sa.Engine, key: bytes) -> None:
    try:
        chain_pending(engine, key)
    except sa.exc.OperationalError as error:
        # The change itself has committed; its entries wait for the next chaining or sweep.
        log.warning("audit entries left for the next chaining: %s", error)


def chain_in_transaction(session: Session | sa.orm.scoped_session[Any]) -> None:
    """Chain, inside the session's transaction and waiting for the lock, every entry pending
    so far (committed ones first, then this transaction's own), and bring the session's copies
    of them up to date. The lock is held until the transaction ends."""
    session.flush()
    connection = session.connection()
    _take_lock(connection, wait=True)
    for link in _chain(connection, audit_key()):
        entry = session.identity_map.get(Session.identity_key(AuditEntry, link["chained_id"]))
        if entry is not None:
            set_committed_value(entry, "sequence", link["chained_sequence"])
            set_committed_value(entry, "previous_hash", link["chained_previous_hash"])
            set_committed_value(entry, "entry_hash", link["chained_entry_hash"])


@event.listens_for(db.session, "after_commit")
def _chain_after_commit(session: Session) -> None:
    """Whatever committed it (a request, a command, a worker job, a test), a transaction that
    recorded entries has them chained straight after, or within ``AUDIT_CHAIN_DELAY_MS``."""
    if session.in_nested_transaction() or not session.info.pop(RECORDED, False):
        return
    delay_ms = current_app.config["AUDIT_CHAIN_DELAY_MS"]
    if delay_ms > 0:
        _deferred.schedule(current_app._get_current_object(), delay_ms / 1000)  # type: ignore[attr-defined]
    else:
        _chain_and_log(db.engine, audit_key())
