"""Writing to and checking the audit log. Every service that changes something calls
``record`` in the same transaction, so the entry commits or rolls back with the change; it is
chained once committed (``portal.audit.chaining``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import sqlalchemy as sa

from portal.audit.chain import GENESIS_HASH, ChainedEntry, ChainFault, ChainHead, first_fault
from portal.audit.chaining import (
    LAST_CHAINED,
    RECORDED,
    audit_key,
    chain_in_transaction,
    entry_content,
    written_by_the_portal,
    written_mac,
)
from portal.audit.models import AuditEntry, ChainHeadStamped
from portal.database import insert_at_once, utcnow
from portal.extensions import db


class Actor(Protocol):
    """Who acted: a ``portal.accounts`` user. The log is part of the shared core, so it names
    only what it reads, never the domain's class."""

    @property
    def id(self) -> int: ...

    @property
    def email(self) -> str: ...


class Place(Protocol):
    """The area an entry belongs to: a ``portal.organisations`` area."""

    @property
    def id(self) -> int: ...


def record(
    action: str,
    summary: str,
    *,
    actor: Actor | None,
    area: Place | None = None,
    subject: Any = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one entry, pending, in the caller's transaction; it is chained after the commit.
    ``subject`` is any model with an ``id``. When ``subject`` shows the chain's head for this
    action, the entry is chained now, so the head kept on it is this entry's."""
    session = db.session
    entry = AuditEntry(
        created_at=utcnow(),
        area_id=area.id if area is not None else None,
        actor_id=actor.id if actor is not None else None,
        actor_label=actor.email if actor is not None else "system",
        action=action,
        subject_type=type(subject).__name__ if subject is not None else None,
        subject_id=str(subject.id) if subject is not None else None,
        summary=summary,
        details=details or {},
        # Pending: chained once committed.
        sequence=None,
        previous_hash=None,
        entry_hash=None,
    )
    entry.written_mac = written_mac(audit_key(), entry)
    insert_at_once(session, entry)
    session.info[RECORDED] = True
    if isinstance(subject, ChainHeadStamped) and action in subject.audit_head_actions:
        chain_in_transaction(session)
        subject.audit_head_entries = entry.sequence
        subject.audit_head_hash = entry.entry_hash
    return entry


def chain_head() -> ChainHead:
    """The chain as it stands: its number of entries and its last hash (entries still pending
    are not in it yet)."""
    last = db.session.execute(LAST_CHAINED).first()
    return ChainHead(last.sequence, last.entry_hash) if last else ChainHead(0, GENESIS_HASH)


def pending_entries(area: Place | None = None) -> int:
    """How many entries (of ``area``, or of all) are committed but not chained yet."""
    query = sa.select(sa.func.count()).where(AuditEntry.sequence.is_(None))
    if area is not None:
        query = query.where(AuditEntry.area_id == area.id)
    return int(db.session.scalar(query) or 0)


def published_heads() -> list[ChainHead]:
    """Every head stamped on a published record (statements, closed votes), for checking."""
    heads: list[ChainHead] = []
    for model in ChainHeadStamped.__subclasses__():
        rows = db.session.execute(
            sa.select(model.audit_head_entries, model.audit_head_hash).where(
                model.audit_head_entries.is_not(None)
            )
        )
        # Only stamped rows come back; one whose hash was removed checks as a wrong hash.
        heads.extend(ChainHead(entries or 0, head_hash or "") for entries, head_hash in rows)
    return heads


def verify_chain(
    checkpoints: Iterable[ChainHead] = (), batch_size: int = 5000
) -> ChainFault | None:
    """Walk the whole chain in order and return its first fault, if any.

    The chain must meet every given checkpoint and every head shown on a published page.
    Entries still pending are not in the chain yet, so not walked.
    """

    def entries() -> Any:
        query = (
            sa.select(AuditEntry)
            .where(AuditEntry.sequence.is_not(None))
            .order_by(AuditEntry.sequence)
        )
        for entry in db.session.execute(query.execution_options(yield_per=batch_size)).scalars():
            # The query takes chained entries only, and a chained entry has all three.
            assert entry.sequence is not None
            assert entry.previous_hash is not None
            assert entry.entry_hash is not None
            yield ChainedEntry(
                sequence=entry.sequence,
                previous_hash=entry.previous_hash,
                entry_hash=entry.entry_hash,
                content=entry_content(entry),
            )

    key = audit_key()
    return first_fault(entries(), key, [*checkpoints, *published_heads()]) or _forged_pending(key)


def _forged_pending(key: bytes) -> ChainFault | None:
    """The first waiting entry the portal did not write as it stands (inserted or changed
    behind its back), if any: chaining leaves such an entry out, so it would wait forever."""
    for entry in db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.sequence.is_(None)).order_by(AuditEntry.id)
    ):
        if not written_by_the_portal(key, entry):
            return ChainFault(
                chain_head().entries + 1,
                f"the waiting entry with id {entry.id} was not written by the portal, or was "
                "changed while it waited",
            )
    return None
