"""Operations on accounts: sign-in with delays, invitations, resets and memberships.

Services flush but never commit; the request (or CLI command) commits once. Each writes its
audit entry and raises a ``DomainError`` subclass with a message fit to show the user.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from portal.accounts import second_factor, sessions
from portal.accounts.delays import seconds_to_wait
from portal.accounts.models import (
    Invitation,
    KnownAddress,
    Membership,
    PasswordReset,
    Role,
    SignInDelay,
    User,
)
from portal.accounts.passwords import hash_password, needs_rehash, verify_password
from portal.accounts.signals import role_granted
from portal.accounts.tokens import new_token, token_hash
from portal.audit.services import record
from portal.database import insert_or_conflict, utcnow
from portal.email_kinds import Kind
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.mail import queue_email
from portal.names import display_name
from portal.organisations.models import Area, Organisation
from portal.organisations.permissions import can_administer_area
from portal.urls import external_url


class SignInRefused(DomainError):
    pass


class InvalidLink(DomainError):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(
        sa.select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()


@dataclass(frozen=True)
class Client:
    """Where a sign-in comes from: the client address, and the accounts whose known-browser
    mark this browser carries."""

    address: str
    known_browser_of: frozenset[int] = frozenset()
    user_agent: str = ""


def _email_hash(email: str) -> str:
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()


def _is_familiar(user: User | None, client: Client) -> bool:
    """The account has signed in from this browser or this address before."""
    if user is None:
        return False
    if user.id in client.known_browser_of:
        return True
    known = db.session.execute(
        sa.select(KnownAddress.id).where(
            KnownAddress.user_id == user.id, KnownAddress.address == client.address
        )
    ).first()
    return known is not None


def count_failure(email: str, now: datetime) -> None:
    """One more failed attempt for this email address, whether or not an account has it.

    Counted in SQL, so attempts arriving together are each counted.
    """
    key = _email_hash(email)
    increment = (
        sa.update(SignInDelay)
        .where(SignInDelay.email_hash == key)
        .values(failures=SignInDelay.failures + 1, last_failure_at=now)
        .execution_options(synchronize_session="fetch")
    )
    if cast(CursorResult[Any], db.session.execute(increment)).rowcount:
        return
    try:
        with db.session.begin_nested():
            db.session.add(SignInDelay(email_hash=key, failures=1, last_failure_at=now))
    except IntegrityError:
        # Another attempt made the row at the same moment.
        db.session.execute(increment)


def refuse_while_waiting(email: str, user: User | None, client: Client, now: datetime) -> None:
    """Refuse an attempt from a browser and address new to the account while the wait after
    its failed attempts lasts. Checked before a password, a code or a confirmation is tried."""
    if _is_familiar(user, client):
        return
    delay = db.session.get(SignInDelay, _email_hash(email))
    if delay is not None:
        wait = seconds_to_wait(delay.failures, delay.last_failure_at, now)
        if wait:
            raise SignInRefused(f"Wait {wait} seconds before trying again")


def check_password(email: str, password: str, client: Client, now: datetime) -> User:
    """Return the user whose email and password these are, or refuse.

    Every refusal reads the same, and takes as long, whether or not the email is known: an
    unknown email verifies a dummy hash, and delays are kept per email address, not per account.
    A browser or address the account has signed in from before waits for no delay.
    """
    user = find_user_by_email(email)
    refuse_while_waiting(email, user, client, now)
    known = user is not None and user.active
    if not verify_password(user.password_hash if user is not None and known else None, password):
        count_failure(email, now)
        if known:
            record("account.sign_in_failed", "Failed sign-in attempt", actor=None, subject=user)
        db.session.flush()
        raise SignInRefused("Enter a correct email address and password")
    assert user is not None, "only a known account's password verifies"
    if needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    return user


def wrong_second_factor(user: User, now: datetime) -> None:
    count_failure(user.email, now)
    record("account.second_factor_failed", "Wrong second-factor code", actor=None, subject=user)
    db.session.flush()


def complete_sign_in(user: User, client: Client, now: datetime) -> str:
    """The person has shown every factor they have: clear the delay, remember the address,
    start a session and return its key."""
    db.session.execute(
        sa.delete(SignInDelay).where(SignInDelay.email_hash == _email_hash(user.email))
    )
    if not _is_familiar(user, dataclasses.replace(client, known_browser_of=frozenset())):
        db.session.add(KnownAddress(user_id=user.id, address=client.address, first_seen_at=now))
    user.last_login_at = now
    record("account.signed_in", "Signed in", actor=user, subject=user)
    return sessions.start(user, client.user_agent, now)


def sign_out(user: User, now: datetime) -> None:
    sessions.end(user.session_key, now)
    record("account.signed_out", "Signed out", actor=user, subject=user)


def sign_out_everywhere(user: User, now: datetime) -> None:
    sessions.end_all(user, now)
    record("account.signed_out_everywhere", "Signed out everywhere", actor=user, subject=user)


def set_up_second_factor(user: User, secret: str, code: str, now: datetime) -> list[str]:
    """Turn on or replace the second factor; return the recovery codes; end other sessions."""
    codes = second_factor.enable(user, secret, code, now)
    if codes is None:
        raise DomainError(
            "That code is not right. Enter the 6-digit code your app shows now for this account"
        )
    sessions.end_all(user, now, keep=user.session_key)
    return codes


def turn_off_second_factor(user: User, now: datetime) -> None:
    if user.is_officer:
        raise NotPermitted("Officers and administrators must keep a second factor")
    second_factor.disable(user)
    sessions.end_all(user, now, keep=user.session_key)


def _require_admin(actor: User, area: Area) -> None:
    if not can_administer_area(actor, area):
        raise NotPermitted("Only an area administrator can manage members")


SELF_GRANT_REFUSED = (
    "You cannot give yourself a role. Ask another area administrator to do it, "
    "so that someone else sees every grant."
)


def _check_role_fits(role: Role, organisation: Organisation) -> None:
    if organisation.kind not in role.organisation_kinds:
        kinds = " or ".join(sorted(kind.label.lower() for kind in role.organisation_kinds))
        raise DomainError(f"A {role.label.lower()} must belong to a {kinds}")


def invite(
    actor: User,
    organisation: Organisation,
    *,
    email: str,
    name: str,
    role: Role,
    now: datetime,
) -> Invitation:
    """Invite a person to join ``organisation`` in ``role``; email them a single-use link."""
    area = organisation.area
    _require_admin(actor, area)
    _check_role_fits(role, organisation)
    email = normalise_email(email)
    if email == actor.email:
        raise DomainError(SELF_GRANT_REFUSED)
    existing_user = find_user_by_email(email)
    if existing_user is not None and any(
        membership.organisation_id == organisation.id and membership.role == role
        for membership in existing_user.memberships
    ):
        raise Conflict(
            f"{email} is already a {role.label.lower()} of {display_name(organisation.name)}"
        )
    for pending in db.session.execute(
        sa.select(Invitation).where(
            Invitation.email == email,
            Invitation.organisation_id == organisation.id,
            Invitation.role == role,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    ).scalars():
        pending.revoked_at = now
    token, hashed = new_token()
    lifetime = timedelta(hours=current_app.config["INVITATION_LIFETIME_HOURS"])
    invitation = Invitation(
        email=email,
        name=name.strip(),
        organisation=organisation,
        role=role,
        token_hash=hashed,
        invited_by=actor,
        created_at=now,
        expires_at=now + lifetime,
    )
    db.session.add(invitation)
    db.session.flush()
    record(
        "invitation.sent",
        f"Invited {email} as {role.label} of {organisation.name}",
        actor=actor,
        area=area,
        subject=invitation,
        details={"email": email, "role": role.value, "organisation": organisation.ods_code},
    )
    link = external_url("accounts.accept_invitation", token=token)
    queue_email(
        email,
        f"You are invited to GP Collective Voice for {area.name}",
        f"Dear {invitation.name},\n\n"
        f"{actor.name} has invited you to join GP Collective Voice for {area.name} "
        f"as {role.label} of {display_name(organisation.name)}.\n\n"
        f"Use this link to set your password and join. It works once and expires on "
        f"{invitation.expires_at:%d %B %Y at %H:%M} UTC:\n\n{link}\n\n"
        "If you were not expecting this, you can ignore this email.\n",
        kind=Kind.SECURITY,
        area=area,
    )
    return invitation


def usable_invitation(token: str, now: datetime) -> Invitation:
    invitation = db.session.execute(
        sa.select(Invitation).where(Invitation.token_hash == token_hash(token))
    ).scalar_one_or_none()
    if invitation is None or not invitation.is_usable(now):
        raise InvalidLink(
            "This invitation link has expired or has already been used. "
            "Ask your area administrator to send a new one."
        )
    return invitation


def accept_invitation(token: str, *, name: str, password: str | None, now: datetime) -> User:
    """Use an invitation: create the account (or add the membership to an existing one)."""
    invitation = usable_invitation(token, now)
    user = find_user_by_email(invitation.email)
    if user is None:
        if not password:
            raise DomainError("Enter a password")
        user = User(
            email=invitation.email,
            name=name.strip() or invitation.name,
            password_hash=hash_password(password),
        )
        db.session.add(user)
    if any(
        m.organisation_id == invitation.organisation_id and m.role == invitation.role
        for m in user.memberships
    ):
        raise Conflict("You already hold this role in this organisation")
    if invitation.invited_by_id is not None and invitation.invited_by_id == user.id:
        raise DomainError(SELF_GRANT_REFUSED)
    invitation.accepted_at = now
    membership = Membership(user=user, organisation=invitation.organisation, role=invitation.role)
    db.session.add(membership)
    db.session.flush()
    granted_by = invitation.invited_by
    record(
        "invitation.accepted",
        f"{user.email} joined {invitation.organisation.name} as {invitation.role.label}",
        actor=user,
        area=invitation.organisation.area,
        subject=invitation,
        details={
            "user": user.email,
            "role": invitation.role.value,
            "organisation": invitation.organisation.ods_code,
            "granted_by": granted_by.email if granted_by is not None else None,
        },
    )
    role_granted.send(membership, granted_by=granted_by)
    return user


def revoke_invitation(actor: User, invitation: Invitation, now: datetime) -> None:
    area = invitation.organisation.area
    _require_admin(actor, area)
    if not invitation.is_usable(now):
        raise Conflict("This invitation has already been used, revoked or has expired")
    invitation.revoked_at = now
    record(
        "invitation.revoked",
        f"Revoked the invitation to {invitation.email}",
        actor=actor,
        area=area,
        subject=invitation,
    )


def request_password_reset(email: str, now: datetime) -> None:
    """Email a reset link if the account exists. Says nothing either way to the caller."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    recent = db.session.execute(
        sa.select(sa.func.count(PasswordReset.id)).where(
            PasswordReset.user_id == user.id,
            PasswordReset.created_at > now - timedelta(hours=1),
        )
    ).scalar_one()
    if recent >= 3:
        return
    token, hashed = new_token()
    lifetime = timedelta(minutes=current_app.config["PASSWORD_RESET_LIFETIME_MINUTES"])
    reset = PasswordReset(user=user, token_hash=hashed, created_at=now, expires_at=now + lifetime)
    db.session.add(reset)
    db.session.flush()
    record("account.reset_requested", "Password reset requested", actor=None, subject=user)
    queue_email(
        user.email,
        "Reset your GP Collective Voice password",
        f"Dear {user.name},\n\nSomeone asked to reset the password for this account. "
        f"Use this link within {lifetime.seconds // 60} minutes; it works once:\n\n"
        f"{external_url('accounts.reset_password', token=token)}\n\n"
        "If it was not you, ignore this email: your password has not changed.\n",
        kind=Kind.SECURITY,
    )


