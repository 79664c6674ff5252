"""Median, share of 7 or more and respondents from a 0 to 10 distribution."""

from __future__ import annotations

import statistics
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.trust.scores import summary_of

distributions = st.lists(st.integers(0, 20), min_size=11, max_size=11)


@given(distributions)
def test_figures_agree_with_the_scores_written_out(counts: list[int]) -> None:
    scores = [score for score, n in enumerate(counts) for _ in range(n)]
    summary = summary_of(counts)
    assert summary.respondents == len(scores)
    if not scores:
        assert summary.median is None
        assert summary.share_high is None
        return
    assert summary.median == Decimal(str(statistics.median(scores)))
    assert summary.share_high == Decimal(sum(s >= 7 for s in scores)) / len(scores)


def test_a_distribution_must_have_eleven_counts() -> None:
    with pytest.raises(ValueError, match="eleven counts"):
        summary_of([1, 2, 3])
