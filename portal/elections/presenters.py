"""What the election pages say: the label and colour of each state, the names on a ranked
ballot, and the messages shown once a candidate is withdrawn or a result published. Nothing
here writes."""

from __future__ import annotations

from portal.elections.models import Election, ElectionState, Nomination
from portal.statements.models import Statement
from portal.times import london_datetime

STATES = {
    ElectionState.NOMINATIONS: ("Nominations", "blue"),
    ElectionState.VOTING: ("Voting", "green"),
    ElectionState.COUNTED: ("Result", "purple"),
    ElectionState.UNOPPOSED: ("Elected unopposed", "purple"),
    ElectionState.NO_CANDIDATES: ("No candidates", "grey"),
}


def ranked_names(election: Election, ranking: list[int]) -> list[str]:
    """The candidates' names in the order of ``ranking`` (nomination ids)."""
    names = {n.id: n.candidate.name for n in election.candidates}
    return [names[n] for n in ranking]


def withdrawn_message(nomination: Nomination, by_self: bool) -> str:
    if by_self:
        return "You have withdrawn."
    return f"{nomination.candidate.name} is withdrawn from this election."


def published_message(statement: Statement) -> str:
    return (
        f"Statement {statement.reference} was published at "
        f"{london_datetime(statement.published_at)}."
    )
