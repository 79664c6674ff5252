"""Raising, supporting, discussing and triaging needs (their pages' reads are in ``listings``).

Every change checks the actor's permission again (views check first, for the right status
code), flushes but never commits, writes its audit entry in the same transaction and raises a
``DomainError`` subclass with a message fit to show the user. Audit summaries name needs by
number, never by title: an "LMC only" need's title must not reach the audit log's readers.
"""

from __future__ import annotations

import sqlalchemy as sa

from portal.accounts.models import User
from portal.audit.services import record
from portal.database import insert_or_conflict, utcnow
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.names import display_name
from portal.needs import notices, permissions
from portal.needs.listings import eligible_pcn_members
from portal.needs.models import (
    Need,
    NeedCategory,
    NeedChannel,
    NeedComment,
    NeedStatus,
    NeedStatusChange,
    NeedSupport,
    NeedUrgency,
    PcnNeedAuthorisation,
)
from portal.organisations.models import Organisation
from portal.positions.models import Position, Proposal

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 20_000
COMMENT_MAX_LENGTH = 10_000
REASON_MAX_LENGTH = 2_000


class NeedClosed(Conflict):
    """The need is resolved, declined or merged: it takes no more support or comments."""


def _closed_error(need: Need) -> NeedClosed:
    if need.is_merged:
        return NeedClosed(
            f"Need {need.id} has been merged into need {need.merged_into_id}: "
            "support and comment there instead"
        )
    return NeedClosed(
        f"Need {need.id} is {need.status.label.lower()}: it takes no more support or comments"
    )


def _lock(need: Need) -> None:
    """Re-read the need under a row lock (PostgreSQL), so that two officers' changes or a
    change racing a comment are applied one after the other, each to the current state."""
    db.session.execute(sa.select(Need.id).where(Need.id == need.id).with_for_update())
    db.session.refresh(need)


def _required_text(value: str, what: str, maximum: int) -> str:
    cleaned = (value or "").strip()
    if not cleaned:
        raise DomainError(f"Enter {what}")
    if len(cleaned) > maximum:
        raise DomainError(f"{what[0].upper()}{what[1:]} must be {maximum:,} characters or fewer")
    return cleaned


def _require_channel_organisation(organisation: Organisation, channel: NeedChannel) -> None:
    if organisation.kind is not channel.organisation_kind:
        raise DomainError(
            f"{display_name(organisation.name)} is a {organisation.kind.label.lower()}: "
            f"{channel.label.lower()} are for a {channel.organisation_kind.label.lower()} only"
        )


def raise_need(
    actor: User,
    organisation: Organisation,
    channel: NeedChannel,
    *,
    title: str,
    description_markdown: str,
    category: NeedCategory,
    urgency: NeedUrgency,
    lmc_only: bool = False,
) -> Need:
    """Raise a need in ``channel`` for ``organisation``, which ``actor`` must speak for."""
    _require_channel_organisation(organisation, channel)
    if not permissions.may_speak_for(actor, organisation, channel):
        raise NotPermitted(f"You cannot raise needs for {display_name(organisation.name)}")
    if category not in channel.categories:
        raise DomainError(f"Choose one of the categories of {channel.label.lower()}")
    if lmc_only and channel is not NeedChannel.PRACTICE:
        raise DomainError("Only a practice need can be seen by the LMC only")
    now = utcnow()
    need = Need(
        area_id=organisation.area_id,
        channel=channel,
        organisation=organisation,
        raised_by=actor,
        title=_required_text(title, "a title", TITLE_MAX_LENGTH),
        description_markdown=_required_text(
            description_markdown, "a description", DESCRIPTION_MAX_LENGTH
        ),
        category=category,
        urgency=urgency,
        lmc_only=lmc_only,
        status=NeedStatus.NEW,
        created_at=now,
        updated_at=now,
    )
    db.session.add(need)
    db.session.flush()
    record(
        "need.raised",
        f"Raised need {need.id} in {channel.label.lower()}",
        actor=actor,
        area=organisation.area,
        subject=need,
        details={
            "channel": channel.value,
            "organisation_id": organisation.id,
            "category": category.value,
            "lmc_only": lmc_only,
        },
    )
    return need


