"""audit entries chained after commit: an entry is written pending and chained just after

An audit entry is now written without its sequence and hashes in the transaction of the
change it records, and chained in a short transaction of its own once that commits, so casts
in an area no longer queue on one lock for each other's whole transaction. The three columns
become nullable, a check keeps them all set or all empty, and a partial index finds the
pending entries. Each entry also keeps the HMAC of its content as written, so only an entry
the portal wrote is ever chained. Every entry already in the log is chained, so the upgrade
changes no row.

Revision ID: c41f0a9e7d25
Revises: 2a0776028e69
Create Date: 2026-12-01 20:15:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c41f0a9e7d25"
down_revision = "2a0776028e69"
branch_labels = None
depends_on = None

PENDING = "sequence IS NULL"


def upgrade():
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.alter_column("sequence", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("previous_hash", existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column("entry_hash", existing_type=sa.String(length=64), nullable=True)
        batch_op.add_column(sa.Column("written_mac", sa.String(length=64), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_audit_entries_chained_or_pending"),
            "(sequence IS NULL) = (previous_hash IS NULL) "
            "AND (sequence IS NULL) = (entry_hash IS NULL)",
        )
        batch_op.create_check_constraint(
            op.f("ck_audit_entries_pending_has_written_mac"),
            "sequence IS NOT NULL OR written_mac IS NOT NULL",
        )
        batch_op.create_index(
            op.f("ix_audit_entries_pending"),
            ["id"],
            unique=False,
            postgresql_where=sa.text(PENDING),
            sqlite_where=sa.text(PENDING),
        )


def downgrade():
    # Only the portal holds the key to chain what is pending; the worker does it each round.
    pending = op.get_bind().scalar(sa.text(f"SELECT count(*) FROM audit_entries WHERE {PENDING}"))  # noqa: S608
    if pending:
        raise RuntimeError(
            f"{pending} audit entries are not chained yet: run `flask --app wsgi worker --once` "
            "first, then downgrade"
        )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index(op.f("ix_audit_entries_pending"))
        batch_op.drop_constraint(op.f("ck_audit_entries_pending_has_written_mac"), type_="check")
        batch_op.drop_constraint(op.f("ck_audit_entries_chained_or_pending"), type_="check")
        batch_op.drop_column("written_mac")
        batch_op.alter_column("entry_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("previous_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("sequence", existing_type=sa.Integer(), nullable=False)
