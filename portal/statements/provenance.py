"""Where a statement's authority comes from, in words a reader can check against the results.

A pure function of plain data: no database, no Flask. ``portal.statements.services`` gathers
the facts from the stored vote (its result, its frozen electorate, its ballot record and the
conflicts declared in it) and stores the sentence on the statement when it is published, so the
statement reads the same forever. For example::

    Agreed on 3 March 2026 by 23 of 27 practices (81.2% of registered patients at 1 January
    2026) and 4 of 5 PCNs; quorum met; list-size weights capped at 25%; simple majority;
    2 interests declared.

Counts are of the organisations that voted for out of those eligible (recused organisations
are not eligible), kind by kind. The percentage of registered patients is the summed list size
of the practices that voted for over that of every eligible practice whose list size is known,
at the date of the newest list size in the vote's snapshot. In a secret ballot nobody can know
which organisation voted for, so only the totals of the stored result are given.

Percentages are rounded from the exact fraction to at most one decimal place, half to even.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

KIND_ORDER = ("practice", "pcn", "federation", "lmc")
KIND_NOUNS = {
    "practice": ("practice", "practices"),
    "pcn": ("PCN", "PCNs"),
    "federation": ("federation", "federations"),
    "lmc": ("LMC", "LMCs"),
}
BASIS_WORDS = {
    "equal": "equally",
    "list_size": "by list size",
    "weighted_list_size": "by weighted list size",
    "fixed": "by fixed weights",
}
NAMED_FRACTIONS = {
    Fraction(2, 3): "two-thirds",
    Fraction(3, 4): "three-quarters",
    Fraction(3, 5): "three-fifths",
    Fraction(4, 5): "four-fifths",
}


@dataclass(frozen=True)
class Voter:
    """One member of the vote's electorate and, in an open ballot, what it chose."""

    kind: str
    list_size: int | None = None
    list_size_date: date | None = None
    recused: bool = False
    choice: str | None = None  # None: did not vote


@dataclass(frozen=True)
class VoteFacts:
    """What the provenance is built from: all of it stored with the closed vote."""

    closed_on: date
    outcome: str
    quorum_met: bool
    rules: Mapping[str, Any]
    secret: bool
    conflicts_declared: int
    # Open ballot: every member of the electorate with its choice.
    voters: Sequence[Voter] = field(default_factory=tuple)
    # Secret ballot: the stored result's totals (the result has them for open ballots too).
    eligible_members: int = 0
    members_for: int = 0
    weight_percent_for: str = "0"


def long_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def one_place(value: Fraction | Decimal | str) -> str:
    """A percentage to at most one decimal place, half to even: ``81.25`` gives ``81.2``."""
    exact = Fraction(value) if not isinstance(value, str) else Fraction(Decimal(value))
    tenths = exact * 10
    whole, remainder = divmod(tenths.numerator, tenths.denominator)
    twice = 2 * remainder
    if twice > tenths.denominator or (twice == tenths.denominator and whole % 2 == 1):
        whole += 1
    text = str(Decimal(whole).scaleb(-1).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN))
    return text.removesuffix(".0")


def _fraction(value: Any) -> Fraction:
    """A rule's number as the ballot record writes it: ``"2/3"``, ``"0.25"``, 3 or a Decimal."""
    if isinstance(value, Fraction | int):
        return Fraction(value)
    if isinstance(value, str) and "/" in value:
        numerator, denominator = value.split("/", 1)
        return Fraction(int(numerator), int(denominator))
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    return Fraction(Decimal(str(value)))


def percent_of(value: Any) -> str:
    """A rule's fraction as a percentage: ``"1/4"`` gives ``25%``."""
    return f"{one_place(_fraction(value) * 100)}%"


def _count(number: int, kind: str) -> str:
    singular, plural = KIND_NOUNS.get(kind, (kind, f"{kind}s"))
    return singular if number == 1 else plural


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def _band_words(band: Any) -> str:
    return f"bands of {int(band):,} patients"