def support(actor: User, need: Need, organisation: Organisation) -> NeedSupport:
    """``organisation`` says the need affects it too."""
    _lock(need)
    if not permissions.can_see_need(actor, need):
        raise NotPermitted("You cannot see this need")
    if need.lmc_only:
        raise NotPermitted("A need only the LMC can see takes no support from other practices")
    _require_channel_organisation(organisation, need.channel)
    if not permissions.may_speak_for(actor, organisation, need.channel):
        raise NotPermitted(f"You cannot support needs for {display_name(organisation.name)}")
    if organisation.id == need.organisation_id:
        raise Conflict(f"{display_name(organisation.name)} raised this need: it is already counted")
    if not need.is_open:
        raise _closed_error(need)
    supported = NeedSupport(
        need_id=need.id, organisation_id=organisation.id, user_id=actor.id, created_at=utcnow()
    )
    insert_or_conflict(
        db.session, supported, f"{display_name(organisation.name)} already supports this need"
    )
    db.session.expire(need, ["supports"])
    record(
        "need.supported",
        f"{organisation.name} supported need {need.id}",
        actor=actor,
        area=need.area,
        subject=need,
        details={"organisation_id": organisation.id},
    )
    return supported


def withdraw_support(actor: User, need: Need, organisation: Organisation) -> None:
    _lock(need)
    if not permissions.may_speak_for(actor, organisation, need.channel):
        raise NotPermitted(f"You cannot withdraw support for {display_name(organisation.name)}")
    if not need.is_open:
        raise _closed_error(need)
    existing = db.session.scalar(
        sa.select(NeedSupport).where(
            NeedSupport.need_id == need.id, NeedSupport.organisation_id == organisation.id
        )
    )
    if existing is None:
        raise Conflict(f"{display_name(organisation.name)} does not support this need")
    db.session.delete(existing)
    db.session.flush()
    db.session.expire(need, ["supports"])
    record(
        "need.support_withdrawn",
        f"{organisation.name} withdrew support from need {need.id}",
        actor=actor,
        area=need.area,
        subject=need,
        details={"organisation_id": organisation.id},
    )


def comment(actor: User, need: Need, organisation: Organisation, body_markdown: str) -> NeedComment:
    _lock(need)
    if not permissions.can_comment(actor, need, organisation):
        raise NotPermitted(f"You cannot comment for {display_name(organisation.name)} on this need")
    if not need.is_open:
        raise _closed_error(need)
    added = NeedComment(
        need=need,
        organisation=organisation,
        author=actor,
        body_markdown=_required_text(body_markdown, "a comment", COMMENT_MAX_LENGTH),
        created_at=utcnow(),
    )
    db.session.add(added)
    db.session.flush()
    record(
        "need.commented",
        f"Comment {added.id} on need {need.id} for {organisation.name}",
        actor=actor,
        area=need.area,
        subject=need,
        details={"comment_id": added.id, "organisation_id": organisation.id},
    )
    notices.tell_of_news(need, actor, "There is a new comment")
    return added


def change_status(
    actor: User, need: Need, status: NeedStatus, reason: str | None = None
) -> NeedStatusChange:
    """An LMC officer's triage decision; declining needs a reason."""
    _lock(need)
    if not permissions.can_triage(actor, need):
        raise NotPermitted("Only an LMC officer can change the status of a need")
    if need.is_merged:
        raise Conflict(f"Need {need.id} has been merged: change the status of the kept need")
    if status is need.status:
        raise Conflict(f"Need {need.id} is already {status.label.lower()}")
    reason = (reason or "").strip() or None
    if status is NeedStatus.DECLINED and reason is None:
        raise DomainError("Give the reason for declining the need")
    if reason is not None and len(reason) > REASON_MAX_LENGTH:
        raise DomainError(f"The reason must be {REASON_MAX_LENGTH:,} characters or fewer")
    now = utcnow()
    change = NeedStatusChange(
        need=need,
        from_status=need.status,
        to_status=status,
        reason=reason,
        changed_by=actor,
        changed_at=now,
    )
    need.status = status
    need.status_reason = reason
    need.updated_at = now
    db.session.add(change)
    db.session.flush()
    record(
        "need.status_changed",
        f"Need {need.id}: {change.from_status.label} to {status.label}",
        actor=actor,
        area=need.area,
        subject=need,
        details={"from": change.from_status.value, "to": status.value, "reason": reason},
    )
    notices.tell_of_news(need, actor, f"The status is now “{status.label}”")
    return change


def link(actor: User, need: Need, proposal: Proposal | None, position: Position | None) -> None:
    """Record which ICS proposal and which position draft the LMC is taking the need into."""
    if not permissions.can_triage(actor, need):
        raise NotPermitted("Only an LMC officer can link a need")
    for linked in (proposal, position):
        if linked is not None and linked.area_id != need.area_id:
            raise DomainError("Link only to a proposal or draft of this area")
    if (need.proposal_id, need.position_id) == (
        proposal.id if proposal else None,
        position.id if position else None,
    ):
        raise Conflict(f"Need {need.id} is already linked like that")
    need.proposal_id = proposal.id if proposal else None
    need.position_id = position.id if position else None
    need.updated_at = utcnow()
    db.session.flush()
    record(
        "need.linked",
        f"Need {need.id} linked to "
        + (f"proposal {proposal.id}" if proposal else "no proposal")
        + " and "
        + (f"draft {position.id}" if position else "no draft"),
        actor=actor,
        area=need.area,
        subject=need,
        details={
            "proposal": proposal.id if proposal else None,
            "position": position.id if position else None,
        },
    )


