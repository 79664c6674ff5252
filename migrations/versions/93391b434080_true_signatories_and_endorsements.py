"""true signatories and a ballot cast once: chosen signatories or endorsers after publication,
and one-time confirmation tokens for casting

Revision ID: 93391b434080
Revises: dddaad023358
Create Date: 2026-12-01 10:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "93391b434080"
down_revision = "980d3fae0701"
branch_labels = None
depends_on = None

NEW_CHOICES = "signatories_choice IN ('voted_for', 'chosen', 'endorsers')"
OLD_CHOICES = "signatories_choice IN ('voted_for', 'all')"


def upgrade():
    with op.batch_alter_table("statements") as batch_op:
        batch_op.drop_constraint(op.f("ck_statements_signatory_choice"), type_="check")
    # "Every organisation that could vote" was a list the officer chose: it is kept as chosen.
    op.execute(
        "UPDATE statements SET signatories_choice = 'chosen' WHERE signatories_choice = 'all'"
    )
    with op.batch_alter_table("statements") as batch_op:
        batch_op.create_check_constraint(op.f("ck_statements_signatory_choice"), NEW_CHOICES)
    op.create_table(
        "statement_endorsements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("endorsed_by_id", sa.Integer(), nullable=True),
        sa.Column("endorsed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["endorsed_by_id"],
            ["users.id"],
            name=op.f("fk_statement_endorsements_endorsed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_statement_endorsements_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_statement_endorsements_statement_id_statements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_endorsements")),
        sa.UniqueConstraint(
            "statement_id",
            "organisation_id",
            name=op.f("uq_statement_endorsements_statement_id_organisation_id"),
        ),
    )

    op.create_table(
        "cast_confirmations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("used", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_cast_confirmations_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["votes.id"],
            name=op.f("fk_cast_confirmations_vote_id_votes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cast_confirmations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_cast_confirmations_token_hash")),
    )


def downgrade():
    op.drop_table("cast_confirmations")
    op.drop_table("statement_endorsements")
    with op.batch_alter_table("statements") as batch_op:
        batch_op.drop_constraint(op.f("ck_statements_signatory_choice"), type_="check")
    op.execute(
        "UPDATE statements SET signatories_choice = 'all' WHERE signatories_choice <> 'voted_for'"
    )
    with op.batch_alter_table("statements") as batch_op:
        batch_op.create_check_constraint(op.f("ck_statements_signatory_choice"), OLD_CHOICES)
