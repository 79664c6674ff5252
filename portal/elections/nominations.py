"""Nominations and withdrawals: an elector nominates, another seconds, the candidate accepts
with a statement; a candidate withdraws (or an officer withdraws them) with a reason.

Services take domain objects, the acting user and plain data; they flush but never commit,
write the audit entry and queue email (sent after the request's commit).
"""

from __future__ import annotations

from datetime import datetime

from portal.accounts.models import User
from portal.audit.services import record
from portal.elections import signals
from portal.elections.closing import decide_candidacy
from portal.elections.electors import eligible_candidates, notify_electors
from portal.elections.guards import check_acting_elector, lock_election
from portal.elections.models import Election, ElectionState, Elector, Nomination, NominationState
from portal.elections.permissions import can_manage_elections
from portal.email_kinds import Kind
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.mail import queue_email

MAX_STATEMENT_WORDS = 300
MAX_REASON_LENGTH = 500


def _check_nominations_open(election: Election, now: datetime) -> None:
    if election.state is not ElectionState.NOMINATIONS or now >= election.nominations_close_at:
        raise DomainError("Nominations have closed for this election")


def nominate(
    actor: User, election: Election, elector: Elector, candidate: User, now: datetime
) -> Nomination:
    lock_election(election)
    _check_nominations_open(election, now)
    check_acting_elector(actor, election, elector)
    if candidate not in eligible_candidates(election):
        raise DomainError(f"{candidate.name} cannot stand in this election")
    if candidate.id == actor.id:
        raise DomainError("You cannot nominate yourself: ask another elector to nominate you")
    if any(n.candidate_id == candidate.id for n in election.nominations):
        raise Conflict(f"{candidate.name} has already been nominated")
    nomination = Nomination(
        election=election, candidate=candidate, nominator=elector, nominated_by_id=actor.id
    )
    db.session.add(nomination)
    db.session.flush()
    record(
        "election.nominated",
        f"{candidate.name} nominated by {elector.label}",
        actor=actor,
        area=election.area,
        subject=election,
        details={"nomination_id": nomination.id},
    )
    queue_email(
        candidate.email,
        f"You have been nominated: {election.title}",
        f"{elector.label} has nominated you in “{election.title}”. Once another elector has "
        "seconded the nomination, you can accept it and add a statement on the election's "
        "page before nominations close.",
    )
    return nomination


def second(actor: User, nomination: Nomination, elector: Elector, now: datetime) -> None:
    election = nomination.election
    lock_election(election)
    _check_nominations_open(election, now)
    check_acting_elector(actor, election, elector)
    if nomination.state is not NominationState.AWAITING_SECONDER:
        raise Conflict("This nomination has already been seconded")
    if elector.id == nomination.nominator_id:
        raise DomainError("The seconder must be a different elector from the nominator")
    if actor.id == nomination.candidate_id:
        raise DomainError("You cannot second your own nomination")
    nomination.seconder = elector
    nomination.seconded_by_id = actor.id
    nomination.state = NominationState.AWAITING_ACCEPTANCE
    db.session.flush()
    record(
        "election.seconded",
        f"Nomination of {nomination.candidate.name} seconded by {elector.label}",
        actor=actor,
        area=election.area,
        subject=election,
        details={"nomination_id": nomination.id},
    )
    queue_email(
        nomination.candidate.email,
        f"Your nomination has been seconded: {election.title}",
        f"Your nomination in “{election.title}” has been seconded. Accept it on the "
        "election's page to stand.",
    )


def word_count(text: str) -> int:
    return len(text.split())


