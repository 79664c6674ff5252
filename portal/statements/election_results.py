"""An election's result published as a statement, at the officer's choice.

The elections domain hands the result over as plain data (``ElectionResult``, built by
``portal.elections.publishing`` from its own records); nothing here reads the elections'
tables. The statement keeps a copy of the result, count sheet included, so it reads the same
forever and readers who cannot see the election (the ICS, the public) can still check the count.

An election's result is declared, not signed: no organisation is shown as its signatory, and
the provenance is one sentence built from the figures, as the publication policy words a vote:
who was elected to how many seats, by which method, the quota, and the turnout.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.audit.services import record
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.figures import count, percent
from portal.organisations.models import Area
from portal.positions.models import Tier
from portal.statements.models import Statement, StatementSource, StatementState
from portal.statements.notices import tell_of_publication
from portal.statements.permissions import can_publish
from portal.statements.services import REFERENCE_ATTEMPTS, next_reference, publication_year
from portal.times import long_date

MAX_TITLE_LENGTH = 200
TOTALS_ONLY = "ballots were secret, so the count gives totals only, never who ranked whom"
_MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!<>|~")


@dataclass(frozen=True)
class ElectionResult:
    """An election's decided result, as the elections domain reports it.

    ``stages`` is the count sheet as ``portal.elections.count`` reports it (each stage's
    ``votes`` and ``changes`` by candidate name, ``non_transferable``, who was ``elected`` or
    ``excluded``, and ``notes``); empty when the candidates were elected unopposed.
    """

    election_id: int
    area_id: int
    title: str
    seats: int
    method: str
    method_label: str
    electorate: str
    secret: bool
    decided_at: datetime
    unopposed: bool
    elected: list[str]
    withdrawn: list[str] = field(default_factory=list)
    quota: str | None = None
    valid: int | None = None
    ballots: int = 0
    electors: int = 0
    weight_cast: int = 0
    weight_total: int = 0
    seed: str | None = None
    notes: list[str] = field(default_factory=list)
    stages: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["decided_at"] = self.decided_at.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ElectionResult:
        return cls(**{**data, "decided_at": datetime.fromisoformat(data["decided_at"])})

    @property
    def weighted(self) -> bool:
        return self.weight_total != self.electors

    @property
    def turnout_text(self) -> str:
        return turnout_words(self)


def _markdown_text(text: str) -> str:
    """``text`` as literal Markdown: a candidate's name is never read as formatting."""
    return "".join(f"\\{c}" if c in _MARKDOWN_SPECIAL else c for c in " ".join(text.split()))


def _names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _seats(number: int) -> str:
    return f"{count(number)} {'seat' if number == 1 else 'seats'}"


def _empty_seats(result: ElectionResult) -> str:
    empty = result.seats - len(result.elected)
    if empty <= 0:
        return ""
    return f"; {_seats(empty)} {'remains' if empty == 1 else 'remain'} empty"


def turnout_words(result: ElectionResult) -> str:
    """ "80 of 141 electors voted (56.7 %)", with the weight when electors have weights."""
    electors = "elector" if result.electors == 1 else "electors"
    text = f"{count(result.ballots)} of {count(result.electors)} {electors} voted"
    if result.electors:
        text += f" ({percent(Fraction(result.ballots, result.electors))})"
    if result.weighted and result.weight_total:
        share = percent(Fraction(result.weight_cast, result.weight_total))
        text += (
            f", holding {count(result.weight_cast)} of {count(result.weight_total)} votes"
            f" ({share} of the weight)"
        )
    return text


def wording(result: ElectionResult) -> str:
    """The one-sentence result, the same on the page, the PDF, the feed and the API."""
    day = long_date(result.decided_at)
    elected = _names(result.elected) or "Nobody"
    if result.unopposed:
        candidates = len(result.elected)
        return (
            f"{elected} elected unopposed on {day} to {_seats(result.seats)} "
            f"of “{result.title}”: {count(candidates)} "
            f"{'candidate' if candidates == 1 else 'candidates'} stood, no more than the seats, "
            f"so no ballot was held{_empty_seats(result)}."
        )
    quota = f"quota {result.quota}" + ("" if result.method == "scottish" else " at the last stage")
    valid = "" if result.valid is None else f" of {count(result.valid)} valid votes"
    sentence = (
        f"{elected} elected on {day} to {_seats(result.seats)} of “{result.title}” "
        f"by {result.method_label}{_empty_seats(result)}: {quota}{valid}; "
        f"{turnout_words(result)}"
    )
    if result.secret:
        sentence += f"; {TOTALS_ONLY}"
    return sentence + "."


