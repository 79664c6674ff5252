"""Meeting series, meetings with their agenda, attendance, minutes, decisions and actions,
and each person's secret calendar feed address."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.database import UTCDateTime, enum_column, utcnow
from portal.extensions import Model
from portal.organisations.models import Area, Organisation


class MeetingMode(enum.Enum):
    IN_PERSON = "in_person"
    ONLINE = "online"

    @property
    def label(self) -> str:
        return "In person" if self is MeetingMode.IN_PERSON else "Online"


class ActionState(enum.Enum):
    OPEN = "open"
    DONE = "done"


WEEKDAYS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")

_WHERE_GIVEN = (
    "(mode = 'in_person' AND place IS NOT NULL AND place <> '')"
    " OR (mode = 'online' AND online_link IS NOT NULL AND online_link <> '')"
)


class MeetingSeries(Model):
    """A regular meeting: for example "Leadership group weekly, Tuesdays 12:30, 30 minutes"."""

    __tablename__ = "meeting_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(120))
    weekday: Mapped[int]  # 0 is Monday, as Python's date.weekday()
    start_time: Mapped[time] = mapped_column(sa.Time())  # Europe/London wall-clock time
    duration_minutes: Mapped[int]
    mode: Mapped[MeetingMode] = mapped_column(enum_column(MeetingMode, "meeting_mode"))
    place: Mapped[str | None] = mapped_column(sa.String(200))
    online_link: Mapped[str | None] = mapped_column(sa.String(500))
    chair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    area: Mapped[Area] = relationship()
    chair: Mapped[User | None] = relationship()
    meetings: Mapped[list[Meeting]] = relationship(
        back_populates="series", order_by="Meeting.starts_at"
    )

    __table_args__ = (
        sa.CheckConstraint("title <> ''", name="title_not_empty"),
        sa.CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_in_week"),
        sa.CheckConstraint(
            "duration_minutes > 0 AND duration_minutes <= 480", name="duration_in_range"
        ),
        sa.CheckConstraint(_WHERE_GIVEN, name="place_or_link_given"),
    )

    @property
    def rhythm_text(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.start_time:%H:%M}, {self.duration_minutes} minutes"


class Meeting(Model):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id", ondelete="CASCADE"))
    series_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meeting_series.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(sa.String(120))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    mode: Mapped[MeetingMode] = mapped_column(enum_column(MeetingMode, "meeting_mode"))
    place: Mapped[str | None] = mapped_column(sa.String(200))
    online_link: Mapped[str | None] = mapped_column(sa.String(500))
    chair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    minutes_markdown: Mapped[str | None] = mapped_column(sa.Text())
    minutes_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    minutes_approved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    area: Mapped[Area] = relationship()
    series: Mapped[MeetingSeries | None] = relationship(back_populates="meetings")
    chair: Mapped[User | None] = relationship(foreign_keys=[chair_id])
    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position", cascade="all, delete-orphan"
    )
    attendance: Mapped[list[Attendance]] = relationship(
        back_populates="meeting", order_by="Attendance.id", cascade="all, delete-orphan"
    )
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="meeting", order_by="Decision.id", cascade="all, delete-orphan"
    )
    actions: Mapped[list[ActionItem]] = relationship(
        back_populates="meeting", order_by="ActionItem.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("title <> ''", name="title_not_empty"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_it_starts"),
        sa.CheckConstraint(_WHERE_GIVEN, name="place_or_link_given"),
        sa.CheckConstraint(
            "minutes_approved_at IS NULL OR minutes_markdown IS NOT NULL",
            name="approved_minutes_exist",
        ),
        sa.Index("ix_meetings_area_starts", "area_id", "starts_at"),
    )


class AgendaItem(Model):
    __tablename__ = "meeting_agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    # "vote 12", "need 4" ... or an address; see portal/meetings/references.py.
    reference: Mapped[str | None] = mapped_column(sa.String(500))

    meeting: Mapped[Meeting] = relationship(back_populates="agenda")

    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "position"),
        sa.CheckConstraint("title <> ''", name="title_not_empty"),
    )


class Attendance(Model):
    """A person was at the meeting, for an organisation they belong to."""

    __tablename__ = "meeting_attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE")
    )

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")
    user: Mapped[User] = relationship()
    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (sa.UniqueConstraint("meeting_id", "user_id"),)


class Decision(Model):
    __tablename__ = "meeting_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(sa.Text())

    meeting: Mapped[Meeting] = relationship(back_populates="decisions")

    __table_args__ = (sa.CheckConstraint("text <> ''", name="text_not_empty"),)


class ActionItem(Model):
    __tablename__ = "meeting_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    description: Mapped[str] = mapped_column(sa.String(500))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    due_on: Mapped[date]
    state: Mapped[ActionState] = mapped_column(enum_column(ActionState, "action_state"))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    meeting: Mapped[Meeting] = relationship(back_populates="actions")
    owner: Mapped[User] = relationship()

    __table_args__ = (
        sa.CheckConstraint("description <> ''", name="description_not_empty"),
        sa.CheckConstraint("(state = 'done') = (done_at IS NOT NULL)", name="done_when_done_at"),
        sa.Index("ix_meeting_actions_owner_id", "owner_id"),
    )

    def is_overdue(self, today: date) -> bool:
        return self.state is ActionState.OPEN and self.due_on < today


class CalendarFeed(Model):
    """A person's secret calendar address. Only its hash is kept; a new one replaces it."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()