def usable_reset(token: str, now: datetime) -> PasswordReset:
    reset = db.session.execute(
        sa.select(PasswordReset).where(PasswordReset.token_hash == token_hash(token))
    ).scalar_one_or_none()
    if reset is None or not reset.is_usable(now) or not reset.user.active:
        raise InvalidLink(
            "This reset link has expired or has already been used. Ask for a new one."
        )
    return reset


def reset_password(token: str, password: str, now: datetime) -> User:
    reset = usable_reset(token, now)
    user = reset.user
    _set_password(user, password, now)
    sessions.end_all(user, now)
    for other in db.session.execute(
        sa.select(PasswordReset).where(
            PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None)
        )
    ).scalars():
        other.used_at = now
    record("account.password_reset", "Password reset by emailed link", actor=user, subject=user)
    return user


def change_password(user: User, new_password: str, now: datetime) -> None:
    """Set a new password (the person has just re-authenticated); end their other sessions."""
    _set_password(user, new_password, now)
    sessions.end_all(user, now, keep=user.session_key)
    record("account.password_changed", "Password changed", actor=user, subject=user)


def _set_password(user: User, password: str, now: datetime) -> None:
    user.password_hash = hash_password(password)
    db.session.execute(
        sa.delete(SignInDelay).where(SignInDelay.email_hash == _email_hash(user.email))
    )
    db.session.flush()


