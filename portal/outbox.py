"""The durable outbox: every email is a row written in the transaction of the change it reports.

A message therefore exists exactly when its change does: a rolled-back request leaves none, and
an SMTP server that is down loses none. Delivery is at least once (SMTP cannot promise exactly
once): a message whose sending was cut off after the server took it may go again, always under
the same ``Message-ID``, so mail clients and the tests can tell a repeat from a new message.

Who sends: with ``MAIL_DELIVERY = "request"`` (the embedded default and the tests) the request
that committed tries its own messages at once; with ``"worker"`` (production) it only records
them and the worker (``flask --app wsgi worker``) sends them. Either way the worker retries
what failed, waiting 1, 2, 4 ... minutes (at most an hour) between tries, and gives up after
``MAX_ATTEMPTS``, leaving the reason for an area administrator to read.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.database import Base, UTCDateTime, enum_column, utcnow

MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
# A message the request will try itself is left alone by the worker for this long, so the two
# do not send it side by side.
REQUEST_GRACE = timedelta(minutes=1)


class OutboxState(enum.Enum):
    WAITING = "waiting"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.CheckConstraint(
            "(state = 'sent') = (sent_at IS NOT NULL)", name="sent_exactly_when_sent_at"
        ),
        sa.Index("ix_outbox_messages_due", "state", "next_attempt_at"),
        sa.Index("ix_outbox_messages_area", "area_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    recipient: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(500))
    body: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[OutboxState] = mapped_column(
        enum_column(OutboxState, "outbox_state"), default=OutboxState.WAITING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    # The kind of email (``portal.notifications.kinds.Kind``), which chose whether it went at
    # once, and which preferences its footer links to.
    kind: Mapped[str] = mapped_column(sa.String(32), default="personal", server_default="personal")
    # The area whose administrators see it in their outbox page; none for email that belongs
    # to no one area (a password reset), which no area administrator sees.
    area_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("areas.id", ondelete="SET NULL"), nullable=True
    )
    # The member it was sent to, when the address is a member's, for the preferences link.
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    def mark_sent(self, now: datetime) -> None:
        self.state = OutboxState.SENT
        self.sent_at = now
        self.attempts += 1
        self.last_error = None

    def mark_failed_attempt(self, now: datetime, reason: str) -> None:
        """Count a failed try and choose the next, or give up after ``MAX_ATTEMPTS``."""
        self.attempts += 1
        self.last_error = reason[:2000]
        if self.attempts >= MAX_ATTEMPTS:
            self.state = OutboxState.FAILED
            return
        wait = min(FIRST_RETRY * 2 ** (self.attempts - 1), LONGEST_WAIT)
        self.next_attempt_at = now + wait


def due_messages(
    session: sa.orm.Session | sa.orm.scoped_session[Any], now: datetime, limit: int
) -> list[OutboxMessage]:
    """Waiting messages whose time has come, oldest first, locked against other workers."""
    query = (
        sa.select(OutboxMessage)
        .where(OutboxMessage.state == OutboxState.WAITING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.execute(query).scalars())
