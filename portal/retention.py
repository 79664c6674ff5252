"""Retention: what the portal keeps, for how long, and the scheduled job that removes the rest.

Two periods, both settings shown on the privacy notice (``/privacy``):

* ``RETENTION_BALLOT_DAYS`` (a year by default, as trade-union ballots are kept): after a vote
  closed or was cancelled this long ago, whatever still links a ballot to an organisation is
  removed (``portal.voting.unlinking.remove_ballot_links``), and the domains that keep records
  of their own about a vote's ballots (scrutineers' encrypted copies) are told through
  ``ballot_links_expired`` to remove theirs. The result, the exact totals, who voted and the
  record's published SHA-256 stay; the audit chain gains one entry per vote and is never
  rewritten, so ``verify_chain`` still passes.
* ``RETENTION_FORMER_MEMBER_DAYS``: a member whose account was deactivated this long ago loses
  their name, address and sign-in details (``portal.accounts.anonymising``); mail already sent
  to that address leaves the outbox with them.

It sits above the domains whose rows it removes (voting, accounts) and below only the home
page's domain, which shows its periods on the privacy notice; the worker runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app

from portal.extensions import db

_signals = Namespace()
#: Sent with the ``Vote`` as sender when its retention period has run, inside the job's
#: transaction and after voting removed its own links. A receiver deletes any record it keeps
#: that links one of the vote's ballots to an organisation; it may flush, never commit.
ballot_links_expired = _signals.signal("ballot-links-expired")

# Each round does at most this many of each, so one round never holds a long transaction.
BATCH = 200


@dataclass(frozen=True)
class RetentionPeriods:
    ballot_days: int
    former_member_days: int

    @classmethod
    def from_config(cls, config: Any | None = None) -> RetentionPeriods:
        config = current_app.config if config is None else config
        return cls(
            ballot_days=int(config["RETENTION_BALLOT_DAYS"]),
            former_member_days=int(config["RETENTION_FORMER_MEMBER_DAYS"]),
        )


@dataclass(frozen=True)
class RetentionReport:
    votes: int = 0
    ballots: int = 0
    receipts: int = 0
    former_members: int = 0

    def __str__(self) -> str:
        return (
            f"{self.votes} vote(s) unlinked ({self.ballots} ballot(s), {self.receipts} "
            f"receipt link(s)), {self.former_members} former member(s) anonymised"
        )


def remove_expired_ballot_links(now: datetime, periods: RetentionPeriods) -> tuple[int, int, int]:
    """Votes over for longer than the ballot period: (votes, ballots, receipts) unlinked."""
    from portal.voting.models import Vote, VoteState
    from portal.voting.unlinking import remove_ballot_links

    cutoff = now - timedelta(days=periods.ballot_days)
    ended = sa.case((Vote.state == VoteState.CANCELLED, Vote.cancelled_at), else_=Vote.closed_at)
    due = db.session.scalars(
        sa.select(Vote)
        .where(
            Vote.state.in_([VoteState.CLOSED, VoteState.CANCELLED]),
            Vote.records_removed_at.is_(None),
            ended <= cutoff,
        )
        .order_by(Vote.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    ballots = receipts = 0
    for vote in due:
        removed = remove_ballot_links(vote, now, periods.ballot_days)
        ballot_links_expired.send(vote)
        ballots += removed.ballots
        receipts += removed.receipts
    return len(due), ballots, receipts


def anonymise_former_members(now: datetime, periods: RetentionPeriods) -> int:
    """Accounts deactivated longer ago than the former-member period, anonymised."""
    from portal.accounts.anonymising import anonymise
    from portal.accounts.models import User
    from portal.outbox import OutboxMessage

    cutoff = now - timedelta(days=periods.former_member_days)
    due = db.session.scalars(
        sa.select(User)
        .where(
            User.active.is_(False),
            User.anonymised_at.is_(None),
            User.deactivated_at <= cutoff,
        )
        .order_by(User.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    for user in due:
        # Sent mail held their address and words addressed to them; waiting mail to a
        # deactivated account has no one left to read it.
        db.session.execute(
            sa.delete(OutboxMessage)
            .where(sa.func.lower(OutboxMessage.recipient) == user.email.lower())
            .execution_options(synchronize_session=False)
        )
        anonymise(user, now, periods.former_member_days)
    return len(due)


def run_retention(now: datetime, periods: RetentionPeriods | None = None) -> RetentionReport:
    """One pass of both removals; flushes, the caller (the worker) commits."""
    periods = periods or RetentionPeriods.from_config()
    votes, ballots, receipts = remove_expired_ballot_links(now, periods)
    former_members = anonymise_former_members(now, periods)
    return RetentionReport(votes, ballots, receipts, former_members)