def add_membership(actor: User, user: User, organisation: Organisation, role: Role) -> Membership:
    area = organisation.area
    _require_admin(actor, area)
    if user.id == actor.id:
        raise DomainError(SELF_GRANT_REFUSED)
    _check_role_fits(role, organisation)
    duplicate = Conflict(
        f"{user.name} is already a {role.label.lower()} of {display_name(organisation.name)}"
    )
    if any(m.organisation_id == organisation.id and m.role == role for m in user.memberships):
        raise duplicate
    membership = Membership(user_id=user.id, organisation_id=organisation.id, role=role)
    insert_or_conflict(db.session, membership, duplicate)
    record(
        "membership.added",
        f"{user.email} made {role.label} of {organisation.name}",
        actor=actor,
        area=area,
        subject=membership,
        details={
            "user": user.email,
            "role": role.value,
            "organisation": organisation.ods_code,
            "granted_by": actor.email,
        },
    )
    role_granted.send(membership, granted_by=actor)
    return membership


def remove_membership(actor: User, membership: Membership) -> None:
    area = membership.organisation.area
    _require_admin(actor, area)
    if membership.role is Role.AREA_ADMIN:
        remaining = [
            other
            for other in area_memberships(area)
            if other.role is Role.AREA_ADMIN and other.id != membership.id and other.user.active
        ]
        if not remaining:
            raise Conflict("An area must keep at least one active area administrator")
    record(
        "membership.removed",
        f"{membership.user.email} is no longer {membership.role.label} of "
        f"{membership.organisation.name}",
        actor=actor,
        area=area,
        subject=membership,
        details={
            "user": membership.user.email,
            "role": membership.role.value,
            "organisation": membership.organisation.ods_code,
            "removed_by": actor.email,
        },
    )
    db.session.delete(membership)
    db.session.flush()


