"""The k-of-5 rule and complementary suppression, as properties over any partition."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.trust.suppression import MINIMUM_GROUP, shown_groups, shown_in_breakdown

partitions = st.dictionaries(st.text(min_size=1, max_size=3), st.integers(0, 40), max_size=8)


@given(partitions)
def test_every_shown_group_has_at_least_five(counts: dict[str, int]) -> None:
    for group in shown_groups(counts):
        assert counts[group] >= MINIMUM_GROUP


@given(partitions)
def test_the_hidden_groups_together_hold_nobody_or_at_least_five(counts: dict[str, int]) -> None:
    """Otherwise the total minus the shown groups would give a group of fewer than five."""
    shown = shown_groups(counts)
    hidden_total = sum(count for group, count in counts.items() if group not in shown)
    total_is_shown = sum(counts.values()) >= MINIMUM_GROUP
    if total_is_shown:
        assert hidden_total == 0 or hidden_total >= MINIMUM_GROUP


@given(partitions)
def test_nothing_is_hidden_without_need(counts: dict[str, int]) -> None:
    if all(count >= MINIMUM_GROUP or count == 0 for count in counts.values()):
        assert shown_groups(counts) == {g for g, c in counts.items() if c >= MINIMUM_GROUP}


@given(partitions)
def test_complementary_suppression_hides_at_most_what_it_must(counts: dict[str, int]) -> None:
    """Putting back the smallest group hidden for a second time breaks the rule again."""
    shown = shown_groups(counts)
    large_hidden = [g for g, c in counts.items() if c >= MINIMUM_GROUP and g not in shown]
    for group in large_hidden:
        remaining = sum(c for g, c in counts.items() if g not in shown and g != group)
        assert 0 < remaining < MINIMUM_GROUP


@given(partitions)
def test_a_hidden_parent_hides_every_group_below_it(counts: dict[str, int]) -> None:
    assert shown_groups(counts, parent_shown=False) == frozenset()


@given(partitions, st.permutations(list(range(8))))
def test_the_order_groups_come_in_changes_nothing(counts: dict[str, int], order: list[int]):
    items = list(counts.items())
    reordered = dict(sorted(items, key=lambda item: order[items.index(item) % len(order)]))
    assert shown_groups(reordered) == shown_groups(counts)


def test_a_single_small_group_takes_the_next_smallest_with_it() -> None:
    counts = {"practices": 30, "pcns": 6, "federation": 2, "lmc": 9}
    assert shown_groups(counts) == {"practices", "lmc"}


def test_a_total_under_five_shows_nothing() -> None:
    assert shown_groups({"a": 2, "b": 2}) == frozenset()


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="fewer than no"):
        shown_groups({"a": -1})


@st.composite
def breakdowns(draw: st.DrawFn) -> tuple[int, dict[str, int], dict[str, int]]:
    """An area of people, each in one kind; the practice kind's people each in one PCN or
    none; plus people in no kind at all."""
    kinds = draw(
        st.dictionaries(st.sampled_from(["practice", "pcn", "fed", "lmc"]), st.integers(0, 25))
    )
    practice = kinds.get("practice", 0)
    pcn_sizes = draw(st.lists(st.integers(0, 12), max_size=5))
    pcns: dict[str, int] = {}
    room = practice
    for index, size in enumerate(pcn_sizes):
        pcns[f"pcn{index}"] = min(size, room)
        room -= pcns[f"pcn{index}"]
    total = sum(kinds.values()) + draw(st.integers(0, 3))
    return total, kinds, pcns


@given(breakdowns())
def test_no_figure_or_difference_of_figures_isolates_fewer_than_five(breakdown) -> None:
    """Every published figure is the area, a kind or a PCN with at least five people; and
    what subtraction can reach (a parent less its shown groups) holds none or five or more."""
    total, kinds, pcns = breakdown
    total_shown, kinds_shown, pcns_shown = shown_in_breakdown(total, kinds, "practice", pcns)
    if not total_shown:
        assert not kinds_shown
        assert not pcns_shown
        return
    assert all(kinds[k] >= MINIMUM_GROUP for k in kinds_shown)
    assert all(pcns[p] >= MINIMUM_GROUP for p in pcns_shown)
    hidden_of_area = total - sum(kinds[k] for k in kinds_shown)
    assert hidden_of_area == 0 or hidden_of_area >= MINIMUM_GROUP
    if pcns_shown:
        assert "practice" in kinds_shown
        hidden_of_practice = kinds["practice"] - sum(pcns[p] for p in pcns_shown)
        assert hidden_of_practice == 0 or hidden_of_practice >= MINIMUM_GROUP


def test_a_breakdown_bigger_than_its_parent_is_refused() -> None:
    with pytest.raises(ValueError, match="more people than its parent"):
        shown_in_breakdown(3, {"practice": 4}, "practice", {})
