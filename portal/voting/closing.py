"""Closing a vote (counting it once with ``portal.voting.rules`` and storing its record and
result) and cancelling one before it is counted.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa

from portal.accounts.models import User
from portal.audit.services import record
from portal.email_kinds import Kind
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.urls import external_url
from portal.voting import mail_text, scrutiny, secrecy, signals, unlinking
from portal.voting import rules as counting
from portal.voting.ballot_record import ballot_record_data, exact_totals
from portal.voting.guards import VotingClosed, VotingNotOpen, lock_vote, london
from portal.voting.models import BallotSecrecy, Vote, VoteState
from portal.voting.notices import notify_electorate
from portal.voting.permissions import can_manage_votes
from portal.voting.published import result_wording


def close_vote(vote: Vote, now: datetime, actor: User | None = None) -> None:
    """Count once, store the record, its SHA-256 and the result, and never count again.

    The vote's row is locked for update, so two requests at the closing moment count once.
    """
    lock_vote(vote, shared=False)
    # Closed by a request a moment before, or cancelled: there is nothing (more) to count.
    if vote.state in (VoteState.CLOSED, VoteState.CANCELLED):
        return
    if vote.state is not VoteState.OPEN:
        raise Conflict("Only an open vote can close")
    if now < vote.closes_at:
        raise VotingNotOpen(f"This vote closes on {london(vote.closes_at)}")
    secret = vote.secrecy is BallotSecrecy.SECRET
    data = ballot_record_data(vote, pseudonymise=secret)
    exact = counting.tally(counting.parse_record(data))
    vote.result = counting.result_to_json(exact)
    vote.exact_totals = exact_totals(exact)
    vote.state = VoteState.CLOSED
    vote.closed_at = now
    unlinking.mark_who_voted(vote)
    if secret:
        # Published only what unmasks nobody; the decision above was taken on exact fractions.
        full = ballot_record_data(vote)
        attacked = secrecy.ballot_from_record(full)
        vote.published = secrecy.published_figures(attacked, secrecy.publish(attacked))
        # The full record (@2) goes sealed to the scrutineers, its salted fingerprint is
        # published, and it is kept in the clear only if nobody can be picked out in it.
        scrutiny.keep_secret_record(vote, full, attacked)
        # Shares identify members: a secret ballot keeps no ballot, only its exact totals and
        # who voted (see portal.voting.unlinking).
        unlinking.forget_choices(vote, cancelled=False)
    else:
        vote.ballot_record = counting.canonical_json(data).decode()
        vote.ballot_record_sha256 = hashlib.sha256(vote.ballot_record.encode()).hexdigest()
    db.session.flush()
    record(
        "vote.closed",
        f"Vote closed: {vote.title}. Outcome: {vote.result['outcome']}",
        actor=actor,
        area=vote.area,
        subject=vote,
        details={"sha256": vote.ballot_record_sha256, "outcome": vote.result["outcome"]},
    )
    signals.vote_closed.send(vote, result=exact)
    notify_electorate(
        vote,
        f"Result declared: {mail_text.named(vote)}",
        f"{_the_vote(vote)} has closed.\n\n{mail_text.result(vote, result_wording(vote))}\n\n"
        f"See the result and the support behind it:\n"
        f"{external_url('voting.results', area_slug=vote.area.slug, vote_id=vote.id)}\n",
        Kind.RESULTS,
    )


MAX_CANCELLATION_REASON = 2000


def _the_vote(vote: Vote) -> str:
    return f'The vote "{vote.title}"' if mail_text.shows_text(vote) else "A vote you are part of"


def cancel_vote(actor: User, vote: Vote, reason: str, now: datetime) -> None:
    """Call off a draft or open vote: it is never counted and no result is ever declared.

    A vote whose closing time has come is counted instead, never cancelled: the poll ran its
    full course. Ballots already cast are kept but count for nothing; in a secret ballot the
    link from each ballot to the person who cast it goes, as it would at close.
    """
    if not can_manage_votes(actor, vote.area):
        raise NotPermitted("Only LMC officers and area administrators can cancel a vote")
    lock_vote(vote, shared=False)
    if vote.state is VoteState.CANCELLED:
        raise Conflict("This vote has already been cancelled")
    if vote.state is VoteState.CLOSED or (vote.state is VoteState.OPEN and now >= vote.closes_at):
        raise VotingClosed("This vote has closed and is counted: it can no longer be cancelled")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give the reason for cancelling the vote")
    if len(reason) > MAX_CANCELLATION_REASON:
        raise DomainError(f"The reason must be {MAX_CANCELLATION_REASON:,} characters or fewer")
    was_open = vote.state is VoteState.OPEN
    vote.state = VoteState.CANCELLED
    vote.cancelled_at = now
    vote.cancelled_by_id = actor.id
    vote.cancellation_reason = reason
    if vote.secrecy is BallotSecrecy.SECRET:
        unlinking.forget_choices(vote, cancelled=True)
    db.session.flush()
    record(
        "vote.cancelled",
        f"Vote cancelled: {vote.title}",
        actor=actor,
        area=vote.area,
        subject=vote,
        details={"reason": reason, "was_open": was_open},
    )
    signals.vote_cancelled.send(vote)
    if was_open:
        notify_electorate(
            vote,
            f"Vote cancelled: {mail_text.named(vote)}",
            f"{_the_vote(vote)} has been cancelled. No ballot will be counted.\n\n"
            f"The reason given: {mail_text.text(vote, reason)}\n\n"
            f"{external_url('voting.vote', area_slug=vote.area.slug, vote_id=vote.id)}\n",
            # Calling a vote off is its outcome: like a result, it cannot be turned off.
            Kind.RESULTS,
        )


def close_due_votes(now: datetime) -> list[Vote]:
    """Count every vote whose closing time has come. The worker and ``flask close-due-votes``
    are the only closers: a page view never counts a vote, it shows it "closed, being counted".
    """
    due = list(
        db.session.execute(
            sa.select(Vote)
            .where(Vote.state == VoteState.OPEN, Vote.closes_at <= now)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    for vote in due:
        close_vote(vote, now)
    return due