def set_user_active(actor: User, user: User, area: Area, *, active: bool) -> None:
    _require_admin(actor, area)
    if not any(m.organisation.area_id == area.id for m in user.memberships):
        raise NotPermitted("This person is not a member of this area")
    if user.id == actor.id and not active:
        raise Conflict("You cannot deactivate your own account")
    if user.active == active:
        return
    user.active = active
    # The retention period for a member who left runs from the deactivation.
    user.deactivated_at = None if active else utcnow()
    if not active:
        sessions.end_all(user, utcnow())
    record(
        "account.reactivated" if active else "account.deactivated",
        f"{user.email} {'reactivated' if active else 'deactivated'}",
        actor=actor,
        area=area,
        subject=user,
    )
    db.session.flush()


def area_memberships(area: Area) -> list[Membership]:
    return list(
        db.session.execute(
            sa.select(Membership)
            .join(Membership.organisation)
            .join(Membership.user)
            .where(Organisation.area_id == area.id)
            .order_by(User.name, Organisation.name)
        ).scalars()
    )


def pending_invitations(area: Area, now: datetime) -> list[Invitation]:
    return list(
        db.session.execute(
            sa.select(Invitation)
            .join(Invitation.organisation)
            .where(
                Organisation.area_id == area.id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
            )
            .order_by(Invitation.created_at.desc())
        ).scalars()
    )