def accept(actor: User, nomination: Nomination, statement: str, now: datetime) -> None:
    """The candidate accepts (or, once accepted, edits the statement) before nominations close."""
    election = nomination.election
    lock_election(election)
    _check_nominations_open(election, now)
    if actor.id != nomination.candidate_id:
        raise NotPermitted("Only the candidate can accept a nomination")
    if nomination.state is NominationState.AWAITING_SECONDER:
        raise DomainError("The nomination must be seconded before you can accept it")
    words = word_count(statement)
    if words > MAX_STATEMENT_WORDS:
        raise DomainError(
            f"The statement has {words} words: it must be {MAX_STATEMENT_WORDS} or fewer"
        )
    first_time = nomination.state is not NominationState.ACCEPTED
    nomination.statement_markdown = statement
    nomination.state = NominationState.ACCEPTED
    nomination.accepted_at = nomination.accepted_at or now
    db.session.flush()
    record(
        "election.accepted" if first_time else "election.statement_changed",
        f"{actor.name} {'accepted the nomination' if first_time else 'changed the statement'}",
        actor=actor,
        area=election.area,
        subject=election,
        details={"nomination_id": nomination.id, "words": words},
    )


def check_withdrawal(actor: User, nomination: Nomination, now: datetime) -> None:
    """Raise unless ``actor`` may withdraw ``nomination`` now.

    The candidate may withdraw while nominations are open; an officer may withdraw a candidate
    until voting opens (for example, one who has become ineligible).
    """
    election = nomination.election
    officer = can_manage_elections(actor, election.area)
    if actor.id != nomination.candidate_id and not officer:
        raise NotPermitted("Only the candidate or an officer can withdraw a candidate")
    if nomination.state is not NominationState.ACCEPTED:
        raise Conflict("Only a standing candidate can withdraw")
    if election.state is ElectionState.NOMINATIONS:
        if officer or now < election.nominations_close_at:
            return
        raise DomainError("Nominations have closed: ask an officer if you must withdraw")
    if election.state is ElectionState.VOTING and now < election.voting_opens_at:
        if officer:
            return
        raise DomainError("Nominations have closed: ask an officer if you must withdraw")
    raise DomainError("Voting has started or the election is decided: no one can withdraw now")


def may_withdraw(actor: User, nomination: Nomination, now: datetime) -> bool:
    try:
        check_withdrawal(actor, nomination, now)
    except DomainError:
        return False
    return True


def withdraw(actor: User, nomination: Nomination, reason: str, now: datetime) -> None:
    """A standing candidate withdraws (or an officer withdraws them), with a reason.

    They leave the ballot; the BLT file lists them as withdrawn. When nominations have already
    closed, the rule at the close is applied again to those left: elected unopposed when
    candidates no longer outnumber seats.
    """
    election = nomination.election
    lock_election(election)
    db.session.refresh(nomination)
    check_withdrawal(actor, nomination, now)
    reason = reason.strip()
    if not reason:
        raise DomainError("Enter the reason for the withdrawal")
    if len(reason) > MAX_REASON_LENGTH:
        raise DomainError(f"The reason must be {MAX_REASON_LENGTH} characters or fewer")
    nomination.state = NominationState.WITHDRAWN
    nomination.withdrawn_at = now
    nomination.withdrawn_by_id = actor.id
    nomination.withdrawal_reason = reason
    db.session.flush()
    by_self = actor.id == nomination.candidate_id
    record(
        "election.withdrawn",
        f"{nomination.candidate.name} "
        + ("withdrew" if by_self else f"was withdrawn by {actor.name}")
        + f" from “{election.title}”: {reason}",
        actor=actor,
        area=election.area,
        subject=election,
        details={"nomination_id": nomination.id, "reason": reason},
    )
    if not by_self:
        queue_email(
            nomination.candidate.email,
            f"You have been withdrawn: {election.title}",
            f"{actor.name} has withdrawn you as a candidate in “{election.title}”. "
            f"The reason given: {reason}",
        )
    signals.candidate_withdrawn.send(election, nomination=nomination, actor=actor, reason=reason)
    if election.state is ElectionState.VOTING:
        summary = decide_candidacy(election, now)
        db.session.flush()
        if election.state is not ElectionState.VOTING:
            record(
                "election.nominations_closed",
                f"After a withdrawal in “{election.title}”: {summary}",
                actor=actor,
                area=election.area,
                subject=election,
            )
            notify_electors(
                election,
                f"Candidate withdrawn: {election.title}",
                summary.capitalize(),
                Kind.VOTES_OPENED,
            )
            signals.nominations_closed.send(election, actor=actor)
