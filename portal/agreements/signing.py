"""Signing a practice up to an agreement and giving its notice, each told to the practice's
other GP partners.

Services flush but never commit, write their audit entry and raise a ``DomainError`` whose
message can be shown. Days are London days (``today``), passed in by the caller.

Notice, as this portal reads it: a practice that gives notice on day G is in until the end of
its notice period, so it is out from G plus the notice period (in calendar months). It never
leaves before its minimum term is over, and the minimum term is the practice's own, counted
from the day it joined: if G plus the notice period falls inside that term, it is out from the
day the term ends instead. Notice can be given at any time, once.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import Membership, Role, User
from portal.agreements import permissions
from portal.agreements.days import add_months, long_day
from portal.agreements.limits import MAX_REASON, checked_text
from portal.agreements.models import Agreement, Signatory
from portal.audit.services import record
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.mail import queue_email
from portal.names import display_name
from portal.organisations.models import Organisation, OrganisationKind
from portal.urls import external_url


def current_signatory(agreement: Agreement, practice: Organisation, day: date) -> Signatory | None:
    """The practice's sign-up that is in on ``day`` or starts later; None when it is out."""
    for signatory in agreement.signatories:
        if signatory.practice_id != practice.id:
            continue
        if signatory.leaves_on is None or day < signatory.leaves_on:
            return signatory
    return None


def partners_of(practice: Organisation, except_user: User | None) -> list[User]:
    """The practice's active GP partners, but for ``except_user`` (who acted)."""
    query = (
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organisation_id == practice.id,
            Membership.role == Role.GP_PARTNER,
            User.active.is_(True),
        )
        .order_by(User.id)
    )
    if except_user is not None:
        query = query.where(User.id != except_user.id)
    return list(db.session.execute(query).scalars())


def _tell_partners(practice: Organisation, actor: User, agreement: Agreement, what: str) -> None:
    """Email the practice's other partners: a link only, as for anything not public."""
    link = external_url(
        "agreements.agreement", area_slug=agreement.area.slug, agreement_id=agreement.id
    )
    for partner in partners_of(practice, actor):
        queue_email(
            partner.email,
            f"Your practice {what} a shared way of working",
            f"A GP partner of your practice has {what} a shared way of working in GP "
            f"Collective Voice. See what it means for the practice:\n{link}\n",
        )


def _check_signer(actor: User, agreement: Agreement, practice: Organisation) -> None:
    if practice.area_id != agreement.area_id or practice.kind is not OrganisationKind.PRACTICE:
        raise DomainError("Only a practice of this area can sign up")
    if not permissions.can_sign_for(actor, practice):
        raise NotPermitted(f"Only a GP partner of {display_name(practice.name)} can act for it")


def sign_up(
    actor: User,
    agreement: Agreement,
    practice: Organisation,
    *,
    checked_version: int,
    today: date,
    now: datetime,
) -> Signatory:
    """Sign ``practice`` up from today. ``checked_version`` is the procedure version the
    partner was shown on the check page: if another has been adopted since, nothing is signed."""
    _check_signer(actor, agreement, practice)
    if not practice.is_open:
        raise DomainError(f"{display_name(practice.name)} has closed")
    if today < agreement.starts_on:
        raise DomainError(
            f"This agreement starts on {long_day(agreement.starts_on)}: "
            "a practice can sign up from that day"
        )
    existing = current_signatory(agreement, practice, today)
    if existing is not None:
        if existing.leaves_on is not None:
            raise Conflict(
                f"{display_name(practice.name)} already belongs to this agreement until it "
                f"leaves on {long_day(existing.leaves_on)}"
            )
        raise Conflict(f"{display_name(practice.name)} already belongs to this agreement")
    version = agreement.in_force
    assert version is not None  # version 1 is adopted when the agreement is set up
    if checked_version != version.number:
        raise Conflict(
            f"Version {version.number} of the procedure has been adopted since you checked: "
            "read it and sign again"
        )
    signatory = Signatory(
        agreement_id=agreement.id,
        practice_id=practice.id,
        joined_on=today,
        signed_by_id=actor.id,
        signed_at=now,
        version_number=version.number,
    )
    try:
        with db.session.begin_nested():
            db.session.add(signatory)
            db.session.flush()
    except IntegrityError as error:  # another partner signed it up at the same moment
        raise Conflict(
            f"{display_name(practice.name)} already belongs to this agreement"
        ) from error
    db.session.refresh(agreement, attribute_names=["signatories"])
    record(
        "agreement.signed",
        f"{display_name(practice.name)} signed up to {agreement.title} "
        f"(procedure version {version.number})",
        actor=actor,
        area=agreement.area,
        subject=agreement,
        details={"practice_id": practice.id, "version": version.number, "joined_on": str(today)},
    )
    _tell_partners(practice, actor, agreement, "has signed up to")
    return signatory


def leaving_day(agreement: Agreement, signatory: Signatory, notice_day: date) -> date:
    """The first day out for notice given on ``notice_day`` (see the module's reading)."""
    end_of_notice = add_months(notice_day, agreement.notice_period_months)
    end_of_term = add_months(signatory.joined_on, agreement.minimum_term_months)
    return max(end_of_notice, end_of_term)


def give_notice(
    actor: User,
    agreement: Agreement,
    practice: Organisation,
    reason: str,
    *,
    today: date,
    now: datetime,
) -> Signatory:
    _check_signer(actor, agreement, practice)
    signatory = current_signatory(agreement, practice, today)
    if signatory is None:
        raise DomainError(f"{display_name(practice.name)} does not belong to this agreement")
    if signatory.leaves_on is not None:
        raise Conflict(
            f"{display_name(practice.name)} has already given notice: "
            f"it leaves on {long_day(signatory.leaves_on)}"
        )
    reason = checked_text(reason, "the reason", required=False, limit=MAX_REASON)
    signatory.notice_given_at = now
    signatory.notice_given_by_id = actor.id
    signatory.notice_reason = reason or None
    signatory.leaves_on = leaving_day(agreement, signatory, today)
    db.session.flush()
    record(
        "agreement.notice_given",
        f"{display_name(practice.name)} gave notice on {agreement.title}: out from "
        f"{long_day(signatory.leaves_on)}",
        actor=actor,
        area=agreement.area,
        subject=agreement,
        details={"practice_id": practice.id, "leaves_on": signatory.leaves_on.isoformat()},
    )
    _tell_partners(practice, actor, agreement, "has given notice on")
    return signatory
