"""Each eligible member's exact share of the whole ("Weights" in ``portal.voting.rules``).

Raw weights by the scheme, shares within each group (the electorate, or each block), the
blocks' fractions and the cap, all in whole numbers over one common denominator, reduced to
lowest terms at the end, so the shares are exact and sum to exactly 1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction

from portal.voting.record_types import (
    Member,
    RecordError,
    Roll,
    Rules,
    Shares,
    ShareVector,
    Weighting,
    _fmt,
)


def _check_cap_feasible(cap: Fraction | None, eligible: int) -> None:
    if cap is not None and cap * eligible < 1:
        raise RecordError(
            f"rules.cap: a cap of {_fmt(cap)} is infeasible for {eligible} eligible members "
            f"(cap x N = {_fmt(cap * eligible)} is less than 1)"
        )


def _check_weighting_inputs(eligible: Roll, rules: Rules) -> None:
    _basis_weights(eligible, rules.weighting)


def _basis_weights(eligible: Roll, weighting: Weighting) -> list[int]:
    """The raw weights a scheme shares in proportion to: a hybrid's basis, or the scheme's."""
    scheme = weighting.basis if weighting.scheme == "hybrid" else weighting.scheme
    assert scheme is not None
    return _raw_weights(eligible, scheme, weighting.band)


def _raw_weights(members: Roll, scheme: str, band: int | None) -> list[int]:
    """Raw weights of ``members`` under ``scheme``, scaled to whole numbers by a common factor."""
    if scheme == "equal":
        return [1] * len(members)
    if scheme in ("list_size", "banded"):
        sizes = _given(members, members.list_sizes, 1, "list_size", scheme)
        if scheme == "list_size":
            return sizes
        if band is None or band < 1:
            raise RecordError(
                f"rules.weighting.band: must be a whole number of 1 or more, got {band}"
            )
        return [max(1, -(-size // band)) for size in sizes]
    if scheme in ("weighted_list_size", "fixed"):
        attribute = "weighted_list_size" if scheme == "weighted_list_size" else "weight"
        numbers = members.weighted_list_sizes if scheme == "weighted_list_size" else members.weights
        return _given(members, numbers.values, numbers.scale, attribute, scheme)
    raise RecordError(f"rules.weighting.scheme: unknown scheme {scheme!r}")


def _given(
    members: Roll, values: Sequence[int | None], scale: int, attribute: str, scheme: str
) -> list[int]:
    """``values`` (over ``scale``) once every member has one and none is negative."""
    given = [value for value in values if value is not None]
    if len(given) == len(values) and (not given or min(given) >= 0):
        return given
    for member_id, value in zip(members.ids, values, strict=True):
        if value is None:
            raise RecordError(
                f"electorate member {member_id!r}: {attribute} is missing "
                f"(the {scheme} scheme needs it)"
            )
        if value < 0:
            raise RecordError(
                f"electorate member {member_id!r}: {attribute} is negative "
                f"({_fmt(Fraction(value, scale))})"
            )
    raise AssertionError("no value at fault")  # pragma: no cover - a broken invariant is a bug


def _group_shares(raw: list[int], weighting: Weighting) -> tuple[list[int], int]:
    """Shares within one group (summing to 1) as integer numerators over a common denominator,
    from the group's raw weights (``_basis_weights``)."""
    n = len(raw)
    total = sum(raw)
    if weighting.scheme == "hybrid":
        equal_part = weighting.equal_part
        assert equal_part is not None
        p, q = equal_part.numerator, equal_part.denominator
        if p == q or total == 0:
            # All equal part, or a basis of 0 throughout: the basis part is shared equally too.
            return [1] * n, n
        # E/n + (1 - E) r/R  =  (p R + (q - p) n r) / (q n R)
        equal, factor = p * total, (q - p) * n
        return [equal + factor * r for r in raw], q * n * total
    if total == 0:
        # No basis to share in proportion to (the LMC has no list size): share equally.
        return [1] * n, n
    return raw, total