def weighting_words(rules: Mapping[str, Any]) -> str:
    """The weighting scheme, blocks and cap in words: ``list-size weights capped at 25%``."""
    weighting = rules.get("weighting") or {}
    scheme = weighting.get("scheme")
    if scheme == "equal":
        words = "one organisation, one vote"
    elif scheme == "list_size":
        words = "list-size weights"
    elif scheme == "weighted_list_size":
        words = "weighted list-size weights"
    elif scheme == "banded":
        words = f"weights by {_band_words(weighting.get('band'))}"
    elif scheme == "fixed":
        words = "fixed weights"
    elif scheme == "hybrid":
        equal_part = _fraction(weighting.get("equal_part", 0))
        basis = weighting.get("basis")
        basis_words = (
            f"by {_band_words(weighting.get('band'))}"
            if basis == "banded"
            else BASIS_WORDS.get(basis, f"by {basis}")
        )
        words = (
            f"weights {one_place(equal_part * 100)}% equal and "
            f"{one_place((1 - equal_part) * 100)}% {basis_words}"
        )
    else:
        words = f"{scheme} weights"
    blocks = rules.get("blocks")
    if blocks:
        shares = [
            f"{_count(2, kind)} {percent_of(blocks[kind])}"
            for kind in KIND_ORDER
            if kind in blocks and _fraction(blocks[kind]) > 0
        ]
        words += f" in blocks ({', '.join(shares)})"
    if rules.get("cap") is not None:
        words += f" capped at {percent_of(rules['cap'])}"
    return words


def threshold_words(rules: Mapping[str, Any]) -> str:
    threshold = rules.get("threshold") or {}
    rule = threshold.get("rule")
    if rule == "simple_majority":
        words = "simple majority"
        if rules.get("tie") == "chair_for":
            words += " (a tie carried by the chair's casting vote)"
        return words
    if rule == "supermajority":
        fraction = _fraction(threshold.get("fraction"))
        name = NAMED_FRACTIONS.get(fraction, f"{percent_of(fraction)}")
        return f"{name} majority of the weight cast for or against"
    if rule == "absolute_majority":
        return "absolute majority (more than half of all the weight)"
    if rule == "double_majority":
        return "double majority (more weight and more organisations for than against)"
    if rule == "unanimous":
        return "unanimous"
    return str(rule).replace("_", " ")


def quorum_words(rules: Mapping[str, Any], quorum_met: bool) -> str:
    quorum = rules.get("quorum") or {}
    if quorum.get("members") is None and quorum.get("weight") is None:
        return "no quorum set"
    return "quorum met" if quorum_met else "quorum not met"


def interests_words(count: int) -> str:
    if count == 0:
        return "no interests declared"
    return f"{count} {'interest' if count == 1 else 'interests'} declared"


def _patients_clause(practices: Sequence[Voter]) -> str:
    known = [voter for voter in practices if voter.list_size is not None]
    total = sum(voter.list_size or 0 for voter in known)
    if not known or total == 0:
        return ""
    supporting = sum(voter.list_size or 0 for voter in known if voter.choice == "for")
    dates = [voter.list_size_date for voter in known if voter.list_size_date is not None]
    at = f" at {long_date(max(dates))}" if dates else ""
    return f" ({one_place(Fraction(supporting, total) * 100)}% of registered patients{at})"


def support_words(facts: VoteFacts) -> str:
    """Who voted for: kind by kind in an open ballot, the totals in a secret one."""
    if facts.secret:
        return (
            f"in a secret ballot by {facts.members_for} of {facts.eligible_members} "
            f"{'organisation' if facts.eligible_members == 1 else 'organisations'} "
            f"(holding {one_place(facts.weight_percent_for)}% of the weight)"
        )
    parts = []
    for kind in KIND_ORDER:
        eligible = [voter for voter in facts.voters if voter.kind == kind and not voter.recused]
        if not eligible:
            continue
        voted_for = sum(1 for voter in eligible if voter.choice == "for")
        part = f"{voted_for} of {len(eligible)} {_count(len(eligible), kind)}"
        if kind == "practice":
            part += _patients_clause(eligible)
        parts.append(part)
    return f"by {_join(parts)}"


def provenance(facts: VoteFacts) -> str:
    """The provenance sentence of a statement agreed by ``facts``' vote."""
    if facts.outcome != "passed":
        raise ValueError(f"only a passed vote makes a statement, not one that {facts.outcome}")
    recused = sum(1 for voter in facts.voters if voter.recused)
    clauses = [
        f"Agreed on {long_date(facts.closed_on)} {support_words(facts)}",
        quorum_words(facts.rules, facts.quorum_met),
        weighting_words(facts.rules),
        threshold_words(facts.rules),
        interests_words(facts.conflicts_declared),
    ]
    if recused:
        clauses.append(
            f"{recused} {'organisation' if recused == 1 else 'organisations'} stood aside"
        )
    return "; ".join(clauses) + "."
