"""statements from election results; comments their authors may change or delete

A statement's source is a position or an election. A comment keeps when it was edited or
deleted, and each earlier text in comment_changes for the officers. A position keeps when
members were reminded that its consultation closes, and a vote the ICS proposal it answers.

Revision ID: 5e1c7a9d2b40
Revises: 5e7a0c1f2b9d
Create Date: 2026-12-01 13:30:00.000000

Every statement published so far came from a position, so each is marked so. A statement from
an election has no position, revision, vote or signatories, and keeps a copy of the result it
published; a check constraint holds exactly one source on every row.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5e1c7a9d2b40"
down_revision = "5e7a0c1f2b9d"
branch_labels = None
depends_on = None

EXACTLY_ONE_SOURCE = (
    "(source = 'position' AND position_id IS NOT NULL AND revision_id IS NOT NULL"
    " AND signatories_choice IS NOT NULL AND election_id IS NULL"
    " AND election_result IS NULL)"
    " OR (source = 'election' AND election_id IS NOT NULL AND election_result IS NOT NULL"
    " AND position_id IS NULL AND revision_id IS NULL AND vote_id IS NULL"
    " AND signatories_choice IS NULL)"
)


def upgrade():
    with op.batch_alter_table("statements") as batch_op:
        batch_op.add_column(
            sa.Column(
                "source",
                sa.Enum(
                    "position",
                    "election",
                    name="statement_source",
                    native_enum=False,
                    create_constraint=True,
                    length=8,
                ),
                server_default="position",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("election_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("election_result", sa.JSON(), nullable=True))
        batch_op.alter_column("position_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("revision_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column(
            "signatories_choice", existing_type=sa.String(length=9), nullable=True
        )
        batch_op.create_unique_constraint(op.f("uq_statements_election_id"), ["election_id"])
        batch_op.create_foreign_key(
            op.f("fk_statements_election_id_elections"),
            "elections",
            ["election_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_check_constraint(
            op.f("ck_statements_exactly_one_source"), EXACTLY_ONE_SOURCE
        )

    with op.batch_alter_table("positions") as batch_op:
        batch_op.add_column(sa.Column("consultation_reminded_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("votes") as batch_op:
        batch_op.add_column(sa.Column("proposal_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_votes_proposal_id_proposals"),
            "proposals",
            ["proposal_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("comments") as batch_op:
        batch_op.add_column(sa.Column("edited_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_comments_deleted_keeps_no_text"), "deleted_at IS NULL OR body_markdown = ''"
        )
    op.create_table(
        "comment_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "edited",
                "deleted",
                name="comment_change_kind",
                native_enum=False,
                create_constraint=True,
                length=7,
            ),
            nullable=False,
        ),
        sa.Column("previous_markdown", sa.Text(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["users.id"],
            name=op.f("fk_comment_changes_changed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_comment_changes_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_changes")),
    )


def downgrade():
    # An election's statement has no position to go back to, and a comment's history has
    # nowhere to go: refuse rather than lose either.
    connection = op.get_bind()
    published = connection.execute(
        sa.text("SELECT count(*) FROM statements WHERE source = 'election'")
    )
    if published.scalar_one():
        raise RuntimeError("statements from election results exist: they cannot be downgraded")
    if connection.execute(sa.text("SELECT count(*) FROM comment_changes")).scalar_one():
        raise RuntimeError("comments have been changed or deleted: they cannot be downgraded")
    op.drop_table("comment_changes")
    with op.batch_alter_table("comments") as batch_op:
        batch_op.drop_constraint(op.f("ck_comments_deleted_keeps_no_text"), type_="check")
        batch_op.drop_column("deleted_at")
        batch_op.drop_column("edited_at")
    with op.batch_alter_table("positions") as batch_op:
        batch_op.drop_column("consultation_reminded_at")
    with op.batch_alter_table("votes") as batch_op:
        batch_op.drop_constraint(op.f("fk_votes_proposal_id_proposals"), type_="foreignkey")
        batch_op.drop_column("proposal_id")
    with op.batch_alter_table("statements") as batch_op:
        batch_op.drop_constraint(op.f("ck_statements_exactly_one_source"), type_="check")
        batch_op.drop_constraint(op.f("ck_statements_statement_source"), type_="check")
        batch_op.drop_constraint(op.f("fk_statements_election_id_elections"), type_="foreignkey")
        batch_op.drop_constraint(op.f("uq_statements_election_id"), type_="unique")
        batch_op.alter_column(
            "signatories_choice", existing_type=sa.String(length=9), nullable=False
        )
        batch_op.alter_column("revision_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("position_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("election_result")
        batch_op.drop_column("election_id")
        batch_op.drop_column("source")
