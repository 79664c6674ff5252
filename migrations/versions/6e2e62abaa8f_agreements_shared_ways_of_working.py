"""agreements: shared ways of working, and a vote's optional explicit electorate

Revision ID: 6e2e62abaa8f
Revises: 9b312527a9a9
Create Date: 2026-12-01 13:23:01.531456

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "6e2e62abaa8f"
down_revision = "9b312527a9a9"
branch_labels = None
depends_on = None


def upgrade():
    # A vote may name its electorate: the practices signed up to an agreement vote on it.
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_ids", sa.JSON(), nullable=True))
    op.create_table(
        "agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("lead_organisation_id", sa.Integer(), nullable=False),
        sa.Column("gives_up", sa.Text(), nullable=False),
        sa.Column("gets", sa.Text(), nullable=False),
        sa.Column("who_does_what_markdown", sa.Text(), nullable=False),
        sa.Column("oversight", sa.Text(), nullable=False),
        sa.Column(
            "report_frequency",
            sa.Enum(
                "monthly",
                "quarterly",
                "six_monthly",
                "yearly",
                name="report_frequency",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("minimum_term_months", sa.Integer(), nullable=False),
        sa.Column("notice_period_months", sa.Integer(), nullable=False),
        sa.Column(
            "cost_sharing",
            sa.Enum(
                "per_patient",
                "equal",
                name="cost_sharing",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("annual_cost", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column(
            "vote_weighting",
            sa.Enum(
                "equal",
                "list_size",
                "weighted_list_size",
                name="agreement_vote_weighting",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("visible_to_ics", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("gets <> ''", name=op.f("ck_agreements_gets_not_empty")),
        sa.CheckConstraint("gives_up <> ''", name=op.f("ck_agreements_gives_up_not_empty")),
        sa.CheckConstraint("title <> ''", name=op.f("ck_agreements_title_not_empty")),
        sa.CheckConstraint(
            "annual_cost IS NULL OR annual_cost >= 0", name=op.f("ck_agreements_cost_not_negative")
        ),
        sa.CheckConstraint(
            "minimum_term_months >= 0 AND minimum_term_months <= 120",
            name=op.f("ck_agreements_minimum_term_in_range"),
        ),
        sa.CheckConstraint(
            "notice_period_months >= 1 AND notice_period_months <= 36",
            name=op.f("ck_agreements_notice_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_agreements_area_id_areas"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_agreements_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lead_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_agreements_lead_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreements")),
        sa.UniqueConstraint("area_id", "title", name=op.f("uq_agreements_area_id_title")),
    )
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.create_index("ix_agreements_area_id", ["area_id"], unique=False)

    op.create_table(
        "agreement_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "red",
                "amber",
                "green",
                name="rag_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("working", sa.Text(), nullable=False),
        sa.Column("not_working", sa.Text(), nullable=False),
        sa.Column("posted_by_id", sa.Integer(), nullable=True),
        sa.Column("posted_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "working <> '' OR not_working <> ''", name=op.f("ck_agreement_reports_says_something")
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_reports_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["posted_by_id"],
            ["users.id"],
            name=op.f("fk_agreement_reports_posted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_reports")),
    )
    with op.batch_alter_table("agreement_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agreement_reports_agreement_posted", ["agreement_id", "posted_at"], unique=False
        )

    op.create_table(
        "agreement_signatories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("signed_by_id", sa.Integer(), nullable=True),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("notice_given_at", sa.DateTime(), nullable=True),
        sa.Column("notice_given_by_id", sa.Integer(), nullable=True),
        sa.Column("notice_reason", sa.Text(), nullable=True),
        sa.Column("leaves_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "(notice_given_at IS NULL) = (leaves_on IS NULL)",
            name=op.f("ck_agreement_signatories_leaves_only_after_notice"),
        ),
        sa.CheckConstraint(
            "leaves_on IS NULL OR leaves_on > joined_on",
            name=op.f("ck_agreement_signatories_leaves_after_join"),
        ),
        sa.CheckConstraint(
            "version_number >= 1", name=op.f("ck_agreement_signatories_version_positive")
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_signatories_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["notice_given_by_id"],
            ["users.id"],
            name=op.f("fk_agreement_signatories_notice_given_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["organisations.id"],
            name=op.f("fk_agreement_signatories_practice_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["signed_by_id"],
            ["users.id"],
            name=op.f("fk_agreement_signatories_signed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_signatories")),
    )
    with op.batch_alter_table("agreement_signatories", schema=None) as batch_op:
        batch_op.create_index("ix_agreement_signatories_practice_id", ["practice_id"], unique=False)
        batch_op.create_index(
            "uq_agreement_signatories_current",
            ["agreement_id", "practice_id"],
            unique=True,
            sqlite_where=sa.text("leaves_on IS NULL"),
            postgresql_where=sa.text("leaves_on IS NULL"),
        )

    op.create_table(
        "agreement_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("change_summary", sa.Text(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "proposed",
                "voting",
                "adopted",
                "not_adopted",
                name="agreement_version",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("vote_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("adopted_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "(state = 'adopted') = (adopted_at IS NOT NULL)",
            name=op.f("ck_agreement_versions_adopted_when_adopted_at"),
        ),
        sa.CheckConstraint(
            "body_markdown <> ''", name=op.f("ck_agreement_versions_body_not_empty")
        ),
        sa.CheckConstraint(
            "state <> 'voting' OR vote_id IS NOT NULL",
            name=op.f("ck_agreement_versions_voting_has_vote"),
        ),
        sa.CheckConstraint("number >= 1", name=op.f("ck_agreement_versions_number_positive")),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_versions_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_agreement_versions_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["votes.id"],
            name=op.f("fk_agreement_versions_vote_id_votes"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_versions")),
        sa.UniqueConstraint(
            "agreement_id", "number", name=op.f("uq_agreement_versions_agreement_id_number")
        ),
        sa.UniqueConstraint("vote_id", name=op.f("uq_agreement_versions_vote_id")),
    )
    with op.batch_alter_table("agreement_versions", schema=None) as batch_op:
        batch_op.create_index(
            "uq_agreement_versions_one_voting",
            ["agreement_id"],
            unique=True,
            sqlite_where=sa.text("state = 'voting'"),
            postgresql_where=sa.text("state = 'voting'"),
        )

    # ### end Alembic commands ###


def downgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("agreement_versions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_agreement_versions_one_voting",
            sqlite_where=sa.text("state = 'voting'"),
            postgresql_where=sa.text("state = 'voting'"),
        )

    op.drop_table("agreement_versions")
    with op.batch_alter_table("agreement_signatories", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_agreement_signatories_current",
            sqlite_where=sa.text("leaves_on IS NULL"),
            postgresql_where=sa.text("leaves_on IS NULL"),
        )
        batch_op.drop_index("ix_agreement_signatories_practice_id")

    op.drop_table("agreement_signatories")
    with op.batch_alter_table("agreement_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_agreement_reports_agreement_posted")

    op.drop_table("agreement_reports")
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_index("ix_agreements_area_id")

    op.drop_table("agreements")
    # ### end Alembic commands ###
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.drop_column("organisation_ids")
