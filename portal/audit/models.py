"""The audit log: an append-only hash chain of who did what and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.database import UTCDateTime, utcnow
from portal.extensions import Model


class AuditEntry(Model):
    """One thing that happened. Each entry holds the HMAC of the one before it.

    An entry is written *pending* (no sequence, no hashes) in the transaction of the change it
    records, and chained once that commits (``portal.audit.chaining``): its sequence and
    hashes are then set once, and never changed again.
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence: Mapped[int | None] = mapped_column(unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id", ondelete="RESTRICT"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # The actor's email when it happened, so the record reads true after the account changes.
    actor_label: Mapped[str] = mapped_column(sa.String(254))
    action: Mapped[str] = mapped_column(sa.String(64))
    subject_type: Mapped[str | None] = mapped_column(sa.String(64))
    subject_id: Mapped[str | None] = mapped_column(sa.String(64))
    summary: Mapped[str] = mapped_column(sa.Text())
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON(), default=dict)
    previous_hash: Mapped[str | None] = mapped_column(sa.String(64))
    entry_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # The HMAC of the content as written (``portal.audit.chaining.written_mac``): only an
    # entry the portal wrote is chained. Empty on entries chained before it existed.
    written_mac: Mapped[str | None] = mapped_column(sa.String(64))

    actor = relationship("User")

    __table_args__ = (
        sa.CheckConstraint("sequence > 0", name="sequence_positive"),
        # Pending (none of the three) or chained (all three), never half chained.
        sa.CheckConstraint(
            "(sequence IS NULL) = (previous_hash IS NULL) "
            "AND (sequence IS NULL) = (entry_hash IS NULL)",
            name="chained_or_pending",
        ),
        sa.CheckConstraint(
            "sequence IS NOT NULL OR written_mac IS NOT NULL", name="pending_has_written_mac"
        ),
        sa.Index("ix_audit_entries_area_id_sequence", "area_id", "sequence"),
        # Chaining looks for the pending entries on every commit that wrote one.
        sa.Index(
            "ix_audit_entries_pending",
            "id",
            postgresql_where=sa.text("sequence IS NULL"),
            sqlite_where=sa.text("sequence IS NULL"),
        ),
    )


class ChainHeadStamped:
    """A record whose page shows the audit chain's head as it was at one moment.

    When an audit entry with one of ``audit_head_actions`` is recorded about such a record,
    the chain's length and hash just after that entry are kept on it, so a published page
    never changes and anyone holding a copy can ask for the chain to be checked against it.
    """

    audit_head_actions: ClassVar[frozenset[str]] = frozenset()
    audit_head_entries: Mapped[int | None] = mapped_column(nullable=True)
    audit_head_hash: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(mapper: Any, connection: Any, target: AuditEntry) -> None:
    # Chaining is the one update an entry ever has, and it goes through
    # ``portal.audit.chaining`` (a statement that touches only pending rows), not the ORM.
    raise AuditLogIsAppendOnly("audit entries cannot be changed")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise AuditLogIsAppendOnly("audit entries cannot be deleted")
