"""The attacker of ``portal.voting.secrecy`` against the issue's example, hand-checked cases
and hypothesis-generated electorates: what the portal publishes unmasks nobody."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.voting import rules as counting
from portal.voting import secrecy

SIX_DECIMALS = secrecy.Level("six_decimals", by_kind=False, counts=True, decimals=6)
MOTION = ["for", "against", "abstain"]


def _record(
    electorate: list[dict[str, Any]],
    ballots: list[tuple[str, str]],
    weighting: dict[str, Any],
    blocks: dict[str, str] | None,
) -> dict[str, Any]:
    return {
        "format": counting.FORMAT,
        "vote": {"title": "Example", "kind": "motion", "options": MOTION},
        "rules": {
            "weighting": weighting,
            "blocks": blocks,
            "threshold": {"rule": "simple_majority"},
            "tie": "fails",
        },
        "electorate": electorate,
        "ballots": [{"voter": v, "choice": c} for v, c in ballots],
    }


def _issue_example() -> secrecy.Ballot:
    # 141 practices, 25 PCNs, a federation and an LMC; blocks 1/2, 1/4, 3/20, 1/10, equal.
    electorate = [{"id": f"P{i}", "kind": "practice"} for i in range(141)]
    electorate += [{"id": f"N{i}", "kind": "pcn"} for i in range(25)]
    electorate += [{"id": "FED", "kind": "federation"}, {"id": "LMC", "kind": "lmc"}]
    ballots = [("LMC", "for"), ("P0", "for"), ("P1", "for")]
    ballots += [("FED", "against"), ("P2", "against"), ("N0", "abstain")]
    blocks = {"practice": "1/2", "pcn": "1/4", "federation": "3/20", "lmc": "1/10"}
    return secrecy.ballot_from_record(_record(electorate, ballots, {"scheme": "equal"}, blocks))


def test_the_issue_example_figures_are_the_ones_it_quotes() -> None:
    ballot = _issue_example()
    weights = {
        o: sum((v.share for v in ballot.voters if ballot.choices[v.id] == o), start=0)
        for o in MOTION
    }
    assert counting.percent(weights["for"]) == "10.709220"
    assert counting.percent(weights["against"]) == "15.354610"
    assert counting.percent(weights["abstain"]) == "1.000000"


def test_the_attacker_unmasks_the_issue_example_when_full_figures_are_shown() -> None:
    ballot = _issue_example()
    assert set(secrecy.unmasked(ballot, SIX_DECIMALS)) >= {"LMC", "FED", "N0"}


def test_what_is_published_for_the_issue_example_unmasks_nobody() -> None:
    ballot = _issue_example()
    level = secrecy.publish(ballot)
    assert secrecy.unmasked(ballot, level) == []
    assert level.name != "full"


def test_a_unanimous_result_unmasks_nobody_beyond_the_outcome() -> None:
    # Three voters, unanimous rule: "passed" forces everyone, which is fine.
    electorate = [{"id": f"P{i}", "kind": "practice"} for i in range(3)]
    record = _record(electorate, [(f"P{i}", "for") for i in range(3)], {"scheme": "equal"}, None)
    record["rules"]["threshold"] = {"rule": "unanimous"}
    ballot = secrecy.ballot_from_record(record)
    assert secrecy.unmasked(ballot, secrecy.LEVELS[0]) == []


def test_the_solver_agrees_with_brute_force_on_the_issue_example() -> None:
    ballot = _issue_example()
    for level in (SIX_DECIMALS, *secrecy.LEVELS):
        brute = secrecy._possible_by_brute_force(ballot, level)
        solved = secrecy._possible_by_solver(ballot, level)
        assert brute == solved, level.name


WEIGHTINGS = [
    {"scheme": "equal"},
    {"scheme": "banded", "band": 5000},
    {"scheme": "list_size"},
]


@st.composite
def electorates(draw: Any) -> tuple[dict[str, Any], list[str]]:
    weighting = draw(st.sampled_from(WEIGHTINGS))
    practices = draw(st.integers(min_value=1, max_value=6))
    pcns = draw(st.integers(min_value=1, max_value=3))
    electorate = [
        {"id": f"P{i}", "kind": "practice", "list_size": draw(st.integers(1000, 20000))}
        for i in range(practices)
    ]
    electorate += [{"id": f"N{i}", "kind": "pcn", "list_size": 0} for i in range(pcns)]
    electorate += [
        {"id": "FED", "kind": "federation", "list_size": 0},
        {"id": "LMC", "kind": "lmc", "list_size": 0},
    ]
    voters = draw(
        st.lists(
            st.sampled_from([e["id"] for e in electorate]), unique=True, min_size=1, max_size=6
        )
    )
    ballots = [(v, draw(st.sampled_from(MOTION))) for v in voters]
    blocks = {"practice": "1/2", "pcn": "1/4", "federation": "1/8", "lmc": "1/8"}
    return _record(electorate, ballots, weighting, blocks), voters


def _independent_unmasked(record: dict[str, Any], level: secrecy.Level) -> list[str]:
    """A second attacker, written apart from the module: it recounts every assignment with
    the counting rules themselves and compares the figures a member would read."""

    def figures(data: dict[str, Any], shown: secrecy.Level | None) -> tuple:
        parsed = counting.parse_record(data)
        result = counting.tally(parsed)
        seen: tuple = (result.outcome, result.winner)
        if shown is None:
            return seen
        kinds = {m.id: m.kind for m in parsed.electorate}
        if shown.by_kind:
            seen += (sorted((kinds[b.voter], b.choice) for b in parsed.ballots),)
        if shown.counts:
            seen += (tuple(t.members for t in result.totals.values()),)
        if shown.decimals is not None:
            seen += tuple(secrecy.rounded(t.weight, shown.decimals) for t in result.totals.values())
        return seen

    voters = [b["voter"] for b in record["ballots"]]
    possible: dict[str, dict[Any, set[str]]] = {v: {} for v in voters}
    truth = {key: figures(record, key) for key in (level, None)}
    for assignment in itertools.product(MOTION, repeat=len(voters)):
        trial = {
            **record,
            "ballots": [{"voter": v, "choice": c} for v, c in zip(voters, assignment, strict=True)],
        }
        for key in (level, None):
            if figures(trial, key) == truth[key]:
                for v, c in zip(voters, assignment, strict=True):
                    possible[v].setdefault(key, set()).add(c)
    return [v for v in voters if len(possible[v][level]) == 1 and len(possible[v][None]) > 1]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(electorates())
def test_the_attacker_finds_nobody_unmasked_in_what_is_published(case: Any) -> None:
    record, _ = case
    ballot = secrecy.ballot_from_record(record)
    level = secrecy.publish(ballot)
    assert secrecy.unmasked(ballot, level) == []
    assert _independent_unmasked(record, level) == []


def test_the_independent_attacker_can_fail() -> None:
    # LMC alone votes for, federation against: full figures give both away.
    electorate = [{"id": "P0", "kind": "practice", "list_size": 100}]
    electorate += [{"id": "FED", "kind": "federation"}, {"id": "LMC", "kind": "lmc"}]
    blocks = {"practice": "1/2", "federation": "1/4", "lmc": "1/4"}
    record = _record(
        electorate, [("LMC", "for"), ("FED", "against"), ("P0", "for")], {"scheme": "equal"}, blocks
    )
    assert _independent_unmasked(record, secrecy.LEVELS[0]) != []