def merge(actor: User, duplicate: Need, kept: Need) -> Need:
    """Fold ``duplicate`` into ``kept``: its raising organisation and supporters become
    supporters of ``kept``, its comments move there, and it points to ``kept`` from now on."""
    for need in sorted((duplicate, kept), key=lambda each: each.id):
        _lock(need)
    if not (permissions.can_triage(actor, duplicate) and permissions.can_triage(actor, kept)):
        raise NotPermitted("Only an LMC officer can merge needs")
    if duplicate.id == kept.id:
        raise DomainError("A need cannot be merged into itself")
    if duplicate.area_id != kept.area_id or duplicate.channel is not kept.channel:
        raise DomainError("Only needs of the same channel can be merged")
    for need in (duplicate, kept):
        if not need.is_open:
            raise _closed_error(need)
    # Merging must not show anything to anyone who could not see it before.
    if duplicate.lmc_only != kept.lmc_only:
        raise DomainError("An LMC only need can only be merged with another LMC only need")
    if kept.lmc_only and duplicate.organisation_id != kept.organisation_id:
        raise DomainError("LMC only needs can only be merged when the same practice raised both")

    counted = {kept.organisation_id} | {support.organisation_id for support in kept.supports}
    moving = list(duplicate.supports)
    for support in moving:
        if support.organisation_id in counted:
            db.session.delete(support)
    db.session.flush()
    for support in moving:
        if support.organisation_id not in counted:
            support.need = kept
            counted.add(support.organisation_id)
    if duplicate.organisation_id not in counted:
        db.session.add(
            NeedSupport(
                need=kept,
                organisation_id=duplicate.organisation_id,
                user_id=duplicate.raised_by_id,
                created_at=duplicate.created_at,
            )
        )
    for moved in list(duplicate.comments):
        moved.need = kept
    now = utcnow()
    duplicate.merged_into = kept
    duplicate.updated_at = now
    kept.updated_at = now
    db.session.flush()
    db.session.expire(kept, ["supports", "comments"])
    db.session.expire(duplicate, ["supports", "comments"])
    record(
        "need.merged",
        f"Need {duplicate.id} merged into need {kept.id}",
        actor=actor,
        area=kept.area,
        subject=duplicate,
        details={"kept_need_id": kept.id},
    )
    return kept


def authorise_pcn_member(actor: User, pcn: Organisation, member: User) -> PcnNeedAuthorisation:
    """A PCN's clinical director lets a member of one of its practices speak for the PCN."""
    if not permissions.can_manage_pcn_authorisations(actor, pcn):
        raise NotPermitted(
            f"Only a clinical director of {display_name(pcn.name)} can authorise members"
        )
    if pcn.id in permissions.led_pcn_ids(member, pcn.area):
        raise Conflict(f"{member.name} is already a clinical director of {display_name(pcn.name)}")
    if member.id not in {person.id for person in eligible_pcn_members(pcn)}:
        raise DomainError(
            f"{member.name} is not a GP partner or practice manager of a practice in "
            f"{display_name(pcn.name)}"
        )
    authorisation = PcnNeedAuthorisation(
        pcn_id=pcn.id, user_id=member.id, granted_by_id=actor.id, created_at=utcnow()
    )
    insert_or_conflict(
        db.session, authorisation, f"{member.name} can already speak for {display_name(pcn.name)}"
    )
    record(
        "need.pcn_member_authorised",
        f"{member.name} may speak for {pcn.name} in PCN needs",
        actor=actor,
        area=pcn.area,
        subject=authorisation,
        details={"pcn_id": pcn.id, "user_id": member.id},
    )
    return authorisation


def revoke_pcn_authorisation(actor: User, authorisation: PcnNeedAuthorisation) -> None:
    pcn = authorisation.pcn
    if not permissions.can_manage_pcn_authorisations(actor, pcn):
        raise NotPermitted(
            f"Only a clinical director of {display_name(pcn.name)} can revoke authorisations"
        )
    if authorisation.revoked_at is not None:
        raise Conflict("This authorisation has already been revoked")
    authorisation.revoked_at = utcnow()
    authorisation.revoked_by = actor
    db.session.flush()
    record(
        "need.pcn_member_authorisation_revoked",
        f"{authorisation.user.name} may no longer speak for {pcn.name} in PCN needs",
        actor=actor,
        area=pcn.area,
        subject=authorisation,
        details={"pcn_id": pcn.id, "user_id": authorisation.user_id},
    )
