"""audit chain: HMAC-SHA256 keyed by PORTAL_AUDIT_KEY; chain head kept on statements and votes

Revision ID: 77d1b22f7cd6
Revises: dddaad023358
Create Date: 2026-12-01 10:40:00.000000

The existing chain is checked under the old rule (plain SHA-256) and then re-hashed with the
key, so a chain altered before this migration is not laundered into a valid one: the
migration stops instead. A statement already published and a vote already closed get the head
just after their own "published" or "closed" entry, as if they had been stamped then.
"""

import hashlib
import hmac

import sqlalchemy as sa
from alembic import op
from flask import current_app

from portal.audit.chain import GENESIS_HASH, canonical
from portal.database import UTCDateTime

# revision identifiers, used by Alembic.
revision = "77d1b22f7cd6"
down_revision = "b9fd16e64281"
branch_labels = None
depends_on = None

audit_entries = sa.table(
    "audit_entries",
    sa.column("id", sa.Integer()),
    sa.column("sequence", sa.Integer()),
    sa.column("created_at", UTCDateTime()),
    sa.column("area_id", sa.Integer()),
    sa.column("actor_id", sa.Integer()),
    sa.column("actor_label", sa.String()),
    sa.column("action", sa.String()),
    sa.column("subject_type", sa.String()),
    sa.column("subject_id", sa.String()),
    sa.column("summary", sa.Text()),
    sa.column("details", sa.JSON()),
    sa.column("previous_hash", sa.String()),
    sa.column("entry_hash", sa.String()),
)
STAMPED = (("statements", "Statement", "statement.published"), ("votes", "Vote", "vote.closed"))


def _content(row):
    return {
        "sequence": row.sequence,
        "created_at": row.created_at.isoformat(),
        "area_id": row.area_id,
        "actor_id": row.actor_id,
        "actor_label": row.actor_label,
        "action": row.action,
        "subject_type": row.subject_type,
        "subject_id": row.subject_id,
        "summary": row.summary,
        "details": row.details,
    }


def _plain(previous_hash, content):
    return hashlib.sha256(previous_hash.encode("ascii") + canonical(content)).hexdigest()


def _keyed(previous_hash, content):
    key = current_app.config["AUDIT_KEY"].encode()
    return hmac.new(key, previous_hash.encode("ascii") + canonical(content), "sha256").hexdigest()


def _rehash(old_rule, new_rule):
    connection = op.get_bind()
    rows = connection.execute(sa.select(audit_entries).order_by(audit_entries.c.sequence))
    old_previous = new_previous = GENESIS_HASH
    for row in rows.all():
        content = _content(row)
        if row.previous_hash != old_previous or old_rule(old_previous, content) != row.entry_hash:
            raise RuntimeError(
                f"audit entry {row.sequence} does not verify; run audit-verify before migrating"
            )
        new_hash = new_rule(new_previous, content)
        connection.execute(
            audit_entries.update()
            .where(audit_entries.c.id == row.id)
            .values(previous_hash=new_previous, entry_hash=new_hash)
        )
        old_previous, new_previous = row.entry_hash, new_hash


def upgrade():
    for table, _subject_type, _action in STAMPED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("audit_head_entries", sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column("audit_head_hash", sa.String(64), nullable=True))
    _rehash(_plain, _keyed)
    connection = op.get_bind()
    for table, subject_type, action in STAMPED:
        stamped = sa.table(
            table,
            sa.column("id", sa.Integer()),
            sa.column("audit_head_entries", sa.Integer()),
            sa.column("audit_head_hash", sa.String()),
        )
        entries = connection.execute(
            sa.select(
                audit_entries.c.subject_id, audit_entries.c.sequence, audit_entries.c.entry_hash
            ).where(audit_entries.c.action == action, audit_entries.c.subject_type == subject_type)
        ).all()
        for subject_id, sequence, entry_hash in entries:
            connection.execute(
                stamped.update()
                .where(stamped.c.id == int(subject_id))
                .values(audit_head_entries=sequence, audit_head_hash=entry_hash)
            )


def downgrade():
    _rehash(_keyed, _plain)
    for table, _subject_type, _action in STAMPED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("audit_head_hash")
            batch_op.drop_column("audit_head_entries")
