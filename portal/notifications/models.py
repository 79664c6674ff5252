"""Each member's choice per kind of email, and the items held back for their next digest.

Kinds are stored as their short names in a plain string column, not a database enum, so a
new kind of email needs no migration; ``portal.notifications.kinds`` is the list.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.database import Base, UTCDateTime, enum_column, utcnow
from portal.notifications.kinds import Frequency, Kind


class NotificationPreference(Base):
    """A member's choice for one kind; no row means the default, email at once."""

    __tablename__ = "notification_preferences"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    frequency: Mapped[Frequency] = mapped_column(enum_column(Frequency, "notification_frequency"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def kind_enum(self) -> Kind:
        return Kind(self.kind)


class DigestItem(Base):
    """An email held back for a digest: what the digest may say of it, and when it is due.

    Only the subject and the link are kept, never the body; the digest names the subject
    only for kinds about public things (``Kind.public``)."""

    __tablename__ = "digest_items"
    __table_args__ = (sa.Index("ix_digest_items_due", "digest_message_id", "release_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    area_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("areas.id", ondelete="SET NULL"), nullable=True
    )
    subject: Mapped[str] = mapped_column(sa.String(500))
    link: Mapped[str | None] = mapped_column(sa.String(2000), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    release_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The digest that carried it; null while it waits.
    digest_message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outbox_messages.id", ondelete="SET NULL"), nullable=True
    )

    user: Mapped[User] = relationship()

    @property
    def kind_enum(self) -> Kind:
        return Kind(self.kind)