def _block_shares(
    eligible: Roll, raw: list[int], rules: Rules, blocks: Mapping[str, Fraction]
) -> tuple[list[int], int]:
    if not set(eligible.kinds) <= blocks.keys():
        member_id, kind = next(
            (member_id, kind)
            for member_id, kind in zip(eligible.ids, eligible.kinds, strict=True)
            if kind not in blocks
        )
        raise RecordError(
            f"electorate member {member_id!r}: its kind {kind!r} has no block in rules.blocks"
        )
    positions: dict[str, list[int]] = {kind: [] for kind in blocks}
    for i, kind in enumerate(eligible.kinds):
        positions[kind].append(i)
    present = [kind for kind in blocks if positions[kind]]
    present_total = sum((blocks[kind] for kind in present), Fraction(0))
    if present_total == 0:
        raise RecordError(
            "rules.blocks: every kind with eligible members has a block of 0, "
            "so there is no weight to share"
        )
    parts: list[tuple[list[int], Fraction, list[int], int]] = []
    denominator = 1
    for kind in present:
        fraction = blocks[kind] / present_total
        nums, den = _group_shares([raw[i] for i in positions[kind]], rules.weighting)
        parts.append((positions[kind], fraction, nums, den))
        denominator = math.lcm(denominator, fraction.denominator * den)
    numerators = [0] * len(eligible)
    for indices, fraction, nums, den in parts:
        factor = denominator // (fraction.denominator * den) * fraction.numerator
        for i, value in zip(indices, nums, strict=True):
            numerators[i] = value * factor
    return numerators, denominator


def _apply_cap(numerators: list[int], denominator: int, cap: Fraction) -> tuple[list[int], int]:
    """Cap every share at ``cap``, sharing the excess in proportion, round after round.

    The members fixed at the cap are always the largest shares, so the rounds are worked on the
    shares sorted from largest to smallest; every round fixes every member then above the cap.
    """
    n = len(numerators)
    cn, cd = cap.numerator, cap.denominator
    if cn * n < cd:
        raise RecordError(
            f"rules.cap: a cap of {_fmt(cap)} is infeasible for {n} eligible members "
            f"(cap x N = {_fmt(cap * n)} is less than 1)"
        )
    ordered = sorted(numerators, reverse=True)
    total = sum(ordered)
    fixed = fixed_total = 0  # how many are fixed at the cap, and their numerators' sum
    while True:
        free_total = total - fixed_total
        left = cd - cn * fixed  # weight left for the free members is left / cd
        if free_total == 0:
            break
        # free member with numerator v has share v * left / (cd * free_total)
        limit = cn * free_total
        end = fixed
        while end < n and ordered[end] * left > limit:
            fixed_total += ordered[end]
            end += 1
        if end == fixed:
            break
        fixed = end
    if fixed == 0:
        return numerators, denominator
    # Equal shares are fixed in the same round, so the fixed members are exactly those holding
    # at least the smallest fixed share.
    smallest_fixed = ordered[fixed - 1]
    free_total = total - fixed_total
    left = cd - cn * fixed
    if free_total == 0:
        # Every member not at the cap holds 0: what is left is shared equally among them
        # (left / cd each divided by n - fixed; cap x N >= 1 keeps each part within the cap).
        free = n - fixed  # at least 1: shares summing to 1 cannot all exceed C >= 1/N
        capped = cn * free
        return [capped if v >= smallest_fixed else left for v in numerators], cd * free
    capped = cn * free_total
    return [capped if v >= smallest_fixed else v * left for v in numerators], cd * free_total


def share_vector(members: Iterable[Member], rules: Rules) -> ShareVector:
    """Exact shares of the eligible (non-recused) members, in electorate order."""
    members = tuple(members)
    seen: set[str] = set()
    for member in members:
        if member.id in seen:
            raise RecordError(f"electorate member {member.id!r} appears more than once")
        seen.add(member.id)
    eligible = Roll.of(members).eligible()
    if not eligible:
        raise RecordError("electorate: no eligible members (it is empty or everyone is recused)")
    return _share_vector(eligible, rules)


def _share_vector(eligible: Roll, rules: Rules) -> ShareVector:
    _check_cap_feasible(rules.cap, len(eligible))
    raw = _basis_weights(eligible, rules.weighting)
    if rules.blocks is None:
        numerators, denominator = _group_shares(raw, rules.weighting)
    else:
        numerators, denominator = _block_shares(eligible, raw, rules, rules.blocks)
    if rules.cap is not None:
        numerators, denominator = _apply_cap(numerators, denominator, rules.cap)
    common = math.gcd(denominator, *numerators)
    if common > 1:
        numerators = [value // common for value in numerators]
        denominator //= common
    if sum(numerators) != denominator:  # pragma: no cover - a broken invariant is a bug
        raise AssertionError("shares do not sum to 1")
    return ShareVector(eligible.ids, tuple(numerators), denominator)


def compute_shares(members: Iterable[Member], rules: Rules) -> dict[str, Fraction]:
    """Each eligible member's exact share of the whole; the shares sum to exactly 1."""
    return dict(Shares(share_vector(members, rules)))
