"""Ballots and receipts: an elector ranks candidates (a later ballot replaces an earlier
one), gets a receipt code, and can check the code later.

A receipt keeps its ranking only sealed under the receipt code
(``portal.elections.receipt_sealing``), from the moment it is issued, so a voter checking a
code sees exactly what they saw before the count, and nobody without the code sees anything.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from portal.accounts.models import User
from portal.audit.services import record
from portal.elections import receipt_sealing
from portal.elections.guards import check_acting_elector, lock_election
from portal.elections.models import (
    Election,
    ElectionBallot,
    ElectionReceipt,
    ElectionState,
    Elector,
)
from portal.errors import DomainError
from portal.extensions import db


def new_receipt_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _normalised(code: str) -> str:
    return "".join(character for character in code.upper() if character.isalnum())


def receipt_hash(code: str) -> str:
    return hashlib.sha256(b"election:" + _normalised(code).encode()).hexdigest()


def voting_open(election: Election, now: datetime) -> bool:
    return (
        election.state is ElectionState.VOTING
        and election.voting_opens_at <= now < election.voting_closes_at
    )


def ballot_of(elector: Elector) -> ElectionBallot | None:
    return db.session.execute(
        sa.select(ElectionBallot).where(ElectionBallot.elector_id == elector.id)
    ).scalar_one_or_none()


def cast(
    actor: User, election: Election, elector: Elector, ranking: list[int], now: datetime
) -> tuple[ElectionBallot, str]:
    """Record ``ranking`` (nomination ids, first preference first); a later cast replaces it."""
    lock_election(election)
    if not voting_open(election, now):
        raise DomainError("Voting is not open in this election")
    check_acting_elector(actor, election, elector)
    candidate_ids = [n.id for n in election.candidates]
    if not ranking or len(set(ranking)) != len(ranking) or set(ranking) - set(candidate_ids):
        raise DomainError("Rank at least one candidate, each at most once")
    ballot = ballot_of(elector)
    if ballot is None:
        ballot = ElectionBallot(
            election_id=election.id, elector_id=elector.id, ranking=ranking, weight=elector.weight
        )
        db.session.add(ballot)
    else:
        ballot.ranking = ranking
        ballot.version += 1
        ballot.cast_at = now
    elector.voted_at = now
    db.session.flush()
    names = {n.id: n.candidate.name for n in election.candidates}
    ranked = [names[n] for n in ranking]
    code = new_receipt_code()
    db.session.add(
        ElectionReceipt(
            election_id=election.id,
            ballot_id=ballot.id,
            ballot_version=ballot.version,
            code_hash=receipt_hash(code),
            ranking_names=None if election.secret else ranked,
            sealed_ranking=receipt_sealing.seal_ranking(
                election.id, _normalised(code), ranked, list(names.values())
            )
            if election.secret
            else None,
            issued_at=now,
        )
    )
    db.session.flush()
    record(
        "election.ballot_cast",
        f"A ballot was cast in “{election.title}”"
        + ("" if election.secret else f" by {elector.label}"),
        actor=None if election.secret else actor,
        area=election.area,
        subject=election,
    )
    return ballot, code


@dataclass(frozen=True)
class ReceiptCheck:
    election: Election
    ranking_names: list[str]
    replaced: bool


def check_receipt(election: Election, code: str) -> ReceiptCheck | None:
    receipt = db.session.execute(
        sa.select(ElectionReceipt).where(
            ElectionReceipt.code_hash == receipt_hash(code),
            ElectionReceipt.election_id == election.id,
        )
    ).scalar_one_or_none()
    if receipt is None:
        return None
    ranking_names = receipt.ranking_names
    if receipt.sealed_ranking is not None:
        ranking_names = receipt_sealing.open_ranking(
            election.id, _normalised(code), receipt.sealed_ranking
        )
    if ranking_names is None:
        return None
    return ReceiptCheck(election, ranking_names, receipt.ballot_version != receipt.ballot.version)
