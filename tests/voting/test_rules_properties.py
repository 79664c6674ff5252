"""Property tests of the weighting and tally rules in ``portal.voting.rules``.

Random electorates, rules and ballots (hypothesis) check the promises the rules make whatever the
numbers: shares sum to exactly 1, none exceeds the cap, the cap follows the contract's words
round by round, nothing depends on the order of the electorate or of the ballots, equal
weighting gives 1/N each, and the offline recount prints what the module computes.
"""

from __future__ import annotations

import io
import json
import random
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.voting.recount import main
from portal.voting.rules import (
    FORMAT,
    KINDS,
    compute_shares,
    parse_record,
    percent,
    recount,
    result_to_json,
    tally,
)

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OPTIONS = ["for", "against", "abstain"]


def text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


@st.composite
def electorates(draw: st.DrawFn, min_size: int = 1, max_size: int = 25) -> list[dict[str, Any]]:
    n = draw(st.integers(min_size, max_size))
    members = []
    for i in range(n):
        list_size = draw(st.integers(1, 120_000))
        members.append(
            {
                "id": f"M{i:03d}",
                "kind": draw(st.sampled_from(KINDS)),
                "list_size": list_size,
                "weighted_list_size": f"{list_size * draw(st.integers(50, 150)) / 100:.2f}",
                "weight": text(Fraction(draw(st.integers(1, 50)), draw(st.integers(1, 7)))),
                "recused": draw(st.booleans()) and i > 0,
            }
        )
    return members


@st.composite
def weightings(draw: st.DrawFn) -> dict[str, Any]:
    scheme = draw(
        st.sampled_from(["equal", "list_size", "weighted_list_size", "banded", "fixed", "hybrid"])
    )
    weighting: dict[str, Any] = {"scheme": scheme}
    if scheme == "banded":
        weighting["band"] = draw(st.integers(1, 20_000))
    if scheme == "hybrid":
        weighting["equal_part"] = text(Fraction(draw(st.integers(0, 8)), 8))
        weighting["basis"] = draw(st.sampled_from(["list_size", "weighted_list_size", "fixed"]))
    return weighting


@st.composite
def blocks(draw: st.DrawFn) -> dict[str, str] | None:
    if draw(st.booleans()):
        return None
    parts = [draw(st.integers(1, 9)) for _ in KINDS]
    total = sum(parts)
    return {kind: text(Fraction(part, total)) for kind, part in zip(KINDS, parts, strict=True)}


@st.composite
def records(draw: st.DrawFn, cap: bool = True) -> dict[str, Any]:
    electorate = draw(electorates())
    eligible = [m for m in electorate if not m["recused"]]
    n = len(eligible)
    cap_value: str | None = None
    if cap and draw(st.booleans()):
        denominator = draw(st.integers(1, 3 * n))
        numerator = draw(st.integers(1, denominator))
        if Fraction(numerator, denominator) * n >= 1:
            cap_value = text(Fraction(numerator, denominator))
    ballots = [
        {"voter": m["id"], "choice": draw(st.sampled_from(OPTIONS))}
        for m in eligible
        if draw(st.booleans())
    ]
    threshold = draw(
        st.sampled_from(
            [
                {"rule": "simple_majority"},
                {"rule": "supermajority", "fraction": "2/3"},
                {"rule": "absolute_majority"},
                {"rule": "double_majority"},
                {"rule": "unanimous"},
            ]
        )
    )
    return {
        "format": FORMAT,
        "vote": {"title": "Property", "kind": "motion", "options": OPTIONS},
        "rules": {
            "weighting": draw(weightings()),
            "blocks": draw(blocks()),
            "cap": cap_value,
            "quorum": {
                "members": draw(st.sampled_from([None, "1/3", "1/2"])),
                "weight": draw(st.sampled_from([None, "1/4", "1/2"])),
            },
            "threshold": threshold,
            "tie": draw(st.sampled_from(["fails", "chair_for", "chair_against"])),
        },
        "electorate": electorate,
        "ballots": ballots,
    }


def shares(data: dict[str, Any]) -> dict[str, Fraction]:
    parsed = parse_record(data)
    return compute_shares(parsed.electorate, parsed.rules)


