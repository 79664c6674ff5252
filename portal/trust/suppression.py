"""Which groups of respondents a trust pulse result may show, so no small group is exposed.

No Flask or database import: this is the whole rule, for anyone to read and check.

Rules, for one target of one round:

1. A group is shown only when at least ``MINIMUM_GROUP`` (5) people in it answered.
2. The groups of one breakdown (for example by organisation kind) are a partition of their
   parent (the whole area). Whatever is hidden can be worked out as the parent minus the
   shown groups, so the hidden groups taken together must hold either nobody or at least
   ``MINIMUM_GROUP`` people. Where they hold 1 to 4, the smallest shown group is hidden too
   (complementary suppression), and again, until that holds.
3. A breakdown of a hidden parent is hidden whole: its groups would add up to the parent.
4. Breakdowns nest (area, then organisation kind, then the practices' PCNs within the
   practice kind) so every published figure is the parent, a shown group, or the sum of a
   hidden set of at least ``MINIMUM_GROUP`` people: differences between figures of the same
   or different levels never isolate fewer than that.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar, cast

MINIMUM_GROUP = 5

K = TypeVar("K", bound=Hashable)


def shown_groups(
    counts: Mapping[K, int], *, parent_shown: bool = True, minimum: int = MINIMUM_GROUP
) -> frozenset[K]:
    """The groups of one partition that may be shown. ``counts`` must cover the whole parent
    (include a group for "the rest", even if that group is never displayed)."""
    if any(count < 0 for count in counts.values()):
        raise ValueError("a group cannot have fewer than no respondents")
    if not parent_shown or sum(counts.values()) < minimum:
        return frozenset()
    shown = {group for group, count in counts.items() if count >= minimum}
    hidden_total = sum(count for group, count in counts.items() if group not in shown)
    while 0 < hidden_total < minimum and shown:
        # The smallest shown group costs least to hide; ties broken by name, so the
        # outcome does not depend on the order the groups came in.
        smallest = min(shown, key=lambda group: (counts[group], repr(group)))
        shown.remove(smallest)
        hidden_total += counts[smallest]
    return frozenset(shown)


def parent_is_shown(total: int, *, minimum: int = MINIMUM_GROUP) -> bool:
    return total >= minimum


def shown_in_breakdown(
    total: int,
    kinds: Mapping[K, int],
    parent_kind: K,
    children: Mapping[K, int],
    *,
    minimum: int = MINIMUM_GROUP,
) -> tuple[bool, frozenset[K], frozenset[K]]:
    """The area, then its kinds, then ``parent_kind``'s groups (the practices' PCNs): whether
    the total is shown, and which kinds and which child groups are.

    ``kinds`` and ``children`` need not add up to their parents: the rest of each is added
    as a group of its own, never shown, so it is protected like any other hidden group.
    """
    if sum(kinds.values()) > total or sum(children.values()) > kinds.get(parent_kind, 0):
        raise ValueError("a breakdown cannot hold more people than its parent")
    total_shown = parent_is_shown(total, minimum=minimum)
    kinds_with_rest: dict[object, int] = {**cast(Mapping[object, int], kinds)}
    kinds_with_rest[_REST] = total - sum(kinds.values())
    kinds_shown = shown_groups(kinds_with_rest, parent_shown=total_shown, minimum=minimum)
    rest_of_children = kinds.get(parent_kind, 0) - sum(children.values())
    children_with_rest: dict[object, int] = {**cast(Mapping[object, int], children)}
    children_with_rest[_REST] = rest_of_children
    children_shown = shown_groups(
        children_with_rest, parent_shown=parent_kind in kinds_shown, minimum=minimum
    )
    return (
        total_shown,
        frozenset(k for k in kinds_shown if k is not _REST),  # type: ignore[misc]
        frozenset(c for c in children_shown if c is not _REST),  # type: ignore[misc]
    )


class _Rest:
    """The people of a parent in none of its named groups."""

    def __repr__(self) -> str:
        return "<rest>"


_REST = _Rest()
