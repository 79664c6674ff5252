"""The publication policy's rounding for people, in ``portal.figures``."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.figures import count, decimals_to_separate, percent, rounded, share_held

shares = st.fractions(min_value=0, max_value=1, max_denominator=10**7)


def test_one_decimal_half_to_even() -> None:
    assert percent(Fraction(549, 1000)) == "54.9 %"
    assert percent(Fraction(1, 3)) == "33.3 %"
    assert percent(Fraction(2, 3)) == "66.7 %"
    assert percent(Fraction(1)) == "100.0 %"
    assert percent(Fraction(0)) == "0.0 %"
    # 0.25 % and 0.35 % are exact halves of a tenth: half to even.
    assert percent(Fraction(25, 10000)) == "0.2 %"
    assert percent(Fraction(35, 10000)) == "0.4 %"


def test_more_decimals_when_asked() -> None:
    assert percent(Fraction(4996, 10000), 2) == "49.96 %"
    assert percent(Fraction(1, 200), 3) == "0.500 %"
    assert percent(Fraction(1, 3), 0) == "33 %"


def test_the_policy_example_needs_two_decimals_to_show_the_margin() -> None:
    against, for_ = Fraction(4996, 10000), Fraction(5004, 10000)
    assert percent(for_) == percent(against) == "50.0 %"
    decimals = decimals_to_separate([(for_, against)])
    assert decimals == 2
    assert (percent(for_, decimals), percent(against, decimals)) == ("50.04 %", "49.96 %")


def test_a_margin_one_decimal_shows_asks_for_nothing_more() -> None:
    assert decimals_to_separate([(Fraction(549, 1000), Fraction(273, 1000))]) == 1
    assert decimals_to_separate([]) == 1


def test_equal_shares_stay_at_one_decimal() -> None:
    assert decimals_to_separate([(Fraction(1, 3), Fraction(1, 3))]) == 1


def test_counts_have_thousands_separators() -> None:
    assert count(141) == "141"
    assert count(1234) == "1,234"
    assert count(1234567) == "1,234,567"


def test_negative_decimals_are_refused() -> None:
    with pytest.raises(ValueError, match="decimals"):
        rounded(Fraction(1, 2), -1)


@settings(max_examples=300, deadline=None)
@given(first=shares, second=shares)
def test_the_order_of_two_different_shares_is_always_visible(
    first: Fraction, second: Fraction
) -> None:
    decimals = decimals_to_separate([(first, second)])
    assert decimals >= 1
    if first != second:
        shown_first, shown_second = rounded(first, decimals), rounded(second, decimals)
        assert shown_first != shown_second
        assert (shown_first < shown_second) == (first < second)
        # No more decimals than needed: one fewer (but at least one) would hide it.
        if decimals > 1:
            assert rounded(first, decimals - 1) == rounded(second, decimals - 1)


@settings(max_examples=300, deadline=None)
@given(share=shares, decimals=st.integers(min_value=0, max_value=6))
def test_rounding_is_within_half_a_unit_and_reads_back(share: Fraction, decimals: int) -> None:
    shown = rounded(share, decimals)
    assert abs(shown - share * 100) <= Fraction(1, 2 * 10**decimals)
    text = percent(share, decimals)
    assert text.endswith(" %")
    assert Fraction(text.removesuffix(" %").replace(",", "")) == shown


@settings(max_examples=200, deadline=None)
@given(first=shares, second=shares)
def test_rounding_never_reverses_an_order(first: Fraction, second: Fraction) -> None:
    if first <= second:
        assert rounded(first) <= rounded(second)


@given(number=st.integers(min_value=0, max_value=10**12))
def test_counts_read_back(number: int) -> None:
    text = count(number)
    assert int(text.replace(",", "")) == number
    assert all(len(group) == 3 for group in text.split(",")[1:])


def test_a_share_held_never_reads_as_none() -> None:
    assert share_held(Fraction(4, 7)) == "57.1 %"
    assert share_held(Fraction(1, 2500)) == "0.04 %"
    assert share_held(Fraction(1, 200000)) == "0.0005 %"
    assert share_held(Fraction(0)) == "0.0 %"
