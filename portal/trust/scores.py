"""Figures for a distribution of 0 to 10 scores held as counters: no Flask, no database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

HIGH_TRUST = 7


@dataclass(frozen=True)
class ScoreSummary:
    """``distribution[s]`` people answered ``s``; the figures derive from it."""

    distribution: tuple[int, ...]

    @property
    def respondents(self) -> int:
        return sum(self.distribution)

    @property
    def median(self) -> Decimal | None:
        """The middle score; the mean of the two middle scores for an even number."""
        total = self.respondents
        if total == 0:
            return None
        lower = self._score_at((total - 1) // 2)
        upper = self._score_at(total // 2)
        return (Decimal(lower) + Decimal(upper)) / 2

    @property
    def share_high(self) -> Decimal | None:
        """The share (0 to 1) answering ``HIGH_TRUST`` or more."""
        total = self.respondents
        if total == 0:
            return None
        return Decimal(sum(self.distribution[HIGH_TRUST:])) / Decimal(total)

    def _score_at(self, position: int) -> int:
        seen = 0
        for score, count in enumerate(self.distribution):
            seen += count
            if position < seen:
                return score
        raise IndexError(position)


def summary_of(counts: Sequence[int]) -> ScoreSummary:
    if len(counts) != 11 or any(count < 0 for count in counts):
        raise ValueError("a distribution has eleven counts, none negative")
    return ScoreSummary(tuple(counts))
