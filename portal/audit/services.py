"""Writing to and checking the audit log. Every service that changes something calls
``record`` in the same transaction, so the entry commits or rolls back with the change."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import sqlalchemy as sa
from flask import current_app

from portal.audit.chain import (
    GENESIS_HASH,
    ChainedEntry,
    ChainFault,
    ChainHead,
    entry_hash,
    first_fault,
)
from portal.audit.models import AuditEntry, ChainHeadStamped
from portal.database import utcnow
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


# Any fixed number: PostgreSQL serialises chain appends on this advisory lock.
AUDIT_CHAIN_LOCK = 0x47504356


def audit_key() -> bytes:
    """The HMAC key: ``PORTAL_AUDIT_KEY``, never stored in the database."""
    return current_app.config["AUDIT_KEY"].encode()


def entry_content(entry: AuditEntry) -> dict[str, Any]:
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


def record(
    action: str,
    summary: str,
    *,
    actor: Actor | None,
    area: Place | None = None,
    subject: Any = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the chain. ``subject`` is any model with an ``id``."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(AUDIT_CHAIN_LOCK)))
    last = session.execute(
        sa.select(AuditEntry.sequence, AuditEntry.entry_hash)
        .order_by(AuditEntry.sequence.desc())
        .limit(1)
    ).first()
    sequence, previous_hash = (last.sequence + 1, last.entry_hash) if last else (1, GENESIS_HASH)
    entry = AuditEntry(
        sequence=sequence,
        created_at=utcnow(),
        area_id=area.id if area is not None else None,
        actor_id=actor.id if actor is not None else None,
        actor_label=actor.email if actor is not None else "system",
        action=action,
        subject_type=type(subject).__name__ if subject is not None else None,
        subject_id=str(subject.id) if subject is not None else None,
        summary=summary,
        details=details or {},
        previous_hash=previous_hash,
    )
    entry.entry_hash = entry_hash(audit_key(), previous_hash, entry_content(entry))
    session.add(entry)
    session.flush()
    if isinstance(subject, ChainHeadStamped) and action in subject.audit_head_actions:
        subject.audit_head_entries = entry.sequence
        subject.audit_head_hash = entry.entry_hash
    return entry


def chain_head() -> ChainHead:
    """The chain as it stands: its number of entries and its last hash."""
    last = db.session.execute(
        sa.select(AuditEntry.sequence, AuditEntry.entry_hash)
        .order_by(AuditEntry.sequence.desc())
        .limit(1)
    ).first()
    return ChainHead(last.sequence, last.entry_hash) if last else ChainHead(0, GENESIS_HASH)


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
    """

    def entries() -> Any:
        query = sa.select(AuditEntry).order_by(AuditEntry.sequence)
        for entry in db.session.execute(query.execution_options(yield_per=batch_size)).scalars():
            yield ChainedEntry(
                sequence=entry.sequence,
                previous_hash=entry.previous_hash,
                entry_hash=entry.entry_hash,
                content=entry_content(entry),
            )

    return first_fault(entries(), audit_key(), [*checkpoints, *published_heads()])
