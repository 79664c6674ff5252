"""An election's timetable: the order set-up requires of its dates, and an officer moving them.

The rule for moving dates is the one a returning officer running a members' election (as
Civica Election Services and the Electoral Reform Society run them) can defend to any
candidate or elector who complains: the published timetable may be changed, but nobody may
lose time they were promised, and nothing that has happened is undone.

- A period that is running is never cut short. Electors were told when it ends and may be
  counting on the time left, so while nominations are open their close can move later but
  never earlier, and while voting is open its close can move later but never earlier (so
  never earlier than now). Once voting has opened, its opening time is what happened: it
  stands.
- A deadline that has passed stands. Nominations whose close has passed are not reopened: a
  nomination made after the published close is not valid, whether or not the portal has yet
  confirmed the candidates. Once voting has closed nothing moves: the count is due.
- A period that has not begun may move either way, so long as the timetable still runs
  forward as set-up requires (``check_timetable``): voting opens no earlier than nominations
  close, and closes after it opens; and nothing still to happen is put in the past.
- Voting that never began has not begun, even when its dates have passed: a secret election
  still waiting for its scrutineers' passphrases when its voting period ended is never
  counted (``portal.elections.closing``), and its voting dates move like any others that
  have not begun.

Every move is audited and the electors are emailed the new timetable, queued in the same
transaction as the change (sent only if it is committed).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime

from portal.accounts.models import User
from portal.audit.services import record
from portal.elections.electors import notify_electors
from portal.elections.guards import lock_election
from portal.elections.models import Election, ElectionState
from portal.elections.permissions import can_manage_elections
from portal.email_kinds import Kind
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.times import london_datetime
from portal.urls import external_url


@dataclass(frozen=True)
class Timetable:
    nominations_close_at: datetime
    voting_opens_at: datetime
    voting_closes_at: datetime


LABELS = {
    "nominations_close_at": "Close of nominations",
    "voting_opens_at": "Voting opens",
    "voting_closes_at": "Voting closes",
}


def timetable_of(election: Election) -> Timetable:
    return Timetable(
        election.nominations_close_at, election.voting_opens_at, election.voting_closes_at
    )


def _check_order(timetable: Timetable) -> None:
    if timetable.voting_opens_at < timetable.nominations_close_at:
        raise DomainError("Voting cannot open before nominations close")
    if timetable.voting_closes_at <= timetable.voting_opens_at:
        raise DomainError("Voting must close after it opens")


def check_timetable(timetable: Timetable, now: datetime) -> None:
    """Set-up's rule: nominations close in the future, then voting opens, then it closes."""
    if not timetable.nominations_close_at > now:
        raise DomainError("Nominations must close in the future")
    _check_order(timetable)


class Phase(enum.Enum):
    """Where an election stands for moving its dates, and which of them may move."""

    NOMINATIONS_OPEN = "nominations_open"
    BEFORE_VOTING = "before_voting"  # nominations' close has passed; voting has not begun
    VOTING_OPEN = "voting_open"
    SETTLED = "settled"  # voting has closed, or the election is decided

    @property
    def movable(self) -> tuple[str, ...]:
        """The dates that may move, by their names on ``Timetable``."""
        return MOVABLE[self]


MOVABLE = {
    Phase.NOMINATIONS_OPEN: ("nominations_close_at", "voting_opens_at", "voting_closes_at"),
    Phase.BEFORE_VOTING: ("voting_opens_at", "voting_closes_at"),
    Phase.VOTING_OPEN: ("voting_closes_at",),
    Phase.SETTLED: (),
}


def phase_of(election: Election, now: datetime) -> Phase:
    if election.state is ElectionState.NOMINATIONS:
        if now < election.nominations_close_at:
            return Phase.NOMINATIONS_OPEN
        return Phase.BEFORE_VOTING
    if election.state is ElectionState.VOTING and now < election.voting_closes_at:
        if now < election.voting_opens_at:
            return Phase.BEFORE_VOTING
        return Phase.VOTING_OPEN
    return Phase.SETTLED


def _check_move(phase: Phase, old: Timetable, new: Timetable, now: datetime) -> None:
    """The rule in the module's docstring, for an election in ``phase``."""
    if phase is Phase.SETTLED:
        raise Conflict("Voting in this election has closed: its dates can no longer move")
    if new == old:
        raise DomainError("These are the election's dates already: change one to move them")
    if phase is Phase.NOMINATIONS_OPEN:
        if new.nominations_close_at < old.nominations_close_at:
            raise DomainError(
                "Nominations are open and electors were told they close "
                f"{london_datetime(old.nominations_close_at)}: they can close later, never "
                "earlier"
            )
        check_timetable(new, now)
        return
    if new.nominations_close_at != old.nominations_close_at:
        raise DomainError(
            f"Nominations closed {london_datetime(old.nominations_close_at)}: a deadline that "
            "has passed stands, so no late nomination is taken"
        )
    if phase is Phase.BEFORE_VOTING:
        if not new.voting_opens_at > now:
            raise DomainError("Voting must open in the future")
        _check_order(new)
        return
    if new.voting_opens_at != old.voting_opens_at:
        raise DomainError(
            f"Voting opened {london_datetime(old.voting_opens_at)}: while it is open only its "
            "close can move"
        )
    if new.voting_closes_at < old.voting_closes_at:
        raise DomainError(
            "Voting is open and electors were told it closes "
            f"{london_datetime(old.voting_closes_at)}: it can close later, never earlier"
        )


def _notice(election: Election, old: Timetable, new: Timetable) -> str:
    lines = []
    for field in fields(Timetable):
        moment, before = getattr(new, field.name), getattr(old, field.name)
        was = "" if moment == before else f" (it was {london_datetime(before)})"
        lines.append(f"{LABELS[field.name]}: {london_datetime(moment)}{was}")
    page = external_url("elections.election", area_slug=election.area.slug, election_id=election.id)
    return (
        f"The officers have moved the dates of “{election.title}”. Its timetable is now:\n\n"
        + "\n".join(lines)
        + f"\n\nThe election's page: {page}\n"
    )


def move_dates(
    actor: User, election: Election, changes: Mapping[str, datetime], now: datetime
) -> None:
    """An officer moves the dates named in ``changes`` (by their names on ``Timetable``) and
    leaves the others as they are once the election is locked, so two officers moving
    different dates at once both have their way. The rule is the module's docstring."""
    if not can_manage_elections(actor, election.area):
        raise NotPermitted("Only LMC officers and area administrators can move an election's dates")
    lock_election(election)
    old = timetable_of(election)
    new = replace(old, **changes)
    _check_move(phase_of(election, now), old, new, now)
    election.nominations_close_at = new.nominations_close_at
    election.voting_opens_at = new.voting_opens_at
    election.voting_closes_at = new.voting_closes_at
    db.session.flush()
    moved = [f.name for f in fields(Timetable) if getattr(new, f.name) != getattr(old, f.name)]
    record(
        "election.dates_moved",
        f"Dates of “{election.title}” moved: "
        + "; ".join(
            f"{LABELS[name].lower()} {london_datetime(getattr(new, name))}" for name in moved
        ),
        actor=actor,
        area=election.area,
        subject=election,
        details={
            name: {
                "from": getattr(old, name).isoformat(),
                "to": getattr(new, name).isoformat(),
            }
            for name in moved
        },
    )
    notify_electors(
        election, f"New dates: {election.title}", _notice(election, old, new), Kind.VOTES_OPENED
    )