def naive_cap(uncapped: dict[str, Fraction], cap: Fraction) -> dict[str, Fraction]:
    """The cap exactly as the contract words it, with no shortcuts."""
    current = dict(uncapped)
    fixed: set[str] = set()
    while True:
        above = {mid for mid, share in current.items() if mid not in fixed and share > cap}
        if not above:
            return current
        fixed |= above
        rest = 1 - cap * len(fixed)
        free_total = sum(share for mid, share in current.items() if mid not in fixed)
        current = {
            mid: cap if mid in fixed else share * rest / free_total
            for mid, share in current.items()
        }


@FAST
@given(records())
def test_shares_sum_to_exactly_one_and_respect_the_cap(data: dict[str, Any]) -> None:
    result = shares(data)
    assert sum(result.values()) == 1
    assert all(share >= 0 for share in result.values())
    eligible = [m["id"] for m in data["electorate"] if not m["recused"]]
    assert list(result) == eligible
    cap = data["rules"]["cap"]
    if cap is not None:
        assert max(result.values()) <= Fraction(cap)


@FAST
@given(records())
def test_cap_follows_the_contract_round_by_round(data: dict[str, Any]) -> None:
    cap = data["rules"]["cap"]
    capped = shares(data)
    data["rules"]["cap"] = None
    uncapped = shares(data)
    if cap is None:
        assert capped == uncapped
    else:
        assert capped == naive_cap(uncapped, Fraction(cap))


@FAST
@given(records(), st.randoms(use_true_random=False))
def test_weights_do_not_depend_on_electorate_or_ballot_order(
    data: dict[str, Any], rng: random.Random
) -> None:
    before = result_to_json(tally(parse_record(data)))
    rng.shuffle(data["electorate"])
    rng.shuffle(data["ballots"])
    after = result_to_json(tally(parse_record(data)))
    assert after["shares"] == before["shares"]  # same values (dict equality ignores order)
    assert after == before


@FAST
@given(records(), st.randoms(use_true_random=False))
def test_tally_does_not_depend_on_ballot_order(data: dict[str, Any], rng: random.Random) -> None:
    before = recount(data)
    rng.shuffle(data["ballots"])
    after = recount(data)
    assert json.dumps(after) == json.dumps(before)  # same values and the same key order


@FAST
@given(electorates(), st.sampled_from([None, "1"]))
def test_equal_scheme_without_cap_gives_one_nth_each(
    electorate: list[dict[str, Any]], cap: str | None
) -> None:
    data = {
        "format": FORMAT,
        "vote": {"title": "Equal", "kind": "motion", "options": OPTIONS},
        "rules": {
            "weighting": {"scheme": "equal"},
            "blocks": None,
            "cap": cap,  # a cap of 1 never binds
            "quorum": None,
            "threshold": {"rule": "simple_majority"},
            "tie": "fails",
        },
        "electorate": electorate,
        "ballots": [],
    }
    result = shares(data)
    n = sum(1 for m in electorate if not m["recused"])
    assert set(result.values()) == {Fraction(1, n)}


@FAST
@given(records())
def test_recount_main_prints_what_the_module_computes(data: dict[str, Any]) -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    stdin = io.BytesIO(json.dumps(data).encode("utf-8"))
    status = main(["-"], stdin=stdin, stdout=stdout, stderr=stderr)
    assert (status, stderr.getvalue()) == (0, "")
    assert json.loads(stdout.getvalue()) == recount(data)
    assert json.loads(stdout.getvalue()) == result_to_json(tally(parse_record(data)))


@FAST
@given(records(), st.integers(0, 10_000))
def test_recount_main_refuses_a_stranger_with_nothing_on_stdout(
    data: dict[str, Any], where: int
) -> None:
    ballots = data["ballots"]
    ballots.insert(where % (len(ballots) + 1), {"voter": "STRANGER", "choice": "for"})
    stdout, stderr = io.StringIO(), io.StringIO()
    stdin = io.BytesIO(json.dumps(data).encode("utf-8"))
    assert main(["-"], stdin=stdin, stdout=stdout, stderr=stderr) == 2
    assert stdout.getvalue() == ""
    assert "'STRANGER' is not in the electorate" in stderr.getvalue()


@FAST
@given(st.fractions(min_value=0, max_value=1, max_denominator=10**12))
def test_percent_is_within_half_a_unit_of_the_exact_value(value: Fraction) -> None:
    printed = Decimal(percent(value))
    assert abs(Fraction(printed) - value * 100) <= Fraction(1, 2 * 10**6)
    assert printed == printed.quantize(Decimal("0.000001"))
