"""The count: once voting closes, the ballots as a BLT file counted by STV
(``portal.elections.count``), the result, the seed and the file kept, the electors told.

What a secret election keeps after its count. The BLT file of its ballots is sealed to its
scrutineers (``portal.elections.scrutiny``) and only its SHA-256 is kept beside the result;
with no scrutineer, only the SHA-256. The ballots themselves are emptied: no elector, no
ranking, weight 1, the count's time as the time cast, so neither a weight (in an election
of organisations weighted by list size, a practice's own) nor the moment of casting (beside
each elector's ``voted_at``, kept for turnout) links a ranking to whoever cast it. Each
ballot keeps only its ``version``, which is what lets a receipt still say whether a later
ballot replaced it (``portal.elections.ballots``). An open election keeps its BLT file in
the clear and its ballots as cast.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa

from portal.accounts.models import User
from portal.audit.services import record
from portal.elections import count as stv
from portal.elections import scrutiny, signals
from portal.elections.electors import notify_electors
from portal.elections.guards import lock_election
from portal.elections.models import Election, ElectionBallot, ElectionState
from portal.email_kinds import Kind
from portal.errors import Conflict, DomainError
from portal.extensions import db


def _quoted(text: str) -> str:
    return '"' + text.replace('"', "'") + '"'


def _blt_title(election: Election) -> str:
    return election.title.replace('"', "'")


def ballots_blt(election: Election, ballots: list[ElectionBallot], salt: str | None = None) -> str:
    """The ballots as a standard BLT file: everyone who stood in ballot-paper order, and on the
    second line, as councils' files do, the withdrawn as negative numbers. A ``salt`` goes in
    the title line, where every BLT reader takes it as text (see ``portal.elections.scrutiny``
    for why a secret election's file has one)."""
    candidates = election.blt_candidates
    number = {n.id: index + 1 for index, n in enumerate(candidates)}
    lines = [f"{len(candidates)} {election.seats}"]
    if election.withdrawn:
        lines.append(" ".join(f"-{number[n.id]}" for n in election.withdrawn))
    for ballot in sorted(ballots, key=lambda b: (b.ranking, b.weight)):
        preferences = " ".join(str(number[n]) for n in ballot.ranking if n in number)
        lines.append(f"{ballot.weight} {preferences} 0")
    lines.append("0")
    lines += [_quoted(n.candidate.name) for n in candidates]
    title = _blt_title(election)
    lines.append(_quoted(title if salt is None else f"{title} (fingerprint salt {salt})"))
    return "\n".join(lines) + "\n"


def count_election(election: Election, now: datetime, actor: User | None = None) -> None:
    """Count once, after voting closes; keep the report, the seed and the BLT of the ballots
    (for a secret election, sealed to its scrutineers: see the module docstring)."""
    lock_election(election)
    if election.state is not ElectionState.VOTING:
        raise Conflict("This election is not waiting to be counted")
    if now < election.voting_closes_at:
        raise DomainError("Voting is still open: the count starts after it closes")
    ballots = list(
        db.session.execute(
            sa.select(ElectionBallot).where(ElectionBallot.election_id == election.id)
        ).scalars()
    )
    blt = ballots_blt(election, ballots, secrets.token_hex(16) if election.secret else None)
    seed = secrets.token_hex(16)
    result = stv.count(stv.parse_blt(blt), election.method.value, seed)
    report = result.to_json()
    report["title"] = _blt_title(election)  # without a secret file's salt
    candidates = election.blt_candidates
    report["elected_nominations"] = [candidates[index].id for index in result.elected]
    report["withdrawn"] = [n.candidate.name for n in election.withdrawn]
    report["turnout"] = {
        "ballots": len(ballots),
        "electors": len(election.electors),
        "weight_cast": sum(b.weight for b in ballots),
        "weight_total": sum(e.weight for e in election.electors),
    }
    election.result = report
    election.count_seed = seed
    election.counted_at = now
    election.state = ElectionState.COUNTED
    if election.secret:
        scrutiny.seal_ballots(election, blt.encode())
        for ballot in ballots:
            ballot.elector_id = None
            ballot.ranking = []
            ballot.weight = 1
            ballot.cast_at = now
    else:
        election.ballots_blt = blt
        election.ballots_blt_sha256 = hashlib.sha256(blt.encode()).hexdigest()
    db.session.flush()
    record(
        "election.counted",
        f"“{election.title}” counted: elected {', '.join(report['elected']) or 'nobody'}",
        actor=actor,
        area=election.area,
        subject=election,
        details={"seed": seed, "blt_sha256": election.ballots_blt_sha256},
    )
    signals.election_counted.send(election, actor=actor)
    notify_electors(
        election,
        f"Result: {election.title}",
        f"Elected: {', '.join(report['elected']) or 'nobody'}. The count sheet is on the "
        "election's results page.",
        Kind.RESULTS,
    )
