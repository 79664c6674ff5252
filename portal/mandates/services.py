"""Attaching a mandate to a motion, granting it when the motion passes, commitments under it,
ratification, suspension, revocation by a vote, ending on its date, and the register.

Services flush, never commit, write the audit entry and raise ``DomainError`` with a message
for the person. Voting tells this domain what became of a motion through its signals
(``portal.voting.signals``); motions this domain needs (to revoke a mandate, to ratify a
commitment) are made with voting's own ``create_vote`` and opened by an officer there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from portal.accounts.models import Membership, User
from portal.accounts.queries import group_members
from portal.audit.services import record
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.mail import queue_email
from portal.mandates import permissions
from portal.mandates.models import (
    GRANTED_STATES,
    MANDATE_TIERS,
    Commitment,
    Mandate,
    MandateHolder,
    MandateState,
    Ratification,
    Revocation,
    RevocationOutcome,
)
from portal.organisations.models import Area, Organisation
from portal.organisations.permissions import GROUP_ROLES
from portal.positions.models import Proposal
from portal.tiers import Tier
from portal.times import LONDON, long_date
from portal.urls import external_url
from portal.voting import services as voting
from portal.voting.models import Vote, VoteKind, VoteState
from portal.voting.published import result_wording
from portal.voting.signals import vote_cancelled, vote_closed

MAX_TITLE = 200
MAX_BOUNDS = 4000
MAX_HOLDERS = 10
MAX_SHORT = 200
MAX_REASON = 2000
# A motion this domain drafts opens a day later and runs a week, until an officer sets it.
DRAFT_OPENS_AFTER = timedelta(days=1)
DRAFT_RUNS_FOR = timedelta(days=7)


def london_day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


# ---------------------------------------------------------------------------------------------
# Attaching a mandate to a motion


@dataclass(frozen=True)
class Terms:
    """What an officer fills in to attach a mandate to a motion."""

    title: str
    proposal: Proposal | None
    may_agree: str
    may_not_agree: str
    come_back_when: str
    ends_on: date
    tier: Tier
    holders: Sequence[Membership]


def holder_choices(area: Area) -> list[Membership]:
    """Each active leadership group member of the area in each of their roles, by name."""
    query = (
        sa.select(Membership)
        .join(User, User.id == Membership.user_id)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(
            Organisation.area_id == area.id,
            Membership.role.in_(GROUP_ROLES),
            User.active.is_(True),
        )
        .order_by(User.name, User.id, Organisation.name, Membership.id)
    )
    return list(db.session.scalars(query))


def _text(value: str, what: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(f"Enter {what}.")
    if len(value) > limit:
        raise DomainError(f"{what[0].upper()}{what[1:]} must be {limit:,} characters or fewer.")
    return value


def subject_key(title: str, proposal: Proposal | None) -> str:
    """Mandates on one ICS proposal share a subject; otherwise the same words do."""
    if proposal is not None:
        return f"proposal:{proposal.id}"
    return "topic:" + " ".join(title.casefold().split())[:200]


def _check_holders(area: Area, holders: Sequence[Membership]) -> None:
    if not holders:
        raise DomainError("Choose at least one holder.")
    if len(holders) > MAX_HOLDERS:
        raise DomainError(f"A mandate has at most {MAX_HOLDERS} holders.")
    people = [membership.user_id for membership in holders]
    if len(set(people)) != len(people):
        raise DomainError("Choose each holder once, in one of their roles.")
    for membership in holders:
        if (
            membership.organisation.area_id != area.id
            or membership.role not in GROUP_ROLES
            or not membership.user.active
        ):
            raise DomainError(
                f"{membership.user.name} is not a member of this area's leadership group "
                "in that role: a holder must be."
            )


def attach(actor: User, vote: Vote, terms: Terms) -> Mandate:
    """Attach a mandate to a draft motion; it comes into force only if the motion passes."""
    if not permissions.can_attach(actor, vote.area):
        raise NotPermitted("Only LMC officers and area administrators attach mandates.")
    if vote.kind is not VoteKind.MOTION or vote.state is not VoteState.DRAFT:
        raise DomainError("A mandate is attached to a motion while it is still a draft.")
    if db.session.scalar(sa.select(Mandate.id).where(Mandate.grant_vote_id == vote.id)):
        raise Conflict("This motion already grants a mandate.")
    title = _text(terms.title, "the mandate's subject", MAX_TITLE)
    may_agree = _text(terms.may_agree, "what the holders may agree", MAX_BOUNDS)
    may_not_agree = _text(terms.may_not_agree, "what the holders may not agree", MAX_BOUNDS)
    come_back = _text(terms.come_back_when, "when the holders must come back", MAX_BOUNDS)
    if terms.tier not in MANDATE_TIERS:
        raise DomainError("Choose who may read the mandate: members, ICS readers or anyone.")
    if terms.proposal is not None and terms.proposal.area_id != vote.area_id:
        raise DomainError("Choose an ICS proposal of this area.")
    closes_on = london_day(vote.closes_at)
    if terms.ends_on <= closes_on:
        raise DomainError(f"The end date must be after the vote closes on {long_date(closes_on)}.")
    _check_holders(vote.area, terms.holders)
    mandate = Mandate(
        area=vote.area,
        grant_vote=vote,
        title=title,
        proposal=terms.proposal,
        subject_key=subject_key(title, terms.proposal),
        may_agree=may_agree,
        may_not_agree=may_not_agree,
        come_back_when=come_back,
        ends_on=terms.ends_on,
        tier=terms.tier,
        state=MandateState.PROPOSED,
        created_by=actor,
        holders=[
            MandateHolder(user=m.user, organisation=m.organisation, role=m.role)
            for m in terms.holders
        ],
    )
    db.session.add(mandate)
    db.session.flush()
    record(
        "mandate.attached",
        f"Mandate {title!r} attached to the motion {vote.title!r}",
        actor=actor,
        area=vote.area,
        subject=mandate,
        details={
            "vote_id": vote.id,
            "holders": [h.user_id for h in mandate.holders],
            "ends_on": terms.ends_on.isoformat(),
            "tier": terms.tier.value,
        },
    )
    return mandate


# ---------------------------------------------------------------------------------------------
# What voting reports


def _provenance(vote: Vote) -> str:
    wording = result_wording(vote)
    return f"{vote.title}. {wording}" if wording else vote.title


def _tell_members(mandate: Mandate, news: str) -> None:
    """Email the area's leadership group; only a public mandate's subject goes in the email."""
    link = external_url("mandates.mandate", mandate_id=mandate.id)
    public = mandate.tier is Tier.PUBLIC
    subject = f"{news}: {mandate.title}" if public else f"{news} (a mandate of your group)"
    body = (
        f"{news}: {mandate.title}.\n\n{link}\n"
        if public
        else f"{news}. Sign in to read it:\n\n{link}\n"
    )
    for person in group_members(mandate.area):
        queue_email(person.email, subject, body)


def _supersede_others(mandate: Mandate, now: datetime) -> None:
    today = london_day(now)
    earlier = db.session.scalars(
        sa.select(Mandate).where(
            Mandate.area_id == mandate.area_id,
            Mandate.subject_key == mandate.subject_key,
            Mandate.id != mandate.id,
            Mandate.state.in_([MandateState.IN_FORCE, MandateState.SUSPENDED]),
            Mandate.ends_on >= today,
        )
    )
    for old in earlier:
        old.state = MandateState.SUPERSEDED
        old.superseded_by = mandate
        old.superseded_at = now
        db.session.flush()
        record(
            "mandate.superseded",
            f"Mandate {old.title!r} superseded by a later mandate on the same subject",
            actor=None,
            area=old.area,
            subject=old,
            details={"superseded_by": mandate.id},
        )


def _grant(mandate: Mandate, vote: Vote, passed: bool, now: datetime) -> None:
    if mandate.state is not MandateState.PROPOSED:
        return
    if not passed:
        _not_granted(mandate, "The motion did not pass.")
        return
    if mandate.ends_on < london_day(now):
        _not_granted(mandate, "Its end date had passed when the motion was decided.")
        return
    mandate.state = MandateState.IN_FORCE
    mandate.granted_at = now
    mandate.provenance = _provenance(vote)
    db.session.flush()
    record(
        "mandate.granted",
        f"Mandate {mandate.title!r} in force: the motion {vote.title!r} passed",
        actor=None,
        area=mandate.area,
        subject=mandate,
        details={"vote_id": vote.id},
    )
    _supersede_others(mandate, now)
    _tell_members(mandate, "A mandate is in force")


def _not_granted(mandate: Mandate, reason: str) -> None:
    mandate.state = MandateState.NOT_GRANTED
    mandate.not_granted_reason = reason
    db.session.flush()
    record(
        "mandate.not_granted",
        f"Mandate {mandate.title!r} not granted: {reason}",
        actor=None,
        area=mandate.area,
        subject=mandate,
    )


def _revoke(revocation: Revocation, vote: Vote, outcome: RevocationOutcome, now: datetime) -> None:
    if revocation.outcome is not None:
        return
    revocation.outcome = outcome
    mandate = revocation.mandate
    live = mandate.state_on(london_day(now)) in (MandateState.IN_FORCE, MandateState.SUSPENDED)
    if outcome is RevocationOutcome.PASSED and live:
        mandate.state = MandateState.REVOKED
        mandate.revoked_at = now
        mandate.revoke_vote_id = vote.id
        mandate.revocation_provenance = _provenance(vote)
    db.session.flush()
    record(
        "mandate.revocation_decided",
        f"Motion to revoke mandate {mandate.title!r}: {outcome.value.replace('_', ' ')}",
        actor=None,
        area=mandate.area,
        subject=mandate,
        details={"vote_id": vote.id, "revoked": mandate.state is MandateState.REVOKED},
    )
    if mandate.state is MandateState.REVOKED:
        _tell_members(mandate, "A mandate has been revoked by a vote")


def _ratify(commitment: Commitment, vote: Vote, ratified: bool | None) -> None:
    if commitment.ratification is not Ratification.AWAITING:
        return
    commitment.ratification = Ratification.RATIFIED if ratified else Ratification.NOT_RATIFIED
    commitment.ratification_provenance = (
        _provenance(vote) if ratified is not None else "The motion to ratify it was called off."
    )
    db.session.flush()
    record(
        "mandate.commitment_ratification_decided",
        f"Commitment under mandate {commitment.mandate.title!r}: "
        f"{commitment.ratification.value.replace('_', ' ')}",
        actor=None,
        area=commitment.mandate.area,
        subject=commitment.mandate,
        details={"commitment_id": commitment.id, "vote_id": vote.id},
    )


def _linked(vote: Vote) -> tuple[Mandate | None, Revocation | None, Commitment | None]:
    return (
        db.session.scalar(sa.select(Mandate).where(Mandate.grant_vote_id == vote.id)),
        db.session.scalar(sa.select(Revocation).where(Revocation.vote_id == vote.id)),
        db.session.scalar(sa.select(Commitment).where(Commitment.ratification_vote_id == vote.id)),
    )


def on_vote_closed(vote: Vote, result: Any = None, **_: Any) -> None:
    """Voting counted ``vote``: grant, revoke or ratify what hangs on it."""
    mandate, revocation, commitment = _linked(vote)
    if mandate is None and revocation is None and commitment is None:
        return
    passed = getattr(result, "outcome", None) == "passed"
    now = vote.closed_at or vote.closes_at
    if mandate is not None:
        _grant(mandate, vote, passed, now)
    if revocation is not None:
        outcome = RevocationOutcome.PASSED if passed else RevocationOutcome.NOT_PASSED
        _revoke(revocation, vote, outcome, now)
    if commitment is not None:
        _ratify(commitment, vote, passed)


def on_vote_cancelled(vote: Vote, **_: Any) -> None:
    """An officer called ``vote`` off: nothing that hangs on it is granted or revoked."""
    mandate, revocation, commitment = _linked(vote)
    if mandate is not None and mandate.state is MandateState.PROPOSED:
        _not_granted(mandate, "The motion was called off.")
    if revocation is not None:
        _revoke(revocation, vote, RevocationOutcome.CANCELLED, vote.cancelled_at or vote.closes_at)
    if commitment is not None:
        _ratify(commitment, vote, None)


vote_closed.connect(on_vote_closed)
vote_cancelled.connect(on_vote_cancelled)


def _motion_for_same_electorate(
    actor: User, grant: Vote, title: str, question: str, body: str, now: datetime
) -> Vote:
    """A draft motion put to the electorate that granted the mandate, under its rules."""
    opens = (now + DRAFT_OPENS_AFTER).replace(second=0, microsecond=0)
    return voting.create_vote(
        actor,
        grant.area,
        voting.VoteDetails(
            title=title[:MAX_TITLE],
            question=question[:500],
            body_markdown=body,
            kind=VoteKind.MOTION,
            secrecy=grant.secrecy,
            options=[],
            voting_kinds=list(grant.voting_kinds),
            pcn_codes=list(grant.pcn_codes) if grant.pcn_codes else None,
            opens_at=opens,
            closes_at=opens + DRAFT_RUNS_FOR,
            rules=dict(grant.rules),
        ),
        authorised=True,
    )


# ---------------------------------------------------------------------------------------------
# Using a mandate


@dataclass(frozen=True)
class CommitmentDetails:
    made_on: date
    forum: str
    with_whom: str
    what_agreed: str
    needs_ratification: bool


def _refuse_unless_in_force(mandate: Mandate, today: date, doing: str) -> None:
    state = mandate.state_on(today)
    if state is MandateState.IN_FORCE:
        return
    if state is MandateState.ENDED:
        raise DomainError(f"This mandate ended on {long_date(mandate.ends_on)}: {doing}.")
    raise DomainError(f"This mandate is {state.label.lower()}: {doing}.")


def record_commitment(
    actor: User, mandate: Mandate, details: CommitmentDetails, now: datetime
) -> Commitment:
    if not permissions.can_record_commitment(actor, mandate):
        raise NotPermitted("Only the mandate's holders record commitments under it.")
    today = london_day(now)
    _refuse_unless_in_force(mandate, today, "no commitment can be recorded under it")
    assert mandate.granted_at is not None  # in force, so granted
    granted_on = london_day(mandate.granted_at)
    if details.made_on > today:
        raise DomainError("The commitment's date cannot be in the future.")
    if details.made_on < granted_on:
        raise DomainError(
            f"The mandate came into force on {long_date(granted_on)}: a commitment made "
            "before then was not made under it."
        )
    if details.made_on > mandate.ends_on:
        raise DomainError(
            f"The commitment's date is after the mandate ended on {long_date(mandate.ends_on)}."
        )
    commitment = Commitment(
        mandate=mandate,
        holder=actor,
        made_on=details.made_on,
        forum=_text(details.forum, "the meeting or forum", MAX_SHORT),
        with_whom=_text(details.with_whom, "who it was agreed with", MAX_SHORT),
        what_agreed=_text(details.what_agreed, "what was agreed", MAX_BOUNDS),
    )
    db.session.add(commitment)
    db.session.flush()
    if details.needs_ratification:
        vote = _motion_for_same_electorate(
            actor,
            mandate.grant_vote,
            f"Ratify a commitment under the mandate: {mandate.title}",
            "Should members ratify this commitment, made beyond the mandate's bounds?",
            f"On {long_date(details.made_on)}, at {commitment.forum}, with "
            f"{commitment.with_whom}, {actor.name} agreed:\n\n{commitment.what_agreed}\n\n"
            f"The mandate's bounds: may not agree {mandate.may_not_agree}",
            now,
        )
        commitment.ratification = Ratification.AWAITING
        commitment.ratification_vote_id = vote.id
        db.session.flush()
    record(
        "mandate.commitment_recorded",
        f"Commitment recorded under mandate {mandate.title!r}"
        + (", needing ratification" if details.needs_ratification else ""),
        actor=actor,
        area=mandate.area,
        subject=mandate,
        details={
            "commitment_id": commitment.id,
            "made_on": details.made_on.isoformat(),
            "ratification_vote_id": commitment.ratification_vote_id,
        },
    )
    _tell_members(mandate, "A commitment has been recorded under a mandate")
    return commitment


# ---------------------------------------------------------------------------------------------
# Ending a mandate


def suspend(actor: User, mandate: Mandate, reason: str, now: datetime) -> None:
    if not permissions.can_suspend(actor, mandate):
        raise NotPermitted("Only an LMC officer suspends a mandate.")
    _refuse_unless_in_force(mandate, london_day(now), "it cannot be suspended")
    reason = _text(reason, "the reason for suspending it", MAX_REASON)
    mandate.state = MandateState.SUSPENDED
    mandate.suspended_at = now
    mandate.suspended_by = actor
    mandate.suspension_reason = reason
    db.session.flush()
    record(
        "mandate.suspended",
        f"Mandate {mandate.title!r} suspended",
        actor=actor,
        area=mandate.area,
        subject=mandate,
        details={"reason": reason},
    )
    _tell_members(mandate, "A mandate has been suspended")


def propose_revocation(actor: User, mandate: Mandate, reason: str, now: datetime) -> Vote:
    """Draft a motion to revoke ``mandate``, for the electorate that granted it."""
    if not permissions.can_propose_revocation(actor, mandate):
        raise NotPermitted("Only LMC officers and area administrators propose revocation.")
    if mandate.state_on(london_day(now)) not in (MandateState.IN_FORCE, MandateState.SUSPENDED):
        raise DomainError("Only a mandate in force or suspended can be revoked.")
    if any(r.outcome is None for r in mandate.revocations):
        raise Conflict("A motion to revoke this mandate is already waiting for its vote.")
    reason = _text(reason, "why it should be revoked", MAX_REASON)
    vote = _motion_for_same_electorate(
        actor,
        mandate.grant_vote,
        f"Revoke the mandate: {mandate.title}",
        "Should the mandate be revoked?",
        reason,
        now,
    )
    revocation = Revocation(
        mandate=mandate, vote_id=vote.id, proposed_by_id=actor.id, reason=reason
    )
    db.session.add(revocation)
    db.session.flush()
    record(
        "mandate.revocation_proposed",
        f"Motion drafted to revoke mandate {mandate.title!r}",
        actor=actor,
        area=mandate.area,
        subject=mandate,
        details={"vote_id": vote.id, "reason": reason},
    )
    return vote


def end_due(now: datetime) -> list[Mandate]:
    """Write "ended" on mandates whose end date has passed (the worker's job; pages already
    read them as ended)."""
    today = london_day(now)
    due = list(
        db.session.scalars(
            sa.select(Mandate)
            .where(
                Mandate.state.in_([MandateState.IN_FORCE, MandateState.SUSPENDED]),
                Mandate.ends_on < today,
            )
            .with_for_update(skip_locked=True)
        )
    )
    for mandate in due:
        mandate.state = MandateState.ENDED
        mandate.ended_at = now
        db.session.flush()
        record(
            "mandate.ended",
            f"Mandate {mandate.title!r} ended on its date",
            actor=None,
            area=mandate.area,
            subject=mandate,
            details={"ends_on": mandate.ends_on.isoformat()},
        )
    return due


# ---------------------------------------------------------------------------------------------
# Reading


def readable(user: Any) -> sa.ColumnElement[bool]:
    """True for exactly the granted mandates ``user`` may read, area by area."""
    by_tiers: dict[frozenset[Tier], list[int]] = {}
    for area in db.session.scalars(sa.select(Area).order_by(Area.id)):
        tiers = permissions.mandate_tiers(user, area) & frozenset(MANDATE_TIERS)
        if tiers:
            by_tiers.setdefault(tiers, []).append(area.id)
    clauses = [
        sa.and_(Mandate.area_id.in_(ids), Mandate.tier.in_(sorted(tiers, key=lambda t: t.value)))
        for tiers, ids in by_tiers.items()
    ]
    granted = Mandate.state.in_(sorted(GRANTED_STATES, key=lambda s: s.value))
    return sa.and_(granted, sa.or_(*clauses)) if clauses else sa.false()


def register(user: Any, area_slug: str | None = None) -> list[Mandate]:
    """The granted mandates ``user`` may read, newest first."""
    query = sa.select(Mandate).where(readable(user))
    if area_slug:
        query = query.join(Area, Area.id == Mandate.area_id).where(Area.slug == area_slug)
    return list(db.session.scalars(query.order_by(Mandate.granted_at.desc(), Mandate.id.desc())))


def areas_with_mandates(user: Any) -> list[Area]:
    ids = sa.select(Mandate.area_id).where(readable(user))
    return list(db.session.scalars(sa.select(Area).where(Area.id.in_(ids)).order_by(Area.name)))


def find(user: Any, mandate_id: int) -> Mandate | None:
    """The mandate if ``user`` may read it; None otherwise (a 404)."""
    mandate = db.session.get(Mandate, mandate_id)
    if mandate is None or not permissions.can_read_mandate(user, mandate):
        return None
    return mandate


def held_by(user: Any, holder: User) -> list[Mandate]:
    """The granted mandates ``holder`` holds that ``user`` may read, newest first."""
    query = (
        sa.select(Mandate)
        .join(MandateHolder, MandateHolder.mandate_id == Mandate.id)
        .where(MandateHolder.user_id == holder.id, readable(user))
        .order_by(Mandate.granted_at.desc(), Mandate.id.desc())
    )
    return list(db.session.scalars(query))


def proposed_for(vote: Vote) -> Mandate | None:
    return db.session.scalar(sa.select(Mandate).where(Mandate.grant_vote_id == vote.id))


def in_force(mandates: Iterable[Mandate], today: date) -> list[Mandate]:
    return [m for m in mandates if m.state_on(today) is MandateState.IN_FORCE]