def title_of(result: ElectionResult) -> str:
    title = f"Result of the election: {' '.join(result.title.split())}"
    return title if len(title) <= MAX_TITLE_LENGTH else title[: MAX_TITLE_LENGTH - 1] + "…"


def body_of(result: ElectionResult) -> str:
    """The statement's text: who was elected, in order of election, and to what."""
    lines = [
        f"The GP leadership group declares the result of the election "
        f"“{_markdown_text(result.title)}” for {_seats(result.seats)}. "
        f"The electorate: {_markdown_text(result.electorate)}.",
        "",
    ]
    if result.elected:
        lines.append(
            "Elected unopposed:" if result.unopposed else "Elected, in the order of election:"
        )
        lines.append("")
        marker = "-" if result.unopposed else "1."
        lines += [f"{marker} {_markdown_text(name)}" for name in result.elected]
    else:
        lines.append("Nobody was elected.")
    if result.withdrawn:
        lines += [
            "",
            "Withdrawn before voting, so not on the ballot: "
            + _markdown_text(_names(result.withdrawn))
            + ".",
        ]
    return "\n".join(lines)


@dataclass(frozen=True)
class Preview:
    """The statement as readers will see it, before anything is written."""

    title: str
    body_markdown: str
    provenance: str
    warnings: list[str]
    result: ElectionResult


def warnings_for(result: ElectionResult) -> list[str]:
    """What the officer should know before the group declares this result."""
    warnings = []
    if not result.unopposed and 2 * result.ballots < result.electors:
        warnings.append(
            f"Fewer than half the electorate voted: {turnout_words(result)}. "
            "The statement will declare the result all the same."
        )
    if len(result.elected) < result.seats:
        empty = result.seats - len(result.elected)
        warnings.append(f"{_seats(empty)} {'is' if empty == 1 else 'are'} left empty.")
    return warnings


def statement_for_election(election_id: int) -> Statement | None:
    """The statement an election's result was published as, if it was."""
    return db.session.execute(
        sa.select(Statement).where(Statement.election_id == election_id)
    ).scalar_one_or_none()


def _check(actor: User, area: Area, result: ElectionResult) -> None:
    if not can_publish(actor, area):
        raise NotPermitted("Only LMC officers and area administrators can publish statements")
    if result.area_id != area.id:
        raise DomainError("This election is not one of the area's")
    published = statement_for_election(result.election_id)
    if published is not None:
        raise Conflict(f"This result has already been published as {published.reference}")


def preview(actor: User, area: Area, result: ElectionResult) -> Preview:
    """What ``publish_election_result`` would write, or the reason it would refuse."""
    _check(actor, area, result)
    return Preview(title_of(result), body_of(result), wording(result), warnings_for(result), result)


def publish_election_result(
    actor: User, area: Area, result: ElectionResult, tier: Tier, now: datetime
) -> Statement:
    """Publish the election's result as a statement of the area, readable at ``tier``."""
    seen = preview(actor, area, result)
    year = publication_year(now)
    for _attempt in range(REFERENCE_ATTEMPTS):
        statement = Statement(
            area_id=area.id,
            reference=next_reference(year),
            source=StatementSource.ELECTION,
            election_id=result.election_id,
            election_result=result.to_json(),
            title=seen.title,
            body_markdown=seen.body_markdown,
            provenance=seen.provenance,
            tier=tier,
            signatories_choice=None,
            state=StatementState.PUBLISHED,
            published_at=now,
            published_by_id=actor.id,
        )
        try:
            with db.session.begin_nested():
                db.session.add(statement)
        except IntegrityError:
            # Either another statement took the reference, or another officer published
            # this same result a moment ago: the second is refused, the first is retried.
            _check(actor, area, result)
            continue
        break
    else:
        raise Conflict("Another statement was published at the same moment: please try again")
    record(
        "statement.published",
        f"Statement {statement.reference} published: {statement.title}",
        actor=actor,
        area=area,
        subject=statement,
        details={
            "reference": statement.reference,
            "source": StatementSource.ELECTION.value,
            "election_id": result.election_id,
            "tier": tier.value,
        },
    )
    tell_of_publication(statement, area)
    return statement


def result_of(statement: Statement) -> ElectionResult | None:
    """The result an election's statement published; None for a statement of a position."""
    if statement.election_result is None:
        return None
    return ElectionResult.from_json(statement.election_result)
