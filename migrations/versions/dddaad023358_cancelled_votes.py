"""cancelled votes: when, by whom and why a vote was called off

Revision ID: dddaad023358
Revises: b4c22e17e405
Create Date: 2026-11-23 16:52:34.677810

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "dddaad023358"
down_revision = "b4c22e17e405"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("votes") as batch_op:
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("cancellation_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("cancelled_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_votes_cancelled_by_id_users",
            "users",
            ["cancelled_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("votes") as batch_op:
        batch_op.drop_constraint("fk_votes_cancelled_by_id_users", type_="foreignkey")
        batch_op.drop_column("cancelled_by_id")
        batch_op.drop_column("cancellation_reason")
        batch_op.drop_column("cancelled_at")
