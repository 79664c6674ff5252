"""nominations: a standing candidate may withdraw, with a reason

Revision ID: 658fa489ba4c
Revises: f0abb84f2cbd
Create Date: 2026-12-01 11:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "658fa489ba4c"
down_revision = "93391b434080"
branch_labels = None
depends_on = None

OLD_STATES = ("awaiting_seconder", "awaiting_acceptance", "accepted")
NEW_STATES = (*OLD_STATES, "withdrawn")


def _state_check(states):
    return "state IN (" + ", ".join(f"'{state}'" for state in states) + ")"


def upgrade():
    with op.batch_alter_table("nominations") as batch_op:
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("withdrawal_reason", sa.String(length=500), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_nominations_withdrawn_by_id_users"),
            "users",
            ["withdrawn_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.drop_constraint(op.f("ck_nominations_nomination_state"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_nominations_nomination_state"), _state_check(NEW_STATES)
        )
        batch_op.create_check_constraint(
            op.f("ck_nominations_withdrawn_state"),
            "(state = 'withdrawn') = (withdrawn_at IS NOT NULL AND withdrawal_reason IS NOT NULL)",
        )


def downgrade():
    # The older schema cannot hold a withdrawal: the withdrawn nominations go with it.
    op.execute("DELETE FROM nominations WHERE state = 'withdrawn'")
    with op.batch_alter_table("nominations") as batch_op:
        batch_op.drop_constraint(op.f("ck_nominations_withdrawn_state"), type_="check")
        batch_op.drop_constraint(op.f("ck_nominations_nomination_state"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_nominations_nomination_state"), _state_check(OLD_STATES)
        )
        batch_op.drop_constraint(
            batch_op.f("fk_nominations_withdrawn_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("withdrawal_reason")
        batch_op.drop_column("withdrawn_by_id")
        batch_op.drop_column("withdrawn_at")
