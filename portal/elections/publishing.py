"""An election's decided result as plain data, for the statements domain to publish.

The election's own records are read here; the statements domain receives only the
``ElectionResult`` it defines, and never reads the elections' tables.
"""

from __future__ import annotations

from portal.elections.models import Election, ElectionState
from portal.errors import DomainError
from portal.statements.election_results import ElectionResult

PUBLISHABLE = (ElectionState.COUNTED, ElectionState.UNOPPOSED)


def result_for_statement(election: Election) -> ElectionResult:
    """The result to publish, or the reason there is none yet."""
    if election.state not in PUBLISHABLE or election.result is None:
        if election.state is ElectionState.NO_CANDIDATES:
            raise DomainError("No one stood, so there is no result to publish")
        raise DomainError("Only a counted election, or one decided unopposed, has a result")
    report = election.result
    unopposed = election.state is ElectionState.UNOPPOSED
    decided_at = election.counted_at if not unopposed else election.nominations_closed_at
    turnout = report.get("turnout") or {}
    return ElectionResult(
        election_id=election.id,
        area_id=election.area_id,
        title=election.title,
        seats=election.seats,
        method=election.method.value,
        method_label=election.method.label,
        electorate=election.electorate_description,
        secret=election.secret,
        decided_at=decided_at or election.created_at,
        unopposed=unopposed,
        elected=list(report.get("elected", [])),
        withdrawn=list(report.get("withdrawn", [])),
        quota=None if unopposed else str(report["quota"]),
        valid=None if unopposed else int(report["valid"]),
        ballots=int(turnout.get("ballots", 0)),
        electors=int(turnout.get("electors", len(election.electors))),
        weight_cast=int(turnout.get("weight_cast", 0)),
        weight_total=int(turnout.get("weight_total", sum(e.weight for e in election.electors))),
        seed=report.get("seed"),
        notes=list(report.get("notes", [])),
        stages=list(report.get("stages", [])),
    )
