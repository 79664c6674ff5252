"""People, the organisations they belong to and in what role, invitations and resets."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.database import UTCDateTime, enum_column, utcnow
from portal.extensions import Model
from portal.organisations.models import Organisation
from portal.organisations.roles import Role


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str | None] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # The second factor: a base32 TOTP secret, and the last time step accepted, so that
    # the same code (or an earlier one) is refused the second time.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger())
    second_factor_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the account was deactivated (a member who left): the retention period runs from here.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the retention job removed this person's name, address and sign-in secrets.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Membership.id"
    )

    __table_args__ = (sa.CheckConstraint("email = lower(email)", name="email_lower_case"),)

    @property
    def session_key(self) -> str | None:
        """The key of the signed-in session this request came with (see ``UserSession``);
        set when the session is loaded or started, never stored on the row."""
        return self.__dict__.get("_session_key")

    @session_key.setter
    def session_key(self, key: str | None) -> None:
        self.__dict__["_session_key"] = key

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str | None:
        return self.session_key

    # Flask-Login's UserMixin compares people by get_id(), which is the session key here: two
    # different people without one (any person loaded outside their own request) would be
    # equal, so `chair in members(area)` held for anyone. A person is their row: the session's
    # identity map gives one object per row, so identity is the right equality.
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    @property
    def has_second_factor(self) -> bool:
        return self.totp_secret is not None

    @property
    def is_officer(self) -> bool:
        """Officers and administrators: a second factor is required, sessions are shorter."""
        return any(m.role in OFFICER_ROLES for m in self.memberships)

    @property
    def must_set_up_second_factor(self) -> bool:
        return self.is_officer and not self.has_second_factor

    def __repr__(self) -> str:
        return f"<User {self.email}>"


OFFICER_ROLES = frozenset({Role.AREA_ADMIN, Role.LMC_OFFICER})


class Membership(Model):
    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE")
    )
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("user_id", "organisation_id", "role"),
        sa.Index("ix_memberships_organisation_id", "organisation_id"),
    )


class Invitation(Model):
    """A single-use link that lets one email address join an organisation in a role."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    name: Mapped[str] = mapped_column(sa.String(200))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE")
    )
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    # Only a hash is kept: a leaked database does not leak working links.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship()
    invited_by: Mapped[User | None] = relationship()

    __table_args__ = (sa.Index("ix_invitations_organisation_id", "organisation_id"),)

    def is_usable(self, now: datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and now < self.expires_at


class PasswordReset(Model):
    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    def is_usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at


class RecoveryCode(Model):
    """A single-use code that stands in for the second factor; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (sa.Index("ix_recovery_codes_user_id", "user_id"),)


class UserSession(Model):
    """One signed-in browser. The cookie carries the key; the row keeps its hash.

    Ending a session marks it ended, and the request loader refuses it from then on. The
    last-seen time for the idle timeout travels in the signed cookie, so a page view never
    writes here.
    """

    __tablename__ = "user_sessions"

    key_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_agent: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    __table_args__ = (sa.Index("ix_user_sessions_user_id", "user_id"),)


class KnownAddress(Model):
    """A client address the account has signed in from: no sign-in delay applies there."""

    __tablename__ = "known_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(sa.String(64))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.UniqueConstraint("user_id", "address"),)


class SignInDelay(Model):
    """Failed sign-ins for one email address, known to the portal or not, so that the delay
    (and so the answer) is the same whether or not an account has that address."""

    __tablename__ = "sign_in_delays"

    email_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (sa.CheckConstraint("failures >= 0", name="failures_not_negative"),)
