"""What a secret ballot keeps once it is over: exact totals and who voted, never who chose what.

Per-ballot shares are almost all unique under list-size weights, so any stored (share, choice)
or (ballot, choice) row could be joined back to its organisation. When a secret ballot closes
or is cancelled, in the same transaction as the count, this module:

- marks each electorate member as having voted or not (who voted is public; how is not);
- writes each receipt's standing (counted, replaced or cancelled) and clears its link to the
  ballot, its version, its choice and the moment it was issued;
- clears proxies' instructions (an instruction is the grantor's choice, if the proxy cast it);
- deletes the ballot rows.

The audit log never records a choice for a secret ballot, so nothing in it needs rewriting.

``remove_ballot_links`` does the same for any vote, open ballots included, once the retention
period after its close has run (``portal.retention``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from portal.audit.services import record
from portal.extensions import db
from portal.voting.models import Ballot, Proxy, Receipt, ReceiptStanding, Vote, VoteState


def mark_who_voted(vote: Vote) -> None:
    voted = set(
        db.session.execute(
            sa.select(Ballot.organisation_id).where(Ballot.vote_id == vote.id)
        ).scalars()
    )
    for member in vote.electorate:
        member.voted = member.organisation_id in voted and not member.recused


def forget_choices(vote: Vote, *, cancelled: bool) -> None:
    """Unlink every receipt and delete every ballot of a secret ballot that is over."""
    db.session.flush()  # pending changes (who voted) are written before the session expires
    ballot_version = sa.select(Ballot.version).where(Ballot.id == Receipt.ballot_id)
    if cancelled:
        standing: sa.ColumnElement = sa.literal(ReceiptStanding.CANCELLED.value)
    else:
        standing = sa.case(
            (
                Receipt.ballot_version == ballot_version.scalar_subquery(),
                sa.literal(ReceiptStanding.COUNTED.value),
            ),
            else_=sa.literal(ReceiptStanding.REPLACED.value),
        )
    # One statement: the standing is written from the ballot link it then clears.
    db.session.execute(
        sa.update(Receipt)
        .where(Receipt.vote_id == vote.id, Receipt.standing.is_(None))
        .values(
            standing=standing,
            ballot_id=None,
            ballot_version=None,
            choice=None,
            issued_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.execute(sa.update(Proxy).where(Proxy.vote_id == vote.id).values(instruction=None))
    db.session.execute(
        sa.delete(Ballot)
        .where(Ballot.vote_id == vote.id)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()


@dataclass(frozen=True)
class LinksRemoved:
    ballots: int
    receipts: int


def remove_ballot_links(vote: Vote, now: datetime, retention_days: int) -> LinksRemoved:
    """At the end of the retention period: remove what still ties a choice to an organisation.

    An open ballot kept, until now, its ballot rows, the choice on each receipt and the stored
    ballot record (voter codes beside choices); a secret one lost those at close, and now
    loses the full record sealed to its scrutineers. Both keep the
    result, the exact totals, who voted and the record's published SHA-256, so the figures
    already published can still be checked against the audit chain, which gains an entry
    for the removal and is never rewritten. Flushes, never commits.
    """
    ballots = db.session.execute(
        sa.select(sa.func.count()).select_from(Ballot).where(Ballot.vote_id == vote.id)
    ).scalar_one()
    linked = db.session.execute(
        sa.select(sa.func.count())
        .select_from(Receipt)
        .where(Receipt.vote_id == vote.id, Receipt.standing.is_(None))
    ).scalar_one()
    forget_choices(vote, cancelled=vote.state is VoteState.CANCELLED)
    # An open ballot's receipts keep their choice after the link goes; the choice goes too.
    db.session.execute(
        sa.update(Receipt)
        .where(Receipt.vote_id == vote.id)
        .values(choice=None, issued_at=None)
        .execution_options(synchronize_session=False)
    )
    vote.ballot_record = None
    # A secret ballot's scrutineers held the only full record, sealed to them: it goes with
    # the data key wrapped for each, so nobody can open it any more; its hash stays published.
    sealed = vote.sealed_record is not None
    vote.sealed_record = None
    for scrutineer in vote.scrutineers:
        scrutineer.wrapped_key = None
    vote.records_removed_at = now
    db.session.flush()
    record(
        "vote.ballot_links_removed",
        f"Retention: ballots of {vote.title} no longer linked to organisations",
        actor=None,
        area=vote.area,
        subject=vote,
        details={
            "retention_days": retention_days,
            "ballots_removed": ballots,
            "receipts_unlinked": linked,
            "sealed_record_removed": sealed,
            # The published hash stays on the vote and here, so it can still be quoted.
            "ballot_record_sha256": vote.ballot_record_sha256,
        },
    )
    return LinksRemoved(ballots=ballots, receipts=linked)
