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
"""

from __future__ import annotations

import sqlalchemy as sa

from portal.extensions import db
from portal.voting.models import Ballot, Proxy, Receipt, ReceiptStanding, Vote


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
