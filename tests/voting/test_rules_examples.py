"""Hand-worked examples of the weighting and tally rules in ``portal.voting.rules``.

Every expected number is worked out by hand in the comments and asserted as an exact Fraction
(or as the exact printed percentage). These tests need no Flask app and no database.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from portal.voting.rules import (
    FORMAT,
    Member,
    RecordError,
    Result,
    Rules,
    Weighting,
    canonical_json,
    compute_shares,
    parse_record,
    percent,
    record_digest,
    recount,
    result_to_json,
    tally,
)

F = Fraction  # short name for the many exact values below
MOTION = ["for", "against", "abstain"]


def member(mid: str, kind: str = "practice", **fields: Any) -> dict[str, Any]:
    return {"id": mid, "kind": kind, **fields}


def record(
    electorate: list[dict[str, Any]],
    ballots: dict[str, str] | list[tuple[str, str]] | None = None,
    *,
    kind: str = "motion",
    options: list[str] | None = None,
    weighting: dict[str, Any] | None = None,
    blocks: dict[str, Any] | None = None,
    cap: Any = None,
    quorum: dict[str, Any] | None = None,
    threshold: dict[str, Any] | None = None,
    tie: str | None = "fails",
) -> dict[str, Any]:
    if options is None:
        options = MOTION if kind == "motion" else ["Alice", "Bob", "Carol"]
    pairs = list(ballots.items()) if isinstance(ballots, dict) else list(ballots or [])
    return {
        "format": FORMAT,
        "vote": {"title": "Example", "kind": kind, "options": options},
        "rules": {
            "weighting": weighting or {"scheme": "equal"},
            "blocks": blocks,
            "cap": cap,
            "quorum": quorum or {"members": None, "weight": None},
            "threshold": threshold or {"rule": "simple_majority"},
            "tie": tie,
        },
        "electorate": electorate,
        "ballots": [{"voter": voter, "choice": choice} for voter, choice in pairs],
    }


def count(data: dict[str, Any]) -> Result:
    return tally(parse_record(data))


def shares_of(data: dict[str, Any]) -> dict[str, F]:
    return count(data).shares


def equal_members(n: int, kind: str = "practice") -> list[dict[str, Any]]:
    return [member(f"M{i}", kind) for i in range(1, n + 1)]


def sized(*sizes: int) -> list[dict[str, Any]]:
    return [member(chr(ord("A") + i), list_size=size) for i, size in enumerate(sizes)]


def refused(data: dict[str, Any], *fragments: str) -> str:
    with pytest.raises(RecordError) as caught:
        recount(data)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


# ------------------------------------------------------------------------------------------
# The module stays plain
# ------------------------------------------------------------------------------------------


#: The counting law: ``rules`` and the modules it is split into.
COUNTING_MODULES = ("rules", "record_types", "record_reading", "weights", "secret_ballot_record")


def test_rules_module_imports_only_the_standard_library() -> None:
    # rules.py and the modules it is split into import the standard library and each other,
    # nothing else of the portal: the recount runs on a plain Python.
    counting = {f"portal.voting.{name}" for name in COUNTING_MODULES}
    for name in COUNTING_MODULES:
        source = Path(__file__).resolve().parents[2] / "portal" / "voting" / f"{name}.py"
        tree = ast.parse(source.read_text(encoding="utf-8"))
        imported: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{name}.py must import by absolute names"
                if node.module in counting:
                    continue
                assert node.module is not None
                assert not node.module.startswith("portal"), f"{name}.py imports {node.module}"
                imported.add(node.module.split(".")[0])
        assert imported - {"__future__"} <= set(sys.stdlib_module_names), (name, imported)


# ------------------------------------------------------------------------------------------
# Weighting schemes
# ------------------------------------------------------------------------------------------


def test_equal_scheme_gives_one_nth_each() -> None:
    # 3 members, 1 each: 1/3 each.
    assert shares_of(record(equal_members(3))) == {"M1": F(1, 3), "M2": F(1, 3), "M3": F(1, 3)}


def test_list_size_scheme_is_list_size_over_total() -> None:
    # 3000 + 1000 + 4000 = 8000: A 3000/8000 = 3/8, B 1/8, C 4000/8000 = 1/2.
    data = record(sized(3000, 1000, 4000), weighting={"scheme": "list_size"})
    assert shares_of(data) == {"A": F(3, 8), "B": F(1, 8), "C": F(1, 2)}


def test_list_size_scheme_allows_a_zero_list_size() -> None:
    # 0 + 500 + 1500 = 2000: A 0, B 1/4, C 3/4.
    data = record(sized(0, 500, 1500), weighting={"scheme": "list_size"})
    assert shares_of(data) == {"A": F(0), "B": F(1, 4), "C": F(3, 4)}


def test_weighted_list_size_scheme_uses_exact_decimals() -> None:
    # 4579.78 + 420.22 = 5000 exactly.
    # A 4579.78 / 5000 = 457978 / 500000 = 228989/250000; B 42022/500000 = 21011/250000.
    electorate = [
        member("A", weighted_list_size="4579.78"),
        member("B", weighted_list_size="420.22"),
    ]
    data = record(electorate, weighting={"scheme": "weighted_list_size"})
    assert shares_of(data) == {"A": F(228989, 250000), "B": F(21011, 250000)}


def test_weighted_list_size_accepts_json_numbers_and_fractions() -> None:
    # A JSON float 4579.78 counts as the written decimal, exactly; "841/2" is 420.5; 1 is 1.
    # Total 4579.78 + 420.5 + 1 = 5001.28: A = 457978/500128, B = 42050/500128, C = 100/500128.
    electorate = [
        member("A", weighted_list_size=4579.78),
        member("B", weighted_list_size="841/2"),
        member("C", weighted_list_size=1),
    ]
    shares = shares_of(record(electorate, weighting={"scheme": "weighted_list_size"}))
    assert shares == {
        "A": F(457978, 500128),
        "B": F(42050, 500128),
        "C": F(100, 500128),
    }
    # The recount reads JSON decimals as Decimal: the same exact value.
    electorate[0]["weighted_list_size"] = Decimal("4579.78")
    assert shares_of(record(electorate, weighting={"scheme": "weighted_list_size"})) == shares


def test_banded_scheme_rounds_up_with_a_minimum_of_one_band() -> None:
    # band 1000: 0 -> ceil(0) = 0 -> at least 1; 1000 -> 1; 1001 -> 2; 2500 -> 3.
    # Total 1 + 1 + 2 + 3 = 7: A 1/7, B 1/7, C 2/7, D 3/7.
    data = record(sized(0, 1000, 1001, 2500), weighting={"scheme": "banded", "band": 1000})
    assert shares_of(data) == {"A": F(1, 7), "B": F(1, 7), "C": F(2, 7), "D": F(3, 7)}


def test_fixed_scheme_uses_each_members_weight() -> None:
    # 2 + 1/2 + 1.5 = 4: A 2/4 = 1/2, B (1/2)/4 = 1/8, C 1.5/4 = 3/8.
    electorate = [member("A", weight=2), member("B", weight="1/2"), member("C", weight="1.5")]
    data = record(electorate, weighting={"scheme": "fixed"})
    assert shares_of(data) == {"A": F(1, 2), "B": F(1, 8), "C": F(3, 8)}


def test_hybrid_scheme_mixes_equal_and_list_size() -> None:
    # equal_part 1/2, N = 2, list sizes 3000 and 1000 (total 4000):
    # A = 1/2 x 1/2 + 1/2 x 3000/4000 = 1/4 + 3/8 = 5/8; B = 1/4 + 1/2 x 1/4 = 3/8.
    data = record(
        sized(3000, 1000),
        weighting={"scheme": "hybrid", "equal_part": "1/2", "basis": "list_size"},
    )
    assert shares_of(data) == {"A": F(5, 8), "B": F(3, 8)}


def test_hybrid_scheme_with_a_weighted_list_size_basis() -> None:
    # equal_part 0.25, N = 3, weighted sizes 10, 30, 60 (total 100):
    # A = 1/4 x 1/3 + 3/4 x 10/100 = 1/12 + 3/40 = 10/120 + 9/120 = 19/120
    # B = 1/12 + 3/4 x 30/100 = 10/120 + 27/120 = 37/120
    # C = 1/12 + 3/4 x 60/100 = 10/120 + 54/120 = 64/120 = 8/15   (sum 120/120)
    electorate = [
        member("A", weighted_list_size="10"),
        member("B", weighted_list_size="30.0"),
        member("C", weighted_list_size=60),
    ]
    data = record(
        electorate,
        weighting={"scheme": "hybrid", "equal_part": "0.25", "basis": "weighted_list_size"},
    )
    assert shares_of(data) == {"A": F(19, 120), "B": F(37, 120), "C": F(8, 15)}


def test_hybrid_with_a_banded_basis() -> None:
    # basis banded, band 1000: 500 -> 1 band, 2500 -> 3 bands (total 4); equal_part 1/2, N = 2:
    # A = 1/4 + 1/2 x 1/4 = 3/8; B = 1/4 + 1/2 x 3/4 = 5/8.
    data = record(
        sized(500, 2500),
        weighting={"scheme": "hybrid", "equal_part": "1/2", "basis": "banded", "band": 1000},
    )
    assert shares_of(data) == {"A": F(3, 8), "B": F(5, 8)}


@pytest.mark.parametrize(
    ("equal_part", "expected"),
    [
        # equal_part 1: all equal, 1/2 each, whatever the list sizes.
        ("1", {"A": F(1, 2), "B": F(1, 2)}),
        # equal_part 0: pure list size, 3000/4000 and 1000/4000.
        ("0", {"A": F(3, 4), "B": F(1, 4)}),
    ],
)
def test_hybrid_extremes(equal_part: str, expected: dict[str, F]) -> None:
    data = record(
        sized(3000, 1000),
        weighting={"scheme": "hybrid", "equal_part": equal_part, "basis": "list_size"},
    )
    assert shares_of(data) == expected


# ------------------------------------------------------------------------------------------
# Blocks
# ------------------------------------------------------------------------------------------

BLOCKS = {"practice": "1/2", "pcn": "1/4", "lmc": "1/8", "federation": "1/8"}


def test_blocks_share_each_kinds_fraction_equally() -> None:
    # practice 1/2 over P1, P2: 1/4 each; pcn 1/4 to N1; lmc 1/8 to L1; federation 1/8 to F1.
    electorate = [
        member("P1"),
        member("P2"),
        member("N1", "pcn"),
        member("L1", "lmc"),
        member("F1", "federation"),
    ]
    assert shares_of(record(electorate, blocks=BLOCKS)) == {
        "P1": F(1, 4),
        "P2": F(1, 4),
        "N1": F(1, 4),
        "L1": F(1, 8),
        "F1": F(1, 8),
    }


def test_blocks_share_each_kinds_fraction_by_list_size() -> None:
    # practice 1/2 split 3000 : 1000 -> P1 3/8, P2 1/8;
    # pcn 1/4 split 50000 : 50000 -> 1/8 each; lmc 1/8 to L1; federation 1/8 to F1.
    electorate = [
        member("P1", list_size=3000),
        member("P2", list_size=1000),
        member("N1", "pcn", list_size=50000),
        member("N2", "pcn", list_size=50000),
        member("L1", "lmc", list_size=1),
        member("F1", "federation", list_size=7),
    ]
    data = record(electorate, blocks=BLOCKS, weighting={"scheme": "list_size"})
    assert shares_of(data) == {
        "P1": F(3, 8),
        "P2": F(1, 8),
        "N1": F(1, 8),
        "N2": F(1, 8),
        "L1": F(1, 8),
        "F1": F(1, 8),
    }


def test_a_kind_with_no_members_drops_out_and_the_rest_scale_up() -> None:
    # No federation member: the blocks present sum to 1/2 + 1/4 + 1/8 = 7/8.
    # practice (1/2)/(7/8) = 4/7 -> P1, P2 2/7 each; pcn (1/4)/(7/8) = 2/7; lmc (1/8)/(7/8) = 1/7.
    electorate = [member("P1"), member("P2"), member("N1", "pcn"), member("L1", "lmc")]
    assert shares_of(record(electorate, blocks=BLOCKS)) == {
        "P1": F(2, 7),
        "P2": F(2, 7),
        "N1": F(2, 7),
        "L1": F(1, 7),
    }


def test_a_kind_whose_only_member_is_recused_drops_out() -> None:
    # Same as above: the only federation member is recused, so federation drops out.
    electorate = [
        member("P1"),
        member("P2"),
        member("N1", "pcn"),
        member("L1", "lmc"),
        member("F1", "federation", recused=True),
    ]
    result = count(record(electorate, blocks=BLOCKS))
    assert result.shares == {"P1": F(2, 7), "P2": F(2, 7), "N1": F(2, 7), "L1": F(1, 7)}
    assert result.eligible_members == 4


def test_hybrid_applies_inside_each_block() -> None:
    # blocks practice 1/2, pcn 1/2; hybrid equal_part 1/2 on list size, inside each block.
    # practice block (n = 2, sizes 3000, 1000, total 4000):
    #   P1 = 1/2 x 1/2 + 1/2 x 3/4 = 5/8 of the block -> 5/16;  P2 = 3/8 -> 3/16.
    # pcn block (n = 3, sizes 5, 15, 0, total 20):
    #   N1 = 1/2 x 1/3 + 1/2 x 5/20 = 1/6 + 1/8 = 7/24 -> 7/48
    #   N2 = 1/6 + 1/2 x 15/20 = 1/6 + 3/8 = 13/24 -> 13/48
    #   N3 = 1/6 + 0 = 4/24 -> 4/48 = 1/12
    electorate = [
        member("P1", list_size=3000),
        member("P2", list_size=1000),
        member("N1", "pcn", list_size=5),
        member("N2", "pcn", list_size=15),
        member("N3", "pcn", list_size=0),
    ]
    data = record(
        electorate,
        blocks={"practice": "1/2", "pcn": "1/2"},
        weighting={"scheme": "hybrid", "equal_part": "1/2", "basis": "list_size"},
    )
    assert shares_of(data) == {
        "P1": F(5, 16),
        "P2": F(3, 16),
        "N1": F(7, 48),
        "N2": F(13, 48),
        "N3": F(1, 12),
    }


def test_a_zero_block_gives_its_members_nothing() -> None:
    # practice 1, pcn 0: the PCN is in the electorate but holds no weight.
    electorate = [member("P1"), member("P2"), member("N1", "pcn")]
    data = record(electorate, blocks={"practice": "1", "pcn": "0"})
    assert shares_of(data) == {"P1": F(1, 2), "P2": F(1, 2), "N1": F(0)}


# ------------------------------------------------------------------------------------------
# Cap
# ------------------------------------------------------------------------------------------


def test_cap_in_one_round() -> None:
    # 6000, 2000, 2000 -> 3/5, 1/5, 1/5. Cap 1/2: A fixed at 1/2; the other 1/2 is shared
    # 2000 : 2000 -> B 1/4, C 1/4. Neither is above 1/2: done.
    data = record(sized(6000, 2000, 2000), weighting={"scheme": "list_size"}, cap="1/2")
    assert shares_of(data) == {"A": F(1, 2), "B": F(1, 4), "C": F(1, 4)}


def test_cap_needs_a_second_round() -> None:
    # 50, 30, 10, 10 -> 1/2, 3/10, 1/10, 1/10. Cap 3/10 (B sits exactly at it, not above).
    # Round 1: A above -> fixed at 3/10; 7/10 left for B, C, D in proportion 3 : 1 : 1:
    #   B = 7/10 x 3/5 = 21/50 (above 3/10), C = D = 7/10 x 1/5 = 7/50.
    # Round 2: B above -> fixed at 3/10; 1 - 6/10 = 2/5 left for C, D, 1 : 1 -> 1/5 each.
    # Nobody above 3/10: A 3/10, B 3/10, C 1/5, D 1/5 (sum 1).
    data = record(sized(50, 30, 10, 10), weighting={"scheme": "list_size"}, cap="3/10")
    assert shares_of(data) == {"A": F(3, 10), "B": F(3, 10), "C": F(1, 5), "D": F(1, 5)}


def test_cap_times_n_equal_to_one_forces_equal_shares() -> None:
    # 50, 30, 10, 10 with cap 1/4 (cap x N = 1): round 1 fixes A (1/2) and B (3/10) at 1/4;
    # 1/2 left for C, D 1 : 1 -> 1/4 each. All 1/4.
    data = record(sized(50, 30, 10, 10), weighting={"scheme": "list_size"}, cap="0.25")
    assert shares_of(data) == {"A": F(1, 4), "B": F(1, 4), "C": F(1, 4), "D": F(1, 4)}


def test_cap_that_does_not_bind_changes_nothing() -> None:
    # 3/8, 1/8, 1/2 are all at or below the cap of 1/2.
    data = record(sized(3000, 1000, 4000), weighting={"scheme": "list_size"}, cap="1/2")
    assert shares_of(data) == {"A": F(3, 8), "B": F(1, 8), "C": F(1, 2)}


def test_cap_applies_after_blocks_and_moves_weight_between_blocks() -> None:
    # blocks practice 1/2, pcn 1/2, equal: P1 1/4, P2 1/4, N1 1/2.
    # Cap 2/5: N1 fixed at 2/5; 3/5 left for P1, P2 1 : 1 -> 3/10 each.
    electorate = [member("P1"), member("P2"), member("N1", "pcn")]
    data = record(electorate, blocks={"practice": "1/2", "pcn": "1/2"}, cap="2/5")
    assert shares_of(data) == {"P1": F(3, 10), "P2": F(3, 10), "N1": F(2, 5)}


def test_infeasible_cap_is_refused() -> None:
    # cap 1/4 x 3 members = 3/4 < 1: even equal shares (1/3) break it.
    refused(record(equal_members(3), cap="1/4"), "rules.cap", "infeasible", "3/4")


def test_cap_that_would_share_weight_among_zero_shares_is_counted() -> None:
    # 100, 0, 0 -> 1, 0, 0. Cap 1/2 (cap x N = 3/2): A fixed at 1/2; the 1/2 left has no
    # proportion to go by (B and C hold 0), so B and C share it equally: 1/4 each.
    data = record(sized(100, 0, 0), {"B": "for"}, weighting={"scheme": "list_size"}, cap="1/2")
    result = count(data)
    assert result.shares == {"A": F(1, 2), "B": F(1, 4), "C": F(1, 4)}
    assert result.outcome == "passed"
    assert result.totals["for"].weight == F(1, 4)


def test_cap_leftover_for_zero_shares_after_two_rounds() -> None:
    # 600, 300, 100, 0, 0 -> 3/5, 3/10, 1/10, 0, 0. Cap 1/4 (cap x N = 5/4).
    # Round 1: A (3/5) and B (3/10) are above 1/4: both fixed; 1/2 left for C, D, E in
    # proportion 100 : 0 : 0 -> C 1/2, above 1/4.
    # Round 2: C fixed too; 1/4 left, but D and E hold 0: shared equally, 1/8 each.
    data = record(sized(600, 300, 100, 0, 0), weighting={"scheme": "list_size"}, cap="1/4")
    assert shares_of(data) == {"A": F(1, 4), "B": F(1, 4), "C": F(1, 4), "D": F(1, 8), "E": F(1, 8)}


def test_cap_that_leaves_nothing_for_zero_shares_gives_them_nothing() -> None:
    # 50, 50, 0 -> 1/2, 1/2, 0. Cap 1/2: nobody is above it, so nothing moves: C keeps 0.
    data = record(sized(50, 50, 0), weighting={"scheme": "list_size"}, cap="1/2")
    assert shares_of(data) == {"A": F(1, 2), "B": F(1, 2), "C": F(0)}


@pytest.mark.parametrize("cap", ["0", "-1/2", "3/2"])
def test_cap_out_of_range_is_refused(cap: str) -> None:
    refused(record(equal_members(3), cap=cap), "rules.cap")


# ------------------------------------------------------------------------------------------
# Recusal
# ------------------------------------------------------------------------------------------


def test_recused_members_leave_the_electorate() -> None:
    # A (recused, 3000) leaves; B 1000, C 3000 -> 1/4, 3/4. N = 2, so 1 voter is 1/2 of members.
    electorate = [
        member("A", list_size=3000, recused=True),
        member("B", list_size=1000),
        member("C", list_size=3000),
    ]
    data = record(
        electorate,
        {"C": "for"},
        weighting={"scheme": "list_size"},
        quorum={"members": "1/2", "weight": None},
    )
    result = count(data)
    assert result.shares == {"B": F(1, 4), "C": F(3, 4)}
    assert result.eligible_members == 2
    assert result.quorum_met is True
    assert result.outcome == "passed"


def test_a_recused_members_list_size_is_not_looked_at() -> None:
    # A is recused and has no list size: under list_size that is fine, it is not counted.
    electorate = [member("A", recused=True), member("B", list_size=10), member("C", list_size=30)]
    assert shares_of(record(electorate, weighting={"scheme": "list_size"})) == {
        "B": F(1, 4),
        "C": F(3, 4),
    }


def test_a_recused_members_ballot_is_refused() -> None:
    electorate = [member("A", recused=True), member("B")]
    refused(record(electorate, {"B": "for", "A": "against"}), "ballot 2", "'A'", "recused")


# ------------------------------------------------------------------------------------------
# Motions: threshold rules and ties
# ------------------------------------------------------------------------------------------


def test_simple_majority_passes_and_reports_everything() -> None:
    # 4 equal members (1/4 each): for M1, M2; against M3; abstain M4.
    # W(for) = 1/2 > W(against) = 1/4 -> passed. Turnout 4 members, weight 1 (100 %).
    data = record(equal_members(4), {"M1": "for", "M2": "for", "M3": "against", "M4": "abstain"})
    result = count(data)
    assert result.outcome == "passed"
    assert result.totals["for"].weight == F(1, 2)
    assert result.totals["against"].weight == F(1, 4)
    assert result.totals["abstain"].weight == F(1, 4)
    assert result.turnout_weight == F(1)
    assert result_to_json(result) == {
        "outcome": "passed",
        "winner": None,
        "quorum_met": True,
        "eligible_members": 4,
        "turnout": {"members": 4, "weight_percent": "100.000000"},
        "totals": {
            "for": {"members": 2, "weight_percent": "50.000000"},
            "against": {"members": 1, "weight_percent": "25.000000"},
            "abstain": {"members": 1, "weight_percent": "25.000000"},
        },
        "shares": {
            "M1": "25.000000",
            "M2": "25.000000",
            "M3": "25.000000",
            "M4": "25.000000",
        },
    }


def test_result_json_key_order_and_zero_totals() -> None:
    # 3 equal members, only M1 votes (for): W(for) = 1/3 > 0 -> passed.
    # Totals in option order (here the record lists abstain first), zero totals included.
    data = record(equal_members(3), {"M1": "for"}, options=["abstain", "for", "against"])
    out = recount(data)
    assert list(out) == [
        "outcome",
        "winner",
        "quorum_met",
        "eligible_members",
        "turnout",
        "totals",
        "shares",
    ]
    assert list(out["turnout"]) == ["members", "weight_percent"]
    assert out["turnout"] == {"members": 1, "weight_percent": "33.333333"}
    assert list(out["totals"]) == ["abstain", "for", "against"]
    assert out["totals"]["against"] == {"members": 0, "weight_percent": "0.000000"}
    assert out["totals"]["for"] == {"members": 1, "weight_percent": "33.333333"}
    assert out["shares"] == {"M1": "33.333333", "M2": "33.333333", "M3": "33.333333"}
    assert out["outcome"] == "passed"


def test_simple_majority_rejects_when_against_is_heavier() -> None:
    # list sizes 1000 (for), 3000 (against): W(for) 1/4 < W(against) 3/4 -> rejected.
    data = record(
        sized(1000, 3000), {"A": "for", "B": "against"}, weighting={"scheme": "list_size"}
    )
    assert count(data).outcome == "rejected"


@pytest.mark.parametrize(
    ("tie", "outcome"),
    [
        ("fails", "rejected"),
        ("chair_for", "passed"),
        ("chair_against", "rejected"),
        (None, "rejected"),
    ],
)
def test_simple_majority_exact_tie_is_settled_by_the_tie_setting(
    tie: str | None, outcome: str
) -> None:
    # 4 equal members: for M1, against M2, abstain M3, M4 -> W(for) = W(against) = 1/4 exactly.
    # A missing tie setting (None) means "fails".
    ballots = {"M1": "for", "M2": "against", "M3": "abstain", "M4": "abstain"}
    result = count(record(equal_members(4), ballots, tie=tie))
    assert result.totals["for"].weight == result.totals["against"].weight == F(1, 4)
    assert result.outcome == outcome


def test_a_tie_at_nothing_is_still_a_tie() -> None:
    # Everyone abstains: W(for) = W(against) = 0, an exact tie; chair_for passes it.
    ballots = {"M1": "abstain", "M2": "abstain"}
    assert count(record(equal_members(2), ballots, tie="chair_for")).outcome == "passed"
    assert count(record(equal_members(2), ballots, tie="fails")).outcome == "rejected"


def test_ties_under_other_rules_are_not_passed_even_with_chair_for() -> None:
    # 4 equal: for M1, M2; against M3, M4 -> W(for) = W(against) = 1/2, N(for) = N(against) = 2.
    ballots = {"M1": "for", "M2": "for", "M3": "against", "M4": "against"}
    for threshold in (
        {"rule": "supermajority", "fraction": "2/3"},
        {"rule": "absolute_majority"},
        {"rule": "double_majority"},
        {"rule": "unanimous"},
    ):
        data = record(equal_members(4), ballots, threshold=threshold, tie="chair_for")
        assert count(data).outcome == "rejected", threshold


def test_supermajority_at_exactly_the_fraction_passes() -> None:
    # list sizes 2000, 1000, 3000 -> A 1/3, B 1/6, C 1/2. A for, B against, C abstains.
    # W(for) = 1/3; 2/3 x (W(for) + W(against)) = 2/3 x 1/2 = 1/3 -> 1/3 >= 1/3: passed.
    ballots = {"A": "for", "B": "against", "C": "abstain"}
    data = record(
        sized(2000, 1000, 3000),
        ballots,
        weighting={"scheme": "list_size"},
        threshold={"rule": "supermajority", "fraction": "2/3"},
    )
    assert count(data).outcome == "passed"
    # With 3/4: 3/4 x 1/2 = 3/8 > 1/3 -> rejected.
    data["rules"]["threshold"]["fraction"] = "3/4"
    assert count(data).outcome == "rejected"


def test_supermajority_needs_some_weight_for() -> None:
    # Only abstentions: W(for) = 0 = 2/3 x 0, but W(for) > 0 fails -> rejected.
    data = record(
        equal_members(2),
        {"M1": "abstain", "M2": "abstain"},
        threshold={"rule": "supermajority", "fraction": "2/3"},
    )
    assert count(data).outcome == "rejected"


@pytest.mark.parametrize("fraction", ["1/2", "0.4", "5/4", None])
def test_supermajority_fraction_must_be_above_half_and_at_most_one(fraction: str | None) -> None:
    data = record(equal_members(2), threshold={"rule": "supermajority", "fraction": fraction})
    refused(data, "rules.threshold.fraction")


def test_absolute_majority_counts_against_the_whole_electorate() -> None:
    # 5 equal members (1/5 each): for M1, M2; against M3; M4, M5 do not vote.
    # W(for) = 2/5 > W(against) = 1/5 (a simple majority would pass) but 2/5 is not > 1/2.
    ballots = {"M1": "for", "M2": "for", "M3": "against"}
    absolute = {"rule": "absolute_majority"}
    assert count(record(equal_members(5), ballots)).outcome == "passed"
    assert count(record(equal_members(5), ballots, threshold=absolute)).outcome == "rejected"
    # Exactly half is not more than half: 4 equal, for M1, M2 -> 1/2 -> rejected.
    half = {"M1": "for", "M2": "for", "M3": "abstain"}
    assert count(record(equal_members(4), half, threshold=absolute)).outcome == "rejected"
    # 3 of 4 for -> 3/4 > 1/2 -> passed.
    three = {"M1": "for", "M2": "for", "M3": "for", "M4": "against"}
    assert count(record(equal_members(4), three, threshold=absolute)).outcome == "passed"


def test_double_majority_needs_weight_and_heads() -> None:
    # list sizes 7000, 1000, 1000, 1000 (total 10000). A for; B, C against; D abstains.
    # W(for) = 7/10 > W(against) = 2/10, but N(for) = 1 < N(against) = 2 -> rejected.
    ballots = {"A": "for", "B": "against", "C": "against", "D": "abstain"}
    double = {"rule": "double_majority"}
    weighting = {"scheme": "list_size"}
    sizes = sized(7000, 1000, 1000, 1000)
    assert count(record(sizes, ballots, weighting=weighting)).outcome == "passed"
    data = record(sizes, ballots, weighting=weighting, threshold=double)
    assert count(data).outcome == "rejected"
    # A, B for; C against: W(for) = 8/10 > 1/10 and N(for) = 2 > 1 -> passed.
    data = record(
        sizes, {"A": "for", "B": "for", "C": "against"}, weighting=weighting, threshold=double
    )
    assert count(data).outcome == "passed"
    # Heads but not weight: B, C, D for (3/10), A against (7/10) -> rejected.
    data = record(
        sizes,
        {"A": "against", "B": "for", "C": "for", "D": "for"},
        weighting=weighting,
        threshold=double,
    )
    assert count(data).outcome == "rejected"


def test_unanimous_needs_every_eligible_member_for() -> None:
    unanimous = {"rule": "unanimous"}
    everyone = {"M1": "for", "M2": "for", "M3": "for"}
    assert count(record(equal_members(3), everyone, threshold=unanimous)).outcome == "passed"
    # One abstention -> not unanimous.
    abstains = {**everyone, "M3": "abstain"}
    assert count(record(equal_members(3), abstains, threshold=unanimous)).outcome == "rejected"
    # One missing ballot -> not unanimous.
    missing = {"M1": "for", "M2": "for"}
    assert count(record(equal_members(3), missing, threshold=unanimous)).outcome == "rejected"
    # A recused member is not eligible, so it does not block unanimity.
    electorate = [*equal_members(2), member("R", recused=True)]
    data = record(electorate, {"M1": "for", "M2": "for"}, threshold=unanimous)
    assert count(data).outcome == "passed"


# ------------------------------------------------------------------------------------------
# Choice votes
# ------------------------------------------------------------------------------------------


def choice_sizes() -> list[dict[str, Any]]:
    # 40 + 35 + 25 = 100 -> shares 2/5, 7/20, 1/4.
    return sized(40, 35, 25)


def test_plurality_elects_the_heaviest_option() -> None:
    # Alice 2/5, Bob 7/20, Carol 1/4: Alice has the greatest weight -> elected.
    data = record(
        choice_sizes(),
        {"A": "Alice", "B": "Bob", "C": "Carol"},
        kind="choice",
        weighting={"scheme": "list_size"},
        threshold={"rule": "plurality"},
    )
    result = count(data)
    assert (result.outcome, result.winner) == ("elected", "Alice")
    assert result.totals["Alice"].weight == F(2, 5)
    assert result_to_json(result)["totals"] == {
        "Alice": {"members": 1, "weight_percent": "40.000000"},
        "Bob": {"members": 1, "weight_percent": "35.000000"},
        "Carol": {"members": 1, "weight_percent": "25.000000"},
    }


def test_choice_simple_majority_needs_more_than_half_the_weight_cast() -> None:
    # Same ballots: Alice 2/5 of a cast weight of 1 is not more than 1/2 -> no_winner.
    data = record(
        choice_sizes(),
        {"A": "Alice", "B": "Bob", "C": "Carol"},
        kind="choice",
        weighting={"scheme": "list_size"},
        threshold={"rule": "simple_majority"},
    )
    result = count(data)
    assert (result.outcome, result.winner) == ("no_winner", None)
    # A and C for Alice: 2/5 + 1/4 = 13/20 > 1/2 of 1 -> Alice elected.
    data["ballots"][2]["choice"] = "Alice"
    assert (count(data).outcome, count(data).winner) == ("elected", "Alice")


def test_choice_simple_majority_is_of_the_weight_cast_not_the_electorate() -> None:
    # 4 equal members; M1, M2 for Alice, M3 for Bob, M4 does not vote.
    # Cast = 3/4; Alice 1/2 > 3/8 -> elected (though 1/2 is not over half the electorate).
    data = record(
        equal_members(4),
        {"M1": "Alice", "M2": "Alice", "M3": "Bob"},
        kind="choice",
        options=["Alice", "Bob"],
    )
    assert count(data).winner == "Alice"
    # Exactly half the weight cast is not more than half: Alice 1/4, Bob 1/4 -> no_winner.
    data["ballots"] = [{"voter": "M1", "choice": "Alice"}, {"voter": "M2", "choice": "Bob"}]
    assert count(data).outcome == "no_winner"


def test_plurality_tie_for_first_gives_no_winner() -> None:
    # 4 equal: Alice 1/4 + 1/4, Bob 1/4 + 1/4, Carol 0 -> tie for first -> no_winner,
    # whatever the tie setting (it applies to motions only).
    ballots = {"M1": "Alice", "M2": "Bob", "M3": "Alice", "M4": "Bob"}
    data = record(
        equal_members(4), ballots, kind="choice", threshold={"rule": "plurality"}, tie="chair_for"
    )
    assert (count(data).outcome, count(data).winner) == ("no_winner", None)


def test_plurality_with_no_ballots_gives_no_winner() -> None:
    data = record(equal_members(3), [], kind="choice", threshold={"rule": "plurality"})
    result = count(data)
    assert (result.outcome, result.winner, result.turnout_members) == ("no_winner", None, 0)


def test_choice_rules_and_options_are_checked() -> None:
    refused(
        record(equal_members(2), kind="choice", threshold={"rule": "unanimous"}),
        "rules.threshold.rule",
        "'unanimous'",
        "choice",
    )
    refused(record(equal_members(2), kind="choice", options=["Alice"]), "vote.options", "2")
    refused(
        record(equal_members(2), kind="choice", options=["Alice", "abstain"]),
        "vote.options",
        "abstain",
    )
    refused(
        record(equal_members(2), kind="choice", options=["Alice", "Alice"]),
        "vote.options",
        "'Alice'",
    )


def test_motion_rules_and_options_are_checked() -> None:
    refused(record(equal_members(2), threshold={"rule": "plurality"}), "rules.threshold.rule")
    refused(record(equal_members(2), options=["for", "against"]), "vote.options", "motion")
    refused(record(equal_members(2), options=["yes", "no", "abstain"]), "vote.options")


# ------------------------------------------------------------------------------------------
# Quorum
# ------------------------------------------------------------------------------------------


def test_members_quorum_counts_abstentions() -> None:
    # 4 members, quorum 1/2: M1 for, M2 abstains -> 2/4 >= 1/2 -> quorate, passed.
    quorum = {"members": "1/2", "weight": None}
    data = record(equal_members(4), {"M1": "for", "M2": "abstain"}, quorum=quorum)
    result = count(data)
    assert (result.quorum_met, result.outcome) == (True, "passed")
    # Only M1 votes: 1/4 < 1/2 -> inquorate, whatever the ballots say.
    data = record(equal_members(4), {"M1": "for"}, quorum=quorum)
    out = recount(data)
    assert (out["quorum_met"], out["outcome"], out["winner"]) == (False, "inquorate", None)
    assert out["turnout"] == {"members": 1, "weight_percent": "25.000000"}
    assert out["totals"]["for"] == {"members": 1, "weight_percent": "25.000000"}


def test_weight_quorum_counts_the_weight_that_voted() -> None:
    # 6000, 2000, 2000 -> 3/5, 1/5, 1/5. Quorum weight 1/2.
    quorum = {"members": None, "weight": "1/2"}
    weighting = {"scheme": "list_size"}
    sizes = sized(6000, 2000, 2000)
    # B and C vote for: weight 2/5 < 1/2 -> inquorate, though 2 of 3 members voted.
    data = record(sizes, {"B": "for", "C": "for"}, weighting=weighting, quorum=quorum)
    assert count(data).outcome == "inquorate"
    # A alone abstains: weight 3/5 >= 1/2 -> quorate; W(for) = W(against) = 0, a tie -> fails.
    data = record(sizes, {"A": "abstain"}, weighting=weighting, quorum=quorum)
    result = count(data)
    assert (result.quorum_met, result.outcome) == (True, "rejected")
    assert result.turnout_weight == F(3, 5)


def test_quorum_at_exactly_the_fraction_is_met() -> None:
    # 1000, 1000 with weight quorum 1/2 and members quorum 1/2: A votes -> 1/2 >= 1/2, 1/2 >= 1/2.
    data = record(
        sized(1000, 1000),
        {"A": "for"},
        weighting={"scheme": "list_size"},
        quorum={"members": "1/2", "weight": "0.5"},
    )
    assert count(data).quorum_met is True


def test_both_quorums_must_be_met() -> None:
    # 6000, 2000, 2000: B, C vote. Members 2/3 >= 1/2 met; weight 2/5 < 1/2 not met.
    data = record(
        sized(6000, 2000, 2000),
        {"B": "for", "C": "against"},
        weighting={"scheme": "list_size"},
        quorum={"members": "1/2", "weight": "1/2"},
    )
    assert count(data).outcome == "inquorate"


def test_an_inquorate_choice_has_no_winner() -> None:
    data = record(
        equal_members(4),
        {"M1": "Alice"},
        kind="choice",
        threshold={"rule": "plurality"},
        quorum={"members": "1/2", "weight": None},
    )
    result = count(data)
    assert (result.outcome, result.winner, result.quorum_met) == ("inquorate", None, False)


# ------------------------------------------------------------------------------------------
# Percentages, canonical JSON
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (F(0), "0.000000"),
        (F(1), "100.000000"),
        (F(1, 3), "33.333333"),  # 33.3333333... rounds down
        (F(2, 3), "66.666667"),  # 66.6666666... rounds up
        (F(1, 200_000_000), "0.000000"),  # 0.0000005 %: half, to even (0)
        (F(3, 200_000_000), "0.000002"),  # 0.0000015 %: half, to even (2)
        (F(5, 200_000_000), "0.000002"),  # 0.0000025 %: half, to even (2)
        (F(7, 200_000_000), "0.000004"),  # 0.0000035 %: half, to even (4)
        (F(228989, 250000), "91.595600"),
        (F(-1, 3), "-33.333333"),
    ],
)
def test_percent_is_exact_with_half_even_rounding(value: F, text: str) -> None:
    assert percent(value) == text


def test_canonical_json_and_digest() -> None:
    data = {"b": [1, "é"], "a": {"y": None, "x": True}}
    expected = '{"a":{"x":true,"y":null},"b":[1,"é"]}'.encode()
    assert canonical_json(data) == expected
    assert record_digest(data) == hashlib.sha256(expected).hexdigest()


# ------------------------------------------------------------------------------------------
# The portal's own calls
# ------------------------------------------------------------------------------------------


def test_compute_shares_takes_members_and_rules_directly() -> None:
    members = [
        Member("A", "practice", list_size=6000),
        Member("B", "practice", list_size=2000),
        Member("C", "practice", list_size=2000),
        Member("D", "practice", list_size=None, recused=True),
    ]
    rules = Rules(weighting=Weighting("list_size"), cap=F(1, 2))
    assert compute_shares(members, rules) == {"A": F(1, 2), "B": F(1, 4), "C": F(1, 4)}


def test_parse_record_does_not_change_the_input() -> None:
    data = record(sized(6000, 2000), {"A": "for"}, weighting={"scheme": "list_size"})
    before = copy.deepcopy(data)
    recount(data)
    assert data == before


# ------------------------------------------------------------------------------------------
# Refusals
# ------------------------------------------------------------------------------------------


def test_unknown_voter_is_refused() -> None:
    data = record(equal_members(2), [("M1", "for"), ("M2", "for"), ("A81999", "for")])
    message = refused(data, "ballot 3", "'A81999'", "not in the electorate")
    assert message == "ballot 3: voter 'A81999' is not in the electorate"


def test_duplicate_ballot_is_refused() -> None:
    data = record(equal_members(2), [("M1", "for"), ("M2", "for"), ("M1", "against")])
    refused(data, "ballot 3", "'M1'", "already voted", "ballot 1")


def test_choice_not_among_the_options_is_refused() -> None:
    data = record(equal_members(2), [("M1", "maybe")])
    refused(data, "ballot 1", "'M1'", "'maybe'", "not among the options")


@pytest.mark.parametrize("scheme", ["list_size", "banded", "hybrid"])
def test_missing_list_size_is_refused_under_a_list_scheme(scheme: str) -> None:
    weighting: dict[str, Any] = {"scheme": scheme, "band": 1000}
    if scheme == "hybrid":
        weighting = {"scheme": "hybrid", "equal_part": "1/2", "basis": "list_size"}
    electorate = [member("A", list_size=10), member("B")]
    refused(record(electorate, weighting=weighting), "'B'", "list_size", "missing")


def test_negative_list_size_is_refused() -> None:
    electorate = [member("A", list_size=10), member("B", list_size=-5)]
    refused(record(electorate, weighting={"scheme": "list_size"}), "'B'", "list_size", "negative")


def test_missing_or_negative_weighted_list_size_is_refused() -> None:
    weighting = {"scheme": "weighted_list_size"}
    missing = [member("A", weighted_list_size="10.5"), member("B", weighted_list_size=None)]
    refused(record(missing, weighting=weighting), "'B'", "weighted_list_size", "missing")
    negative = [member("A", weighted_list_size="10.5"), member("B", weighted_list_size="-0.01")]
    refused(record(negative, weighting=weighting), "'B'", "weighted_list_size", "negative")


def test_fractional_list_size_is_refused() -> None:
    electorate = [member("A", list_size="10.5")]
    refused(record(electorate, weighting={"scheme": "list_size"}), "'A'", "whole number")


def test_fixed_weights_must_be_present_and_non_negative() -> None:
    weighting = {"scheme": "fixed"}
    refused(record([member("A", weight=1), member("B")], weighting=weighting), "'B'", "weight")
    refused(
        record([member("A", weight=1), member("B", weight=-1)], weighting=weighting),
        "'B'",
        "negative",
    )
    # All fixed weights 0: the total basis is 0, so the electorate is shared equally.
    zero = record([member("A", weight=0), member("B", weight="0/3")], weighting=weighting)
    assert shares_of(zero) == {"A": F(1, 2), "B": F(1, 2)}


def test_all_list_sizes_zero_is_counted_as_equal_shares() -> None:
    # Total list size 0: the electorate is shared equally, 1/2 each.
    data = record(sized(0, 0), {"A": "for", "B": "against"}, weighting={"scheme": "list_size"})
    result = count(data)
    assert result.shares == {"A": F(1, 2), "B": F(1, 2)}
    assert result.outcome == "rejected"  # a tie under simple majority fails


def test_lmc_and_federation_without_list_size_hold_their_whole_blocks() -> None:
    # Practices 1/2 by list size (3000 : 1000 -> 3/8, 1/8), PCNs 1/4 (list sizes 0 and 0:
    # shared equally, 1/8 each), LMC 1/8 and federation 1/8 (list size 0: the whole block).
    electorate = [
        member("P1", list_size=3000),
        member("P2", list_size=1000),
        member("N1", "pcn", list_size=0),
        member("N2", "pcn", list_size=0),
        member("L1", "lmc", list_size=0),
        member("F1", "federation", list_size=0),
    ]
    blocks = {"practice": "1/2", "pcn": "1/4", "lmc": "1/8", "federation": "1/8"}
    data = record(
        electorate,
        {"P2": "for", "L1": "for", "F1": "against", "N1": "abstain"},
        weighting={"scheme": "list_size"},
        blocks=blocks,
    )
    result = count(data)
    assert result.shares == {
        "P1": F(3, 8),
        "P2": F(1, 8),
        "N1": F(1, 8),
        "N2": F(1, 8),
        "L1": F(1, 8),
        "F1": F(1, 8),
    }
    # for = 1/8 + 1/8 = 1/4 > against 1/8: passed.
    assert result.totals["for"].weight == F(1, 4)
    assert result.outcome == "passed"


def test_hybrid_block_with_zero_basis_is_shared_equally() -> None:
    # hybrid, equal part 1/4 on list size, blocks practice 1/2, lmc 1/2. The lmc block has
    # two members with list size 0: equal part 1/4 x 1/2 plus basis part 3/4 shared equally
    # (1/2 each) gives 1/2 of the block each, 1/4 of the whole.
    # practice block (sizes 300, 100): 1/4 x 1/2 + 3/4 x 3/4 = 11/16 -> 11/32; 5/16 -> 5/32.
    electorate = [
        member("P1", list_size=300),
        member("P2", list_size=100),
        member("L1", "lmc", list_size=0),
        member("L2", "lmc", list_size=0),
    ]
    data = record(
        electorate,
        blocks={"practice": "1/2", "lmc": "1/2"},
        weighting={"scheme": "hybrid", "equal_part": "1/4", "basis": "list_size"},
    )
    assert shares_of(data) == {"P1": F(11, 32), "P2": F(5, 32), "L1": F(1, 4), "L2": F(1, 4)}


def test_unknown_rule_is_refused_even_when_inquorate() -> None:
    data = record(
        equal_members(3),
        {"M1": "for"},
        threshold={"rule": "landslide"},
        quorum={"members": "1", "weight": None},
    )
    refused(data, "rule", "'landslide'")


def test_banded_band_must_be_a_positive_whole_number() -> None:
    for band in (0, -1000, "10.5", None):
        data = record(sized(10), weighting={"scheme": "banded", "band": band})
        refused(data, "rules.weighting.band")


def test_hybrid_needs_a_known_basis_and_an_equal_part_from_0_to_1() -> None:
    bad_basis = {"scheme": "hybrid", "equal_part": "1/2", "basis": "hybrid"}
    refused(record(sized(10), weighting=bad_basis), "rules.weighting.basis")
    bad_part = {"scheme": "hybrid", "equal_part": "3/2", "basis": "list_size"}
    refused(record(sized(10), weighting=bad_part), "rules.weighting.equal_part")


def test_blocks_not_summing_to_one_are_refused() -> None:
    blocks = {"practice": "1/2", "pcn": "1/4", "lmc": "1/8"}
    refused(record(equal_members(2), blocks=blocks), "rules.blocks", "7/8", "not 1")


def test_blocks_with_an_unknown_kind_are_refused() -> None:
    refused(record(equal_members(2), blocks={"icb": "1"}), "rules.blocks", "'icb'")


def test_member_whose_kind_has_no_block_is_refused() -> None:
    electorate = [member("P1"), member("N1", "pcn")]
    refused(record(electorate, blocks={"practice": "1"}), "'N1'", "'pcn'", "no block")


def test_block_whose_members_weigh_nothing_shares_its_fraction_equally() -> None:
    # pcn block list sizes 0, 0: its 1/2 is shared equally, 1/4 each; P1 holds the practice 1/2.
    electorate = [
        member("P1", list_size=10),
        member("N1", "pcn", list_size=0),
        member("N2", "pcn", list_size=0),
    ]
    data = record(
        electorate, blocks={"practice": "1/2", "pcn": "1/2"}, weighting={"scheme": "list_size"}
    )
    assert shares_of(data) == {"P1": F(1, 2), "N1": F(1, 4), "N2": F(1, 4)}


def test_blocks_present_all_zero_is_refused() -> None:
    electorate = [member("N1", "pcn")]
    refused(record(electorate, blocks={"practice": "1", "pcn": "0"}), "rules.blocks")


def test_unknown_scheme_rule_and_tie_are_refused() -> None:
    refused(record(equal_members(2), weighting={"scheme": "by_size"}), "scheme", "'by_size'")
    refused(record(equal_members(2), threshold={"rule": "landslide"}), "rule", "'landslide'")
    refused(record(equal_members(2), tie="coin_toss"), "rules.tie", "'coin_toss'")


def test_format_and_structure_are_checked() -> None:
    data = record(equal_members(2))
    data["format"] = "gp-collective-voice/ballot-record@9"
    refused(data, "format")
    refused(record(equal_members(2), kind="referendum"), "vote.kind")
    refused(record([]), "electorate", "no eligible members")
    refused(record([member("A", recused=True)]), "electorate", "no eligible members")
    refused(record([member("A"), member("A")]), "'A'", "more than once")
    refused(record([member("A", "icb")]), "'A'", "kind")
    refused(record([member("A", recused="yes")]), "'A'", "recused")
    refused(record([{"kind": "practice"}]), "electorate entry 1", "id")


@pytest.mark.parametrize("value", ["abc", "1/0", "1e3", " 5", True, [1], {"n": 1}, float("nan")])
def test_bad_numbers_are_refused(value: object) -> None:
    electorate = [member("A", list_size=value)]
    refused(record(electorate, weighting={"scheme": "list_size"}), "'A'", "list_size")
