"""A vote's result in one sentence, as the publication policy words it everywhere.

The same sentence goes on the results page, a statement, its PDF, the Atom feed and the API, so
a reader who compares them finds the same words. For an open ballot::

    Agreed by simple majority of the whole weight on 1 December 2026: 65 organisations for
    (54.9 % of the weight), 33 against (27.3 %), 13 abstained (10.6 %); 111 of 141 voted
    (92.8 % of the weight); quorum of half the practices met.

Every share is of the whole eligible electorate's weight (``rules.py``'s W(x)), rounded for
people by ``portal.figures``: one decimal, or as many as it takes for the deciding margin to be
seen. For a secret ballot the sentence gives the outcome and how many organisations voted, and
says that the figures were withheld.

Pure: it takes the checked ballot record and its exact result from ``portal.voting.rules``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from fractions import Fraction

from portal import figures
from portal.voting.rules import BallotRecord, Result, Rules

WITHHELD = "Figures withheld to keep the ballot secret."
NAMED_FRACTIONS = {
    Fraction(1, 2): "half",
    Fraction(1, 3): "a third",
    Fraction(2, 3): "two-thirds",
    Fraction(1, 4): "a quarter",
    Fraction(3, 4): "three-quarters",
    Fraction(3, 5): "three-fifths",
    Fraction(4, 5): "four-fifths",
    Fraction(1): "all",
}
KIND_PLURALS = {
    "practice": "practices",
    "pcn": "PCNs",
    "federation": "federations",
    "lmc": "LMCs",
}


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def fraction_words(value: Fraction) -> str:
    """A rule's fraction for people: ``1/2`` is "half", ``2/5`` is "40 %"."""
    if value in NAMED_FRACTIONS:
        return NAMED_FRACTIONS[value]
    whole = (value * 100).denominator == 1
    return figures.percent(value, 0 if whole else 1)


def rule_words(rules: Rules, kind: str) -> str:
    """The pass rule, to follow "by": "simple majority of the whole weight"."""
    rule = rules.threshold
    if kind == "choice":
        if rule == "plurality":
            return "plurality (the most weight)"
        return "simple majority of the weight cast"
    if rule == "simple_majority":
        return "simple majority of the whole weight"
    if rule == "supermajority":
        assert rules.threshold_fraction is not None
        return (
            f"{fraction_words(rules.threshold_fraction)} majority of the weight cast for or against"
        )
    if rule == "absolute_majority":
        return "absolute majority (more than half of the whole weight)"
    if rule == "double_majority":
        return "double majority (more weight and more organisations for than against)"
    if rule == "unanimous":
        return "unanimous vote of every organisation"
    return rule.replace("_", " ")


def electorate_noun(kinds: Sequence[str]) -> str:
    """What the eligible members are called together: "practices" if they all are."""
    distinct = set(kinds)
    if len(distinct) == 1:
        return KIND_PLURALS.get(distinct.pop(), "organisations")
    return "organisations"


def quorum_words(rules: Rules, met: bool, kinds: Sequence[str]) -> str:
    parts = []
    if rules.quorum_members is not None:
        parts.append(f"{fraction_words(rules.quorum_members)} the {electorate_noun(kinds)}")
    if rules.quorum_weight is not None:
        parts.append(f"{fraction_words(rules.quorum_weight)} of the weight")
    if not parts:
        return "no quorum was set"
    return f"quorum of {' and '.join(parts)} {'met' if met else 'not met'}"


def _organisations(number: int) -> str:
    return f"{figures.count(number)} {'organisation' if number == 1 else 'organisations'}"


def _deciding_pairs(record: BallotRecord, result: Result) -> list[tuple[Fraction, Fraction]]:
    """The pairs of shares whose order decided the vote, to be shown apart."""
    rules = record.rules
    pairs: list[tuple[Fraction, Fraction]] = []
    if rules.quorum_weight is not None:
        pairs.append((result.turnout_weight, rules.quorum_weight))
    weights = {option: total.weight for option, total in result.totals.items()}
    if record.vote.kind == "motion":
        pairs.append((weights["for"], weights["against"]))
        if rules.threshold == "absolute_majority":
            pairs.append((weights["for"], Fraction(1, 2)))
    else:
        ordered = sorted(weights.values(), reverse=True)
        if len(ordered) >= 2:
            pairs.append((ordered[0], ordered[1]))
    return pairs


def deciding_decimals(record: BallotRecord, result: Result) -> int:
    """How many decimals every share of this result is written with (one, or as many as it
    takes for the deciding margin to be seen), so a table shows what the sentence says."""
    return figures.decimals_to_separate(_deciding_pairs(record, result))


def _opening(record: BallotRecord, result: Result, decided_on: date) -> str:
    rules, kind = record.rules, record.vote.kind
    on = long_date(decided_on)
    if result.outcome == "inquorate":
        return f"Not decided for want of a quorum on {on}"
    by = rule_words(rules, kind)
    if kind == "motion":
        tied = result.totals["for"].weight == result.totals["against"].weight
        if rules.threshold == "simple_majority" and tied and result.turnout_members:
            by += (
                ", a tie carried by the chair's casting vote"
                if rules.tie == "chair_for"
                else ", a tie failing"
            )
        verb = "Agreed" if result.outcome == "passed" else "Not agreed"
        return f"{verb} by {by} on {on}"
    if result.outcome == "elected":
        return f"{result.winner} elected by {by} on {on}"
    return f"No option elected by {by} on {on}"


def _kinds(record: BallotRecord) -> list[str]:
    return [member.kind for member in record.electorate if not member.recused]


def open_sentence(record: BallotRecord, result: Result, decided_on: date) -> str:
    """The full wording of an open ballot's result."""
    decimals = deciding_decimals(record, result)

    def share(value: Fraction) -> str:
        return figures.percent(value, decimals)

    totals = result.totals
    if record.vote.kind == "motion":
        figures_part = (
            f"{_organisations(totals['for'].members)} for "
            f"({share(totals['for'].weight)} of the weight), "
            f"{figures.count(totals['against'].members)} against "
            f"({share(totals['against'].weight)}), "
            f"{figures.count(totals['abstain'].members)} abstained "
            f"({share(totals['abstain'].weight)})"
        )
    else:
        items = [
            f"{option} {figures.count(total.members)} "
            f"({share(total.weight)}{' of the weight' if position == 0 else ''})"
            for position, (option, total) in enumerate(totals.items())
        ]
        figures_part = ", ".join(items)
    turnout = (
        f"{figures.count(result.turnout_members)} of {figures.count(result.eligible_members)} "
        f"voted ({share(result.turnout_weight)} of the weight)"
    )
    quorum = quorum_words(record.rules, result.quorum_met, _kinds(record))
    return f"{_opening(record, result, decided_on)}: {figures_part}; {turnout}; {quorum}."


def secret_sentence(record: BallotRecord, result: Result, decided_on: date) -> str:
    """The least a secret ballot publishes: the outcome, how many voted, and what was withheld."""
    turnout = (
        f"{figures.count(result.turnout_members)} of "
        f"{_organisations(result.eligible_members)} voted"
    )
    quorum = quorum_words(record.rules, result.quorum_met, _kinds(record))
    return (
        f"{_opening(record, result, decided_on)} in a secret ballot: {turnout}; {quorum}. "
        f"{WITHHELD}"
    )


def result_sentence(record: BallotRecord, result: Result, decided_on: date, *, secret: bool) -> str:
    """The one sentence every surface gives for this result."""
    if secret:
        return secret_sentence(record, result, decided_on)
    return open_sentence(record, result, decided_on)
