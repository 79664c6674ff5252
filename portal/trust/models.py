"""Trust pulse rounds, the score counters a response increments, and the free text.

Anonymous by construction:

- ``TrustScoreCount`` holds one counter per (round, target, respondent group, score). A
  response adds one to counters; no row is ever written per response, and counters carry no
  time and no reference to a person.
- ``TrustComment`` holds a response's free text with a random UUID key and no time; it
  records no group, so the text cannot be narrowed to a small group either.
- ``TrustResponse`` says only that a person has answered a round (no time, no id sequence:
  its key is the pair itself), so a second answer can be refused and reminders skip them.

On SQLite all three are ``WITHOUT ROWID`` tables, so rows are kept in key order rather than
in the order they were written.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.database import UTCDateTime, enum_column
from portal.extensions import Model
from portal.organisations.models import Area

SCORES = range(0, 11)


class TrustTarget(enum.Enum):
    PRACTICES_IN_PCN = "practices_in_pcn"
    PCN_LEADERSHIP = "pcn_leadership"
    OTHER_PCNS = "other_pcns"
    FEDERATION = "federation"
    LMC = "lmc"
    LEADERSHIP_GROUP = "leadership_group"
    ICS = "ics"

    @property
    def label(self) -> str:
        return TARGET_LABELS[self]


TARGET_LABELS = {
    TrustTarget.PRACTICES_IN_PCN: "The other practices in your PCN",
    TrustTarget.PCN_LEADERSHIP: "Your PCN's leadership",
    TrustTarget.OTHER_PCNS: "The other PCNs",
    TrustTarget.FEDERATION: "The federation",
    TrustTarget.LMC: "The LMC",
    TrustTarget.LEADERSHIP_GROUP: "The leadership group as a whole",
    TrustTarget.ICS: "The ICS",
}


class RoundState(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


class TrustRound(Model):
    __tablename__ = "trust_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(120))
    state: Mapped[RoundState] = mapped_column(enum_column(RoundState, "trust_round_state"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # "You said, we did": what the officers heard and what they will do, after close.
    you_said: Mapped[str | None] = mapped_column(sa.Text())
    we_did: Mapped[str | None] = mapped_column(sa.Text())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    area: Mapped[Area] = relationship()
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])

    __table_args__ = (
        sa.CheckConstraint("title <> ''", name="title_not_empty"),
        sa.CheckConstraint(
            "(state = 'closed') = (closed_at IS NOT NULL)", name="closed_when_closed_at"
        ),
        sa.CheckConstraint(
            "published_at IS NULL OR (state = 'closed' AND you_said IS NOT NULL"
            " AND we_did IS NOT NULL)",
            name="published_only_after_close",
        ),
        # One open round per area at a time.
        sa.Index(
            "uq_trust_rounds_open_per_area",
            "area_id",
            unique=True,
            sqlite_where=sa.text("state = 'open'"),
            postgresql_where=sa.text("state = 'open'"),
        ),
    )


class TrustScoreCount(Model):
    """How many respondents of ``group`` gave ``target`` the score ``score`` in a round."""

    __tablename__ = "trust_score_counts"

    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("trust_rounds.id", ondelete="CASCADE"), primary_key=True
    )
    target: Mapped[TrustTarget] = mapped_column(
        enum_column(TrustTarget, "trust_target"), primary_key=True
    )
    # "area", "kind:<organisation kind>", "pcn:<organisation id>" or "pcn:none".
    respondent_group: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    score: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        sa.CheckConstraint("score >= 0 AND score <= 10", name="score_zero_to_ten"),
        sa.CheckConstraint("n >= 0", name="count_not_negative"),
        {"sqlite_with_rowid": False},
    )


class TrustComment(Model):
    """Free text from one response: a random key, no time, no group, no person."""

    __tablename__ = "trust_comments"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("trust_rounds.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(sa.Text())

    __table_args__ = (
        sa.CheckConstraint("text <> ''", name="text_not_empty"),
        sa.Index("ix_trust_comments_round_id", "round_id"),
        {"sqlite_with_rowid": False},
    )


class TrustResponse(Model):
    """That ``user`` has answered ``round``; nothing about what they answered, or when."""

    __tablename__ = "trust_responses"

    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("trust_rounds.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )

    __table_args__ = ({"sqlite_with_rowid": False},)
