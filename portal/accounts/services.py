"""Operations on accounts: sign-in with lockout, invitations, resets and memberships.

Services flush but never commit; the request (or CLI command) commits once. Each writes its
audit entry and raises a ``DomainError`` subclass with a message fit to show the user.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import Invitation, Membership, PasswordReset, Role, User
from portal.accounts.passwords import hash_password, needs_rehash, verify_password
from portal.accounts.signals import role_granted
from portal.accounts.tokens import new_token, token_hash
from portal.audit.services import record
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.mail import queue_email
from portal.organisations.models import Area, Organisation
from portal.organisations.permissions import can_administer_area
from portal.urls import external_url

MAXIMUM_LOCKOUT = timedelta(hours=24)


class SignInRefused(DomainError):
    pass


class InvalidLink(DomainError):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


def load_user_from_session(session_id: str) -> User | None:
    user_id, _, session_token = session_id.partition(":")
    if not user_id.isdigit() or not session_token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_token != session_token:
        return None
    return user


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(
        sa.select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()


def _lockout_length(failures: int) -> timedelta:
    """Locks double with every further failure past the threshold, up to a day."""
    config = current_app.config
    beyond = failures - config["LOGIN_FAILURES_BEFORE_LOCKOUT"]
    length = timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"]) * (2 ** min(beyond, 10))
    return min(length, MAXIMUM_LOCKOUT)


def authenticate(email: str, password: str, now: datetime) -> User:
    """Return the user whose email and password these are, or refuse.

    Every refusal reads the same whether or not the email is known, so the form cannot be
    used to find out who has an account.
    """
    user = find_user_by_email(email)
    refused = SignInRefused("Enter a correct email address and password")
    if user is None or not user.active:
        verify_password(None, password)
        raise refused
    if user.locked_until is not None and user.locked_until > now:
        raise SignInRefused(
            "This account is locked after too many failed sign-in attempts. "
            "Try again later, or reset your password."
        )
    if not verify_password(user.password_hash, password):
        # Counted in SQL, so attempts arriving together are each counted.
        user.failed_logins = User.failed_logins + 1
        db.session.flush()
        threshold = current_app.config["LOGIN_FAILURES_BEFORE_LOCKOUT"]
        if user.failed_logins >= threshold:
            user.locked_until = now + _lockout_length(user.failed_logins)
            record(
                "account.locked",
                f"Account locked after {user.failed_logins} failed sign-in attempts",
                actor=None,
                subject=user,
                details={"until": user.locked_until.isoformat()},
            )
        else:
            record("account.sign_in_failed", "Failed sign-in attempt", actor=None, subject=user)
        db.session.flush()
        raise refused
    if needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    record("account.signed_in", "Signed in", actor=user, subject=user)
    db.session.flush()
    return user


def record_sign_out(user: User) -> None:
    record("account.signed_out", "Signed out", actor=user, subject=user)


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
        raise Conflict(f"{email} is already a {role.label.lower()} of {organisation.name}")
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
        f"as {role.label} of {organisation.name}.\n\n"
        f"Use this link to set your password and join. It works once and expires on "
        f"{invitation.expires_at:%d %B %Y at %H:%M} UTC:\n\n{link}\n\n"
        "If you were not expecting this, you can ignore this email.\n",
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
            session_token=new_token()[0],
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
    _set_password(user, password)
    user.failed_logins = 0
    user.locked_until = None
    for other in db.session.execute(
        sa.select(PasswordReset).where(
            PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None)
        )
    ).scalars():
        other.used_at = now
    record("account.password_reset", "Password reset by emailed link", actor=user, subject=user)
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current_password):
        raise DomainError("Your current password is not correct")
    _set_password(user, new_password)
    record("account.password_changed", "Password changed", actor=user, subject=user)


def _set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    # Ends every other session of this account.
    user.session_token = new_token()[0]
    db.session.flush()


def add_membership(actor: User, user: User, organisation: Organisation, role: Role) -> Membership:
    area = organisation.area
    _require_admin(actor, area)
    if user.id == actor.id:
        raise DomainError(SELF_GRANT_REFUSED)
    _check_role_fits(role, organisation)
    duplicate = Conflict(f"{user.name} is already a {role.label.lower()} of {organisation.name}")
    if any(m.organisation_id == organisation.id and m.role == role for m in user.memberships):
        raise duplicate
    membership = Membership(user_id=user.id, organisation_id=organisation.id, role=role)
    try:
        with db.session.begin_nested():
            db.session.add(membership)
    except IntegrityError as error:
        raise duplicate from error
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
    if not active:
        user.session_token = new_token()[0]
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
