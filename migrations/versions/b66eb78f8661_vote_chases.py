"""vote chases: the reminders officers send to organisations that have not voted yet

Revision ID: b66eb78f8661
Revises: dddaad023358
Create Date: 2026-12-01 10:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b66eb78f8661"
down_revision = "658fa489ba4c"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "vote_chases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("organisations", sa.Integer(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "organisations >= 0", name=op.f("ck_vote_chases_organisations_not_negative")
        ),
        sa.CheckConstraint("recipients >= 0", name=op.f("ck_vote_chases_recipients_not_negative")),
        sa.ForeignKeyConstraint(
            ["vote_id"], ["votes.id"], name=op.f("fk_vote_chases_vote_id_votes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"],
            ["users.id"],
            name=op.f("fk_vote_chases_sent_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_chases")),
    )
    op.create_index("ix_vote_chases_vote_sent", "vote_chases", ["vote_id", "sent_at"])


def downgrade():
    op.drop_index("ix_vote_chases_vote_sent", table_name="vote_chases")
    op.drop_table("vote_chases")
