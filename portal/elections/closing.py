"""The timetable's deadlines: at the close of nominations an election holds a ballot, elects
unopposed or has no candidates; ``close_due`` (run by the worker and by
``flask --app wsgi close-due-elections``) closes due nominations and counts due elections.

An election is counted only once its voting has been open: nominations never close into a
ballot whose voting period is already over (``voting_dates_passed``), so the election waits
for new dates instead of being counted at once with no ballots.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from portal.accounts.models import User
from portal.audit.services import record
from portal.elections import scrutiny, signals
from portal.elections.counting import count_election
from portal.elections.electors import notify_electors
from portal.elections.guards import lock_election
from portal.elections.models import Election, ElectionState
from portal.email_kinds import Kind
from portal.errors import Conflict, DomainError
from portal.extensions import db
from portal.times import london_datetime


def decide_candidacy(election: Election, now: datetime) -> str:
    """The rule at the close of nominations: a ballot, elected unopposed, or no candidates."""
    candidates = election.candidates
    if not candidates:
        election.state = ElectionState.NO_CANDIDATES
        return "no valid nominations: no one is elected"
    if len(candidates) <= election.seats:
        result = {
            "unopposed": True,
            "elected": [n.candidate.name for n in candidates],
            "elected_nominations": [n.id for n in candidates],
            "withdrawn": [n.candidate.name for n in election.withdrawn],
        }
        # Both at once: the schema holds a result exactly when the election is decided.
        election.state, election.result = ElectionState.UNOPPOSED, result
        return f"{len(candidates)} candidate(s) for {election.seats} seat(s): elected unopposed"
    election.state = ElectionState.VOTING
    return f"{len(candidates)} candidates for {election.seats} seat(s): a ballot is held"


def _holds_ballot(election: Election) -> bool:
    return len(election.candidates) > election.seats


def waits_for_scrutineers(election: Election) -> bool:
    """A secret election that would hold a ballot, but one of whose scrutineers has not set a
    passphrase: its ballots file could not be sealed to them, so voting cannot begin."""
    return (
        election.secret and _holds_ballot(election) and bool(scrutiny.missing_passphrases(election))
    )


def voting_dates_passed(election: Election, now: datetime) -> bool:
    """An election that would hold a ballot, its nominations not yet closed, whose voting
    period is already over (a secret election whose scrutineers set their passphrases too
    late, or a closer that did not run in time). Closing its nominations would count it at
    once with no ballots, so it waits, as it is, until an officer moves its voting dates
    (``portal.elections.timetable``)."""
    return (
        election.state is ElectionState.NOMINATIONS
        and now >= election.voting_closes_at
        and _holds_ballot(election)
    )


def close_nominations(election: Election, now: datetime, actor: User | None = None) -> None:
    """At the close of nominations: a ballot, elected unopposed, or no candidates."""
    lock_election(election)
    if election.state is not ElectionState.NOMINATIONS:
        raise Conflict("Nominations for this election have already closed")
    if now < election.nominations_close_at:
        raise DomainError("Nominations are still open")
    if waits_for_scrutineers(election):
        scrutiny.check_ready_for_voting(election)
    if voting_dates_passed(election, now):
        raise DomainError(
            f"Voting was to close {london_datetime(election.voting_closes_at)}, so it would "
            "never open: move the voting dates first"
        )
    election.nominations_closed_at = now
    summary = decide_candidacy(election, now)
    db.session.flush()
    record(
        "election.nominations_closed",
        f"Nominations closed for “{election.title}”: {summary}",
        actor=actor,
        area=election.area,
        subject=election,
    )
    notify_electors(
        election,
        f"Nominations closed: {election.title}",
        summary.capitalize(),
        Kind.VOTES_OPENED,
    )
    signals.nominations_closed.send(election, actor=actor)


def close_due(now: datetime) -> list[tuple[Election, str]]:
    """Close due nominations and count due elections; what was done, for the command line."""
    done: list[tuple[Election, str]] = []
    due = db.session.execute(
        sa.select(Election)
        .where(
            sa.or_(
                sa.and_(
                    Election.state == ElectionState.NOMINATIONS,
                    Election.nominations_close_at <= now,
                ),
                sa.and_(Election.state == ElectionState.VOTING, Election.voting_closes_at <= now),
            )
        )
        .order_by(Election.id)
    ).scalars()
    for election in list(due):
        if election.state is ElectionState.NOMINATIONS:
            if waits_for_scrutineers(election) or voting_dates_passed(election, now):
                continue  # the election's page tells its officers what they must do
            close_nominations(election, now)
            done.append((election, f"nominations closed: {election.state.value}"))
        if election.state is ElectionState.VOTING and election.voting_closes_at <= now:
            count_election(election, now)
            done.append((election, "counted"))
    return done
