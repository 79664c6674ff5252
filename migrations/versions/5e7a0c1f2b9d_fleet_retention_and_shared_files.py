"""retention: when a vote's ballot links were removed, when a member left and was anonymised;
proposal documents stored in the database

Revision ID: 5e7a0c1f2b9d
Revises: 5367fefa1149
Create Date: 2026-12-01 13:40:00.000000

Accounts already deactivated have no deactivation date: they get the migration's moment, so
their retention period starts now rather than their data going at once.

Proposal documents move from the upload folder (``UPLOAD_DIR``, default ``instance/uploads``)
into ``proposal_documents.content``, so that every instance serves them from the one database.
The files are read, not deleted; a file already missing leaves its document without content
(its download answers 404, as it did). A downgrade drops the column: documents uploaded after
the upgrade exist only there and are lost with it.
"""

import re
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from flask import current_app, has_app_context

from portal.database import UTCDateTime

# revision identifiers, used by Alembic.
revision = "5e7a0c1f2b9d"
down_revision = "5367fefa1149"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("records_removed_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deactivated_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("anonymised_at", UTCDateTime(), nullable=True))
    users = sa.table(
        "users", sa.column("active", sa.Boolean()), sa.column("deactivated_at", UTCDateTime())
    )
    op.execute(
        users.update()
        .where(users.c.active.is_(sa.false()))
        .values(deactivated_at=datetime.now(UTC))
    )

    with op.batch_alter_table("proposal_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content", sa.LargeBinary(), nullable=True))
    _move_uploaded_files_into_the_database()


def _move_uploaded_files_into_the_database() -> None:
    if not has_app_context():
        return  # plain Alembic without the app: no upload folder to read
    configured = current_app.config.get("UPLOAD_DIR")
    directory = Path(configured) if configured else Path(current_app.instance_path) / "uploads"
    documents = sa.table(
        "proposal_documents",
        sa.column("id", sa.Integer()),
        sa.column("storage_key", sa.String()),
        sa.column("content", sa.LargeBinary()),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(documents.c.id, documents.c.storage_key)).all()
    for document_id, key in rows:
        path = directory / key
        if re.fullmatch(r"[0-9a-f]{64}", key) and path.is_file():
            bind.execute(
                documents.update()
                .where(documents.c.id == document_id)
                .values(content=path.read_bytes())
            )


def downgrade() -> None:
    with op.batch_alter_table("proposal_documents", schema=None) as batch_op:
        batch_op.drop_column("content")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("anonymised_at")
        batch_op.drop_column("deactivated_at")
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.drop_column("records_removed_at")
