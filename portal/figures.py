"""Figures for people, as the publication policy rounds them.

A share is written as a percentage with one decimal place, rounded half to even from the exact
fraction: ``Fraction(549, 1000)`` is ``"54.9 %"``. Where one decimal would hide the margin that
decides a vote (49.96 % against 50.04 % both read "50.0 %"), every figure of the sentence is
written with as many decimals as it takes for the order of the deciding pair to be visible.
Exact fractions stay in the ballot record and the downloads; nothing here decides anything.

An organisation's own share of the weight is not a deciding figure, so it has one decimal, except
that a share it holds never reads "0.0 %": a practice with 0.04 % of the weight is written
"0.04 %", with as many decimals as it takes to show that it holds some.

Counts are written with thousands separators: ``12345`` is ``"12,345"``.

Pure Python: no Flask, no database, no domain import.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

__all__ = ["count", "decimals_to_separate", "percent", "rounded", "share_held"]


def rounded(share: Fraction, decimals: int = 1) -> Fraction:
    """``share`` x 100 rounded half to even to ``decimals`` places, as an exact fraction."""
    if decimals < 0:
        raise ValueError("decimals must be 0 or more")
    scaled = Fraction(share) * 100 * 10**decimals
    whole, remainder = divmod(scaled.numerator, scaled.denominator)
    twice = 2 * remainder
    if twice > scaled.denominator or (twice == scaled.denominator and whole % 2 == 1):
        whole += 1
    return Fraction(whole, 10**decimals)


def percent(share: Fraction, decimals: int = 1) -> str:
    """A share of the whole (0 to 1) as a percentage: ``Fraction(1, 3)`` is ``"33.3 %"``."""
    value = rounded(share, decimals)
    negative = value < 0
    units = abs(value) * 10**decimals
    assert units.denominator == 1
    digits = str(units.numerator).rjust(decimals + 1, "0")
    whole, part = digits[: len(digits) - decimals] or "0", digits[len(digits) - decimals :]
    text = f"{int(whole):,}" + (f".{part}" if decimals else "")
    return f"{'-' if negative else ''}{text} %"


def decimals_to_separate(pairs: Iterable[tuple[Fraction, Fraction]], least: int = 1) -> int:
    """The fewest decimals (``least`` or more) at which each pair of different shares reads
    differently, so the order that decided the vote can be seen. Equal shares stay equal at
    any precision and ask for nothing more than ``least``. Two different fractions always come
    apart once a unit of the last decimal is smaller than their difference, so this ends."""
    decimals = least
    for first, second in pairs:
        if first == second:
            continue
        while rounded(first, decimals) == rounded(second, decimals):
            decimals += 1
    return decimals


def share_held(share: Fraction) -> str:
    """An organisation's share of the weight: ``Fraction(1, 3)`` is ``"33.3 %"``, and a share
    above nothing never reads as none (``Fraction(1, 2500)`` is ``"0.04 %"``)."""
    return percent(share, decimals_to_separate([(share, Fraction(0))]))


def count(number: int) -> str:
    """A count with thousands separators: ``141`` is ``"141"``, ``12345`` is ``"12,345"``."""
    return f"{number:,}"
