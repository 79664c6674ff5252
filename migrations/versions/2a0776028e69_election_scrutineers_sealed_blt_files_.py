"""election scrutineers, sealed BLT files, receipts sealed under their code

A secret election's BLT file is now sealed to its scrutineers at the count and its SHA-256
published; an election's receipts keep a secret election's ranking only sealed under the
receipt code. Elections counted before this keep what they had; their fingerprint is
filled in from the BLT file they kept.

Revision ID: 2a0776028e69
Revises: 8b2305c3f4d9
Create Date: 2026-12-01 16:36:40.931722

"""

import hashlib

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "2a0776028e69"
down_revision = "8b2305c3f4d9"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "election_scrutineers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("appointed_at", sa.DateTime(), nullable=False),
        sa.Column("passphrase_set_at", sa.DateTime(), nullable=True),
        sa.Column("public_key", sa.LargeBinary(), nullable=True),
        sa.Column("sealed_private_key", sa.LargeBinary(), nullable=True),
        sa.Column("key_salt", sa.LargeBinary(), nullable=True),
        sa.Column("key_cost", sa.Integer(), nullable=True),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_election_scrutineers_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_election_scrutineers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_election_scrutineers")),
        sa.UniqueConstraint(
            "election_id", "user_id", name=op.f("uq_election_scrutineers_election_id_user_id")
        ),
    )
    with op.batch_alter_table("election_receipts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_ranking", sa.LargeBinary(), nullable=True))
        batch_op.alter_column("ranking_names", existing_type=sa.JSON(), nullable=True)
        batch_op.create_check_constraint(
            op.f("ck_election_receipts_ranking_clear_or_sealed"),
            "(ranking_names IS NULL) <> (sealed_ranking IS NULL)",
        )

    with op.batch_alter_table("elections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ballots_blt_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("sealed_ballots_blt", sa.LargeBinary(), nullable=True))

    connection = op.get_bind()
    elections = sa.table(
        "elections",
        sa.column("id", sa.Integer()),
        sa.column("ballots_blt", sa.Text()),
        sa.column("ballots_blt_sha256", sa.String()),
    )
    counted = connection.execute(
        sa.select(elections.c.id, elections.c.ballots_blt).where(
            elections.c.ballots_blt.is_not(None)
        )
    ).all()
    for election_id, blt in counted:
        connection.execute(
            elections.update()
            .where(elections.c.id == election_id)
            .values(ballots_blt_sha256=hashlib.sha256(blt.encode()).hexdigest())
        )


def downgrade():
    with op.batch_alter_table("elections", schema=None) as batch_op:
        batch_op.drop_column("sealed_ballots_blt")
        batch_op.drop_column("ballots_blt_sha256")

    # The older schema has no place for a ranking sealed under its code: those receipts go.
    op.execute("DELETE FROM election_receipts WHERE ranking_names IS NULL")
    with op.batch_alter_table("election_receipts", schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f("ck_election_receipts_ranking_clear_or_sealed"), type_="check"
        )
        batch_op.alter_column("ranking_names", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column("sealed_ranking")

    op.drop_table("election_scrutineers")
