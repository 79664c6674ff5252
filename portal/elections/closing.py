"""The timetable's deadlines: at the close of nominations an election holds a ballot, elects
unopposed or has no candidates; ``close_due`` (run by the worker and by
``flask --app wsgi close-due-elections``) closes due nominations and counts due elections.
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


def waits_for_scrutineers(election: Election) -> bool:
    """A secret election that would hold a ballot, but one of whose scrutineers has not set a
    passphrase: its ballots file could not be sealed to them, so voting cannot begin."""
    return (
        election.secret
        and len(election.candidates) > election.seats
        and bool(scrutiny.missing_passphrases(election))
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
            if waits_for_scrutineers(election):
                continue  # the election's page tells its officers who has yet to act
            close_nominations(election, now)
            done.append((election, f"nominations closed: {election.state.value}"))
        if election.state is ElectionState.VOTING and election.voting_closes_at <= now:
            count_election(election, now)
            done.append((election, "counted"))
    return done
