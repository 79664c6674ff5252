"""trust pulse and meetings: rounds, score counters, free text, who has answered;
meeting series, meetings, agenda, attendance, decisions, actions, calendar feeds;
each ballot's origin (online, room, proxy)

Revision ID: 980d3fae0701
Revises: dddaad023358
Create Date: 2026-12-01 10:28:03.654747

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "980d3fae0701"
down_revision = "f0abb84f2cbd"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "trust_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "open",
                "closed",
                name="trust_round_state",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("reminder_sent_at", sa.DateTime(), nullable=True),
        sa.Column("you_said", sa.Text(), nullable=True),
        sa.Column("we_did", sa.Text(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(state = 'closed') = (closed_at IS NOT NULL)",
            name=op.f("ck_trust_rounds_closed_when_closed_at"),
        ),
        sa.CheckConstraint(
            "published_at IS NULL OR (state = 'closed' AND you_said IS NOT NULL AND we_did IS NOT NULL)",
            name=op.f("ck_trust_rounds_published_only_after_close"),
        ),
        sa.CheckConstraint("title <> ''", name=op.f("ck_trust_rounds_title_not_empty")),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["areas.id"],
            name=op.f("fk_trust_rounds_area_id_areas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["users.id"],
            name=op.f("fk_trust_rounds_closed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"],
            ["users.id"],
            name=op.f("fk_trust_rounds_opened_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_trust_rounds_published_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_rounds")),
    )
    with op.batch_alter_table("trust_rounds", schema=None) as batch_op:
        batch_op.create_index(
            "uq_trust_rounds_open_per_area",
            ["area_id"],
            unique=True,
            sqlite_where=sa.text("state = 'open'"),
            postgresql_where=sa.text("state = 'open'"),
        )

    op.create_table(
        "trust_comments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.CheckConstraint("text <> ''", name=op.f("ck_trust_comments_text_not_empty")),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["trust_rounds.id"],
            name=op.f("fk_trust_comments_round_id_trust_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_comments")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("trust_comments", schema=None) as batch_op:
        batch_op.create_index("ix_trust_comments_round_id", ["round_id"], unique=False)

    op.create_table(
        "trust_responses",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["trust_rounds.id"],
            name=op.f("fk_trust_responses_round_id_trust_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_trust_responses_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("round_id", "user_id", name=op.f("pk_trust_responses")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "trust_score_counts",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column(
            "target",
            sa.Enum(
                "practices_in_pcn",
                "pcn_leadership",
                "other_pcns",
                "federation",
                "lmc",
                "leadership_group",
                "ics",
                name="trust_target",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("respondent_group", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.CheckConstraint("n >= 0", name=op.f("ck_trust_score_counts_count_not_negative")),
        sa.CheckConstraint(
            "score >= 0 AND score <= 10", name=op.f("ck_trust_score_counts_score_zero_to_ten")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["trust_rounds.id"],
            name=op.f("fk_trust_score_counts_round_id_trust_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "round_id", "target", "respondent_group", "score", name=op.f("pk_trust_score_counts")
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_calendar_feeds_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feeds_token_hash")),
        sa.UniqueConstraint("user_id", name=op.f("uq_calendar_feeds_user_id")),
    )
    op.create_table(
        "meeting_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "in_person",
                "online",
                name="meeting_mode",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("online_link", sa.String(length=500), nullable=True),
        sa.Column("chair_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(mode = 'in_person' AND place IS NOT NULL AND place <> '') OR (mode = 'online' AND online_link IS NOT NULL AND online_link <> '')",
            name=op.f("ck_meeting_series_place_or_link_given"),
        ),
        sa.CheckConstraint("title <> ''", name=op.f("ck_meeting_series_title_not_empty")),
        sa.CheckConstraint(
            "duration_minutes > 0 AND duration_minutes <= 480",
            name=op.f("ck_meeting_series_duration_in_range"),
        ),
        sa.CheckConstraint(
            "weekday >= 0 AND weekday <= 6", name=op.f("ck_meeting_series_weekday_in_week")
        ),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["areas.id"],
            name=op.f("fk_meeting_series_area_id_areas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["chair_id"],
            ["users.id"],
            name=op.f("fk_meeting_series_chair_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_series")),
    )
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "in_person",
                "online",
                name="meeting_mode",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("online_link", sa.String(length=500), nullable=True),
        sa.Column("chair_id", sa.Integer(), nullable=True),
        sa.Column("minutes_markdown", sa.Text(), nullable=True),
        sa.Column("minutes_approved_at", sa.DateTime(), nullable=True),
        sa.Column("minutes_approved_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(mode = 'in_person' AND place IS NOT NULL AND place <> '') OR (mode = 'online' AND online_link IS NOT NULL AND online_link <> '')",
            name=op.f("ck_meetings_place_or_link_given"),
        ),
        sa.CheckConstraint("title <> ''", name=op.f("ck_meetings_title_not_empty")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_meetings_ends_after_it_starts")),
        sa.CheckConstraint(
            "minutes_approved_at IS NULL OR minutes_markdown IS NOT NULL",
            name=op.f("ck_meetings_approved_minutes_exist"),
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_meetings_area_id_areas"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["chair_id"], ["users.id"], name=op.f("fk_meetings_chair_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["minutes_approved_by_id"],
            ["users.id"],
            name=op.f("fk_meetings_minutes_approved_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["meeting_series.id"],
            name=op.f("fk_meetings_series_id_meeting_series"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
    )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.create_index("ix_meetings_area_starts", ["area_id", "starts_at"], unique=False)

    op.create_table(
        "meeting_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("open", "done", name="action_state", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "(state = 'done') = (done_at IS NOT NULL)",
            name=op.f("ck_meeting_actions_done_when_done_at"),
        ),
        sa.CheckConstraint(
            "description <> ''", name=op.f("ck_meeting_actions_description_not_empty")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_actions_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_meeting_actions_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_actions")),
    )
    with op.batch_alter_table("meeting_actions", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_actions_owner_id", ["owner_id"], unique=False)

    op.create_table(
        "meeting_agenda_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=500), nullable=True),
        sa.CheckConstraint("title <> ''", name=op.f("ck_meeting_agenda_items_title_not_empty")),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_agenda_items_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_agenda_items")),
        sa.UniqueConstraint(
            "meeting_id", "position", name=op.f("uq_meeting_agenda_items_meeting_id_position")
        ),
    )
    op.create_table(
        "meeting_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_attendance_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_meeting_attendance_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_meeting_attendance_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_attendance")),
        sa.UniqueConstraint(
            "meeting_id", "user_id", name=op.f("uq_meeting_attendance_meeting_id_user_id")
        ),
    )
    op.create_table(
        "meeting_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.CheckConstraint("text <> ''", name=op.f("ck_meeting_decisions_text_not_empty")),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_decisions_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_decisions")),
    )
    with op.batch_alter_table("ballots") as batch_op:
        batch_op.add_column(
            sa.Column(
                "origin",
                sa.Enum(
                    "online",
                    "room",
                    "proxy",
                    name="ballot_origin",
                    native_enum=False,
                    create_constraint=True,
                    length=6,
                ),
                server_default="online",
                nullable=False,
            )
        )
    # Ballots cast before origins were kept: a proxy's ballot names its proxy.
    op.execute("UPDATE ballots SET origin = 'proxy' WHERE proxy_id IS NOT NULL")


def downgrade():
    with op.batch_alter_table("ballots") as batch_op:
        batch_op.drop_constraint(op.f("ck_ballots_ballot_origin"), type_="check")
        batch_op.drop_column("origin")
    op.drop_table("meeting_decisions")
    op.drop_table("meeting_attendance")
    op.drop_table("meeting_agenda_items")
    with op.batch_alter_table("meeting_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_actions_owner_id")

    op.drop_table("meeting_actions")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index("ix_meetings_area_starts")

    op.drop_table("meetings")
    op.drop_table("meeting_series")
    op.drop_table("calendar_feeds")
    op.drop_table("trust_score_counts")
    op.drop_table("trust_responses")
    with op.batch_alter_table("trust_comments", schema=None) as batch_op:
        batch_op.drop_index("ix_trust_comments_round_id")

    op.drop_table("trust_comments")
    with op.batch_alter_table("trust_rounds", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_trust_rounds_open_per_area",
            sqlite_where=sa.text("state = 'open'"),
            postgresql_where=sa.text("state = 'open'"),
        )

    op.drop_table("trust_rounds")
