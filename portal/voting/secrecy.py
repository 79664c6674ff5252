"""The attacker: can anyone tell how one organisation voted in a secret ballot?

Pure logic (no Flask, no database), so a returning officer can read it. Given what is
published about a closed secret ballot (who voted, the outcome, and at a given level the
per-kind counts, the counts per option and each option's share of the weight at some
rounding), an organisation is *unmasked* when its choice is the same in every assignment of
choices to voters that fits the published figures, but not in every assignment that fits
only the outcome and who voted (those two are public by nature: a unanimous result reveals
everyone, and that is fine).

For each voter and each other choice the attacker asks "is there an assignment that fits
every published figure in which this voter chose otherwise?". With 10 voters or fewer it
tries every assignment; above that it asks OR-Tools' CP-SAT solver, the weights being the
exact shares as integers over one common denominator. Where the solver cannot be asked
exactly (a denominator too large for 64-bit integers, a rule it does not encode) the voter is
reported as unmasked, so the portal publishes less rather than risk it.

``publish`` steps down the publication levels (per-kind counts, then counts per option, then
weight shares at one decimal, then coarser rounding) until nobody is unmasked; the least it
publishes is the outcome and who voted.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from portal.voting import rules as counting

BRUTE_FORCE_LIMIT = 10
_INT64 = 2**62  # CP-SAT works in 64-bit integers; keep every coefficient and sum below this


@dataclass(frozen=True)
class Voter:
    id: str
    kind: str
    share: Fraction


@dataclass(frozen=True)
class Level:
    """What one publication level shows. ``decimals`` is the rounding of weight shares in
    percentage points (1 = one decimal place, -1 = to the nearest 10 points); None hides them."""

    name: str
    by_kind: bool
    counts: bool
    decimals: int | None


# From the most published to the least, in the order the publication policy removes detail.
LEVELS = (
    Level("full", by_kind=True, counts=True, decimals=1),
    Level("no_breakdown", by_kind=False, counts=True, decimals=1),
    Level("weights", by_kind=False, counts=False, decimals=1),
    Level("whole_points", by_kind=False, counts=False, decimals=0),
    Level("ten_points", by_kind=False, counts=False, decimals=-1),
    Level("outcome", by_kind=False, counts=False, decimals=None),
)
LEVEL_NAMES = tuple(level.name for level in LEVELS)


@dataclass(frozen=True)
class Ballot:
    """Everything the attacker is told about one vote, and the true choices (to publish)."""

    kind: str  # "motion" or "choice"
    options: tuple[str, ...]
    rules: counting.Rules
    eligible: int
    voters: tuple[Voter, ...]
    outcome: str
    winner: str | None
    choices: Mapping[str, str]  # voter id -> choice: what the figures are computed from


def ballot_from_record(data: Mapping) -> Ballot:
    """What the attacker works on, from a ballot record (``@1``, real ids) as counted."""
    record = counting.parse_record(data)
    result = counting.tally(record)
    kinds = {member.id: member.kind for member in record.electorate}
    voters = tuple(Voter(b.voter, kinds[b.voter], result.shares[b.voter]) for b in record.ballots)
    return Ballot(
        kind=record.vote.kind,
        options=record.vote.options,
        rules=record.rules,
        eligible=result.eligible_members,
        voters=voters,
        outcome=result.outcome,
        winner=result.winner,
        choices={b.voter: b.choice for b in record.ballots},
    )


def rounded(weight: Fraction, decimals: int) -> Fraction:
    """A share of the whole as a percentage, rounded half to even at ``decimals`` places."""
    unit = Fraction(1, 10**decimals) if decimals >= 0 else Fraction(10**-decimals)
    return round(weight * 100 / unit) * unit


def _figures(ballot: Ballot, level: Level, choices: Mapping[str, str]) -> tuple:
    weights = {option: Fraction(0) for option in ballot.options}
    counts = dict.fromkeys(ballot.options, 0)
    by_kind: dict[tuple[str, str], int] = {}
    for voter in ballot.voters:
        choice = choices[voter.id]
        weights[choice] += voter.share
        counts[choice] += 1
        by_kind[voter.kind, choice] = by_kind.get((voter.kind, choice), 0) + 1
    return (
        tuple(sorted(by_kind.items())) if level.by_kind else None,
        tuple(counts.values()) if level.counts else None,
        tuple(rounded(weights[o], level.decimals) for o in ballot.options)
        if level.decimals is not None
        else None,
    )


def _outcome(ballot: Ballot, weights: Sequence[int], counts: Sequence[int], den: int) -> str:
    """The outcome the rules give for these totals (quorum is fixed by who voted)."""
    if ballot.outcome == "inquorate":
        return "inquorate"
    if ballot.kind == "motion":
        at = {option: j for j, option in enumerate(ballot.options)}
        passed = counting._motion_passes(
            ballot.rules,
            weights[at["for"]],
            weights[at["against"]],
            counts[at["for"]],
            counts[at["against"]],
            den,
            ballot.eligible,
        )
        return "passed" if passed else "rejected"
    winner = counting._choice_winner(ballot.rules.threshold, ballot.options, weights)
    return f"elected:{winner}" if winner is not None else "no_winner"


def _numerators(ballot: Ballot) -> tuple[list[int], int]:
    den = math.lcm(*(voter.share.denominator for voter in ballot.voters)) if ballot.voters else 1
    return [int(voter.share * den) for voter in ballot.voters], den


def _outcome_key(ballot: Ballot) -> str:
    totals, counts, den = _true_totals(ballot)
    return _outcome(ballot, totals, counts, den)


def _true_totals(ballot: Ballot) -> tuple[list[int], list[int], int]:
    nums, den = _numerators(ballot)
    at = {option: j for j, option in enumerate(ballot.options)}
    weights = [0] * len(ballot.options)
    counts = [0] * len(ballot.options)
    for voter, num in zip(ballot.voters, nums, strict=True):
        weights[at[ballot.choices[voter.id]]] += num
        counts[at[ballot.choices[voter.id]]] += 1
    return weights, counts, den


def _possible_by_brute_force(ballot: Ballot, level: Level | None) -> list[set[str]]:
    """For each voter, the choices it makes in some assignment fitting what is published
    (``level`` None: only the outcome and who voted)."""
    nums, den = _numerators(ballot)
    wanted_outcome = _outcome_key(ballot)
    wanted = _figures(ballot, level, ballot.choices) if level is not None else None
    possible: list[set[str]] = [set() for _ in ballot.voters]
    options = ballot.options
    for assignment in itertools.product(range(len(options)), repeat=len(ballot.voters)):
        weights = [0] * len(options)
        counts = [0] * len(options)
        for j, num in zip(assignment, nums, strict=True):
            weights[j] += num
            counts[j] += 1
        if _outcome(ballot, weights, counts, den) != wanted_outcome:
            continue
        if level is not None:
            choices = {v.id: options[j] for v, j in zip(ballot.voters, assignment, strict=True)}
            if _figures(ballot, level, choices) != wanted:
                continue
        for i, j in enumerate(assignment):
            possible[i].add(options[j])
    return possible


def _possible(ballot: Ballot, level: Level | None) -> list[set[str]]:
    if len(ballot.voters) <= BRUTE_FORCE_LIMIT:
        return _possible_by_brute_force(ballot, level)
    return _possible_by_solver(ballot, level)


def unmasked(ballot: Ballot, level: Level, baseline: list[set[str]] | None = None) -> list[str]:
    """Ids of the voters whose choice the published figures at ``level`` give away.
    ``baseline`` is what the outcome and who voted alone allow (computed when not given)."""
    if not ballot.voters:
        return []
    published = _possible(ballot, level)
    if baseline is None:
        baseline = _possible(ballot, None)
    return [
        voter.id
        for voter, shown, known in zip(ballot.voters, published, baseline, strict=True)
        if len(shown) == 1 and len(known) > 1
    ]


def publish(ballot: Ballot) -> Level:
    """The most detailed level at which nobody is unmasked (the last level hides everything)."""
    baseline = _possible(ballot, None)
    for level in LEVELS[:-1]:
        if not unmasked(ballot, level, baseline):
            return level
    return LEVELS[-1]


def published_figures(ballot: Ballot, level: Level) -> dict:
    """What the results page, downloads and notices may show at ``level`` (JSON-ready)."""
    weights, counts, den = _true_totals(ballot)
    totals = {}
    for j, option in enumerate(ballot.options):
        shown = None
        if level.decimals is not None:
            value = rounded(Fraction(weights[j], den), level.decimals)
            places = max(level.decimals, 0)
            shown = f"{float(value):.{places}f}"
        totals[option] = {
            "members": counts[j] if level.counts else None,
            "weight_percent": shown,
        }
    by_kind: dict[str, dict[str, int]] | None = None
    if level.by_kind:
        by_kind = {}
        for voter in ballot.voters:
            row = by_kind.setdefault(voter.kind, dict.fromkeys(ballot.options, 0))
            row[ballot.choices[voter.id]] += 1
    return {"level": level.name, "totals": totals, "by_kind": by_kind}


# --------------------------------------------------------------------------------------------
# The solver, for more than BRUTE_FORCE_LIMIT voters
# --------------------------------------------------------------------------------------------


def _possible_by_solver(ballot: Ballot, level: Level | None) -> list[set[str]]:
    """As the brute force, one CP-SAT question per voter and choice. A voter the solver
    cannot be asked about exactly gets only its true choice (counted as unmasked)."""
    nums, den = _numerators(ballot)
    truth = [{ballot.choices[v.id]} for v in ballot.voters]
    if den * 200 * 10**4 > _INT64:
        return truth
    possible: list[set[str]] = []
    for i, voter in enumerate(ballot.voters):
        found = {ballot.choices[voter.id]}
        for option in ballot.options:
            if option in found:
                continue
            answer = _feasible(ballot, level, nums, den, i, option)
            if answer is None:
                return truth
            if answer:
                found.add(option)
        possible.append(found)
    return possible


def _feasible(
    ballot: Ballot, level: Level | None, nums: list[int], den: int, voter: int, option: str
) -> bool | None:
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    options = ballot.options
    n = len(ballot.voters)
    x = [[model.new_bool_var(f"x{i}_{j}") for j in range(len(options))] for i in range(n)]
    for row in x:
        model.add_exactly_one(row)
    model.add(x[voter][options.index(option)] == 1)
    weight = [sum(nums[i] * x[i][j] for i in range(n)) for j in range(len(options))]
    count = [sum(x[i][j] for i in range(n)) for j in range(len(options))]
    if not _encode_outcome(model, ballot, weight, count, den):
        return None
    if level is not None:
        if level.counts or level.by_kind:
            _, true_counts, _ = _true_totals(ballot)
            for j in range(len(options)):
                model.add(count[j] == true_counts[j])
        if level.by_kind:
            for kind in {v.kind for v in ballot.voters}:
                members = [i for i, v in enumerate(ballot.voters) if v.kind == kind]
                for j, label in enumerate(options):
                    true = sum(1 for i in members if ballot.choices[ballot.voters[i].id] == label)
                    model.add(sum(x[i][j] for i in members) == true)
        if level.decimals is not None:
            true_weights, _, _ = _true_totals(ballot)
            for j in range(len(options)):
                low, high = _rounding_bounds(Fraction(true_weights[j], den), level.decimals, den)
                model.add(weight[j] >= low)
                model.add(weight[j] <= high)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 20
    status = solver.solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return True
    if status == cp_model.INFEASIBLE:
        return False
    return None


def _rounding_bounds(weight: Fraction, decimals: int, den: int) -> tuple[int, int]:
    """Integer numerators (over ``den``) of every weight that rounds as ``weight`` does.
    The boundary halves are included either way, so the attacker never knows less."""
    unit = Fraction(1, 10**decimals) if decimals >= 0 else Fraction(10**-decimals)
    shown = rounded(weight, decimals)
    low = (shown - unit / 2) / 100
    high = (shown + unit / 2) / 100
    return max(0, math.ceil(low * den)), math.floor(high * den)


def _encode_outcome(model, ballot: Ballot, weight, count, den: int) -> bool:
    """Constrain the model to the published outcome; False when the rule is not encoded."""
    if ballot.outcome == "inquorate":
        return True
    rules = ballot.rules
    if ballot.kind == "motion":
        at = {option: j for j, option in enumerate(ballot.options)}
        w_for, w_against = weight[at["for"]], weight[at["against"]]
        passed = ballot.outcome == "passed"
        if rules.threshold == "simple_majority":
            margin = 0 if rules.tie == "chair_for" else 1
            if passed:
                model.add(w_for - w_against >= margin)
            else:
                model.add(w_for - w_against <= margin - 1)
            return True
        if rules.threshold == "absolute_majority":
            if passed:
                model.add(2 * w_for >= den + 1)
            else:
                model.add(2 * w_for <= den)
            return True
        return False
    if rules.threshold == "plurality" and ballot.winner is not None:
        winner = ballot.options.index(ballot.winner)
        for j in range(len(ballot.options)):
            if j != winner:
                model.add(weight[winner] >= weight[j] + 1)
        return True
    return False
