"""Removing the personal data of a member who left, once the retention period has run.

The account row stays, so every ballot, declaration and audit entry that points at it still
points somewhere; what made it a person goes: name, email address, password, second factor,
recovery codes, sessions, known addresses, password resets, memberships, and the invitations
sent to that address. The audit chain is never rewritten, so entries written while the person
was a member keep the address they were written under; the new entry names only the account
number. Other domains holding data about the person connect to ``member_anonymised``.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from portal.accounts.models import (
    Invitation,
    KnownAddress,
    Membership,
    PasswordReset,
    RecoveryCode,
    User,
    UserSession,
)
from portal.accounts.signals import member_anonymised
from portal.audit.services import record
from portal.extensions import db

FORMER_MEMBER_NAME = "Former member"


def removed_address(user_id: int) -> str:
    """A unique address that can never receive mail (``.invalid`` is reserved, RFC 2606)."""
    return f"former-member-{user_id}@removed.invalid"


def anonymise(user: User, now: datetime, retention_days: int) -> None:
    """Remove ``user``'s personal data; flush, never commit. Only for a deactivated account."""
    if user.active or user.anonymised_at is not None:
        raise ValueError("only a deactivated account not yet anonymised can be anonymised")
    email = user.email
    member_anonymised.send(user, email=email)
    for model in (UserSession, KnownAddress, PasswordReset, RecoveryCode, Membership):
        db.session.execute(
            sa.delete(model)
            .where(model.user_id == user.id)
            .execution_options(synchronize_session=False)
        )
    db.session.execute(
        sa.update(Invitation)
        .where(sa.func.lower(Invitation.email) == email.lower())
        .values(email=removed_address(user.id), name=FORMER_MEMBER_NAME)
        .execution_options(synchronize_session=False)
    )
    user.name = FORMER_MEMBER_NAME
    user.email = removed_address(user.id)
    user.password_hash = None
    user.totp_secret = None
    user.totp_last_step = None
    user.second_factor_since = None
    user.last_login_at = None
    user.anonymised_at = now
    db.session.flush()
    record(
        "account.anonymised",
        f"Retention: personal data of former member account #{user.id} removed",
        actor=None,
        subject=user,
        details={"retention_days": retention_days},
    )
    db.session.expire(user, ["memberships"])
