"""mandates: holders, commitments and revocation motions, granted by a vote

Revision ID: 9b312527a9a9
Revises: 5e1c7a9d2b40
Create Date: 2026-12-01 13:22:13.025828

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9b312527a9a9"
down_revision = "5e1c7a9d2b40"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mandates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("grant_vote_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("subject_key", sa.String(length=220), nullable=False),
        sa.Column("may_agree", sa.Text(), nullable=False),
        sa.Column("may_not_agree", sa.Text(), nullable=False),
        sa.Column("come_back_when", sa.Text(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column(
            "tier",
            sa.Enum(
                "lmc",
                "group",
                "ics",
                "public",
                name="tier",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "proposed",
                "not_granted",
                "in_force",
                "suspended",
                "ended",
                "revoked",
                "superseded",
                name="mandate_state",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("provenance", sa.Text(), nullable=True),
        sa.Column("granted_at", sa.DateTime(), nullable=True),
        sa.Column("not_granted_reason", sa.String(length=200), nullable=True),
        sa.Column("suspended_at", sa.DateTime(), nullable=True),
        sa.Column("suspended_by_id", sa.Integer(), nullable=True),
        sa.Column("suspension_reason", sa.Text(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoke_vote_id", sa.Integer(), nullable=True),
        sa.Column("revocation_provenance", sa.Text(), nullable=True),
        sa.Column("superseded_at", sa.DateTime(), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "(state = 'ended') = (ended_at IS NOT NULL)", name=op.f("ck_mandates_ended_when")
        ),
        sa.CheckConstraint(
            "(state = 'not_granted') = (not_granted_reason IS NOT NULL)",
            name=op.f("ck_mandates_reason_when_not_granted"),
        ),
        sa.CheckConstraint(
            "(state = 'revoked') = (revoked_at IS NOT NULL AND revoke_vote_id IS NOT NULL)",
            name=op.f("ck_mandates_revoked_by_a_vote"),
        ),
        sa.CheckConstraint(
            "(state = 'superseded') = (superseded_by_id IS NOT NULL)",
            name=op.f("ck_mandates_superseded_by_a_mandate"),
        ),
        sa.CheckConstraint(
            "(state IN ('in_force', 'suspended', 'ended', 'revoked', 'superseded')) = (granted_at IS NOT NULL AND provenance IS NOT NULL)",
            name=op.f("ck_mandates_granted_with_provenance"),
        ),
        sa.CheckConstraint(
            "may_agree <> '' AND may_not_agree <> '' AND come_back_when <> ''",
            name=op.f("ck_mandates_bounds_given"),
        ),
        sa.CheckConstraint(
            "state <> 'suspended' OR (suspended_at IS NOT NULL AND suspension_reason IS NOT NULL AND suspension_reason <> '')",
            name=op.f("ck_mandates_suspended_with_reason"),
        ),
        sa.CheckConstraint(
            "tier IN ('group', 'ics', 'public')", name=op.f("ck_mandates_tier_for_members")
        ),
        sa.CheckConstraint("title <> ''", name=op.f("ck_mandates_title_not_empty")),
        sa.CheckConstraint(
            "superseded_by_id <> id", name=op.f("ck_mandates_not_its_own_successor")
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_mandates_area_id_areas"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_mandates_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["grant_vote_id"],
            ["votes.id"],
            name=op.f("fk_mandates_grant_vote_id_votes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_mandates_proposal_id_proposals"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["revoke_vote_id"],
            ["votes.id"],
            name=op.f("fk_mandates_revoke_vote_id_votes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["mandates.id"],
            name=op.f("fk_mandates_superseded_by_id_mandates"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["suspended_by_id"],
            ["users.id"],
            name=op.f("fk_mandates_suspended_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mandates")),
        sa.UniqueConstraint("grant_vote_id", name=op.f("uq_mandates_grant_vote_id")),
    )
    with op.batch_alter_table("mandates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mandates_area_id_subject_key", ["area_id", "subject_key"], unique=False
        )

    op.create_table(
        "mandate_commitments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mandate_id", sa.Integer(), nullable=False),
        sa.Column("holder_id", sa.Integer(), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("forum", sa.String(length=200), nullable=False),
        sa.Column("with_whom", sa.String(length=200), nullable=False),
        sa.Column("what_agreed", sa.Text(), nullable=False),
        sa.Column(
            "ratification",
            sa.Enum(
                "not_needed",
                "awaiting",
                "ratified",
                "not_ratified",
                name="ratification",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("ratification_vote_id", sa.Integer(), nullable=True),
        sa.Column("ratification_provenance", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(ratification = 'not_needed') = (ratification_vote_id IS NULL)",
            name=op.f("ck_mandate_commitments_ratified_by_a_vote"),
        ),
        sa.CheckConstraint(
            "forum <> '' AND with_whom <> '' AND what_agreed <> ''",
            name=op.f("ck_mandate_commitments_details_given"),
        ),
        sa.CheckConstraint(
            "ratification IN ('ratified', 'not_ratified') OR ratification_provenance IS NULL",
            name=op.f("ck_mandate_commitments_provenance_once_decided"),
        ),
        sa.ForeignKeyConstraint(
            ["holder_id"],
            ["users.id"],
            name=op.f("fk_mandate_commitments_holder_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["mandate_id"],
            ["mandates.id"],
            name=op.f("fk_mandate_commitments_mandate_id_mandates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ratification_vote_id"],
            ["votes.id"],
            name=op.f("fk_mandate_commitments_ratification_vote_id_votes"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mandate_commitments")),
        sa.UniqueConstraint(
            "ratification_vote_id", name=op.f("uq_mandate_commitments_ratification_vote_id")
        ),
    )
    op.create_table(
        "mandate_holders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mandate_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "gp_partner",
                "salaried_gp",
                "practice_manager",
                "pcn_clinical_director",
                "federation_director",
                "lmc_officer",
                "ics_reader",
                "area_admin",
                name="role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "role <> 'ics_reader'", name=op.f("ck_mandate_holders_holder_in_the_group")
        ),
        sa.ForeignKeyConstraint(
            ["mandate_id"],
            ["mandates.id"],
            name=op.f("fk_mandate_holders_mandate_id_mandates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_mandate_holders_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_mandate_holders_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mandate_holders")),
        sa.UniqueConstraint(
            "mandate_id", "user_id", name=op.f("uq_mandate_holders_mandate_id_user_id")
        ),
    )
    op.create_table(
        "mandate_revocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mandate_id", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "passed",
                "not_passed",
                "cancelled",
                name="revocation_outcome",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.CheckConstraint("reason <> ''", name=op.f("ck_mandate_revocations_reason_given")),
        sa.ForeignKeyConstraint(
            ["mandate_id"],
            ["mandates.id"],
            name=op.f("fk_mandate_revocations_mandate_id_mandates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["users.id"],
            name=op.f("fk_mandate_revocations_proposed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["votes.id"],
            name=op.f("fk_mandate_revocations_vote_id_votes"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mandate_revocations")),
        sa.UniqueConstraint("vote_id", name=op.f("uq_mandate_revocations_vote_id")),
    )


def downgrade():
    op.drop_table("mandate_revocations")
    op.drop_table("mandate_holders")
    op.drop_table("mandate_commitments")
    with op.batch_alter_table("mandates", schema=None) as batch_op:
        batch_op.drop_index("ix_mandates_area_id_subject_key")

    op.drop_table("mandates")
