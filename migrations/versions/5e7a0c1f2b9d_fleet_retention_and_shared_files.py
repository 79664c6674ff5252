"""retention: when a vote's ballot links were removed, when a member left and was anonymised

Revision ID: 5e7a0c1f2b9d
Revises: 77d1b22f7cd6
Create Date: 2026-12-01 13:40:00.000000

Accounts already deactivated have no deactivation date: they get the migration's moment, so
their retention period starts now rather than their data going at once.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from portal.database import UTCDateTime

# revision identifiers, used by Alembic.
revision = "5e7a0c1f2b9d"
down_revision = "77d1b22f7cd6"
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


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("anonymised_at")
        batch_op.drop_column("deactivated_at")
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.drop_column("records_removed_at")
