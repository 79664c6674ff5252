"""The recount reads a plain record a column at a time, and any other entry by entry: the two
must agree on everything they both read, and a refusal must name what it always named.

``portal.voting.record_reading`` reads the electorate and the ballots, and
``portal.voting.secret_ballot_record`` an @2 record's stated shares and ballots, in bulk when
they are in the forms the portal writes, and falls back to reading each entry in turn (the
reader that names the first entry at fault) for anything else. These tests hold the two
readers to the same answers, the printed result to ``json.dumps``, and the bulk
percentages to ``percent``.
"""

from __future__ import annotations

import copy
import gc
import io
import json
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.voting import record_reading, rules
from portal.voting.recount import main, result_text
from portal.voting.rules import (
    KINDS,
    RecordError,
    Result,
    Roll,
    percent,
    recount,
    result_to_json,
    secret_record,
)
from tests.voting.test_rules_properties import records

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SALT = "0123456789abcdef" * 2

#: Numbers in every form a record may write them: integers, plain decimals of any places, "p/q"
#: texts, JSON floats (read as Decimal) and null.
numbers = st.one_of(
    st.none(),
    st.integers(0, 10**7),
    st.builds(
        lambda whole, part: f"{whole}.{part}",
        st.integers(0, 99_999),
        st.from_regex(r"[0-9]{1,4}", fullmatch=True),
    ),
    st.builds(lambda p, q: f"{p}/{q}", st.integers(0, 500), st.integers(1, 9)),
    st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False),
)


@st.composite
def electorate_entries(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(0, 12))
    entries = []
    for i in range(n):
        entry: dict[str, Any] = {"id": f"M{i}", "kind": draw(st.sampled_from(KINDS))}
        for key, value in (
            ("list_size", draw(st.one_of(st.none(), st.integers(0, 10**6)))),
            ("weighted_list_size", draw(numbers)),
            ("weight", draw(numbers)),
            ("recused", draw(st.sampled_from([None, False, True]))),
        ):
            if draw(st.booleans()):  # left out, or given
                entry[key] = value
        entries.append(entry)
    return entries


def plain(column: list[Any]) -> bool:
    kinds = {type(value) for value in column} - {type(None)}
    return kinds <= {int} or (
        kinds <= {str} and all("/" not in value for value in column if value is not None)
    )


@FAST
@given(electorate_entries())
def test_the_bulk_reader_reads_a_plain_electorate_as_each_entry_is_read(
    entries: list[dict[str, Any]],
) -> None:
    one_by_one = Roll.of(record_reading._electorate_entry_by_entry(entries)).members()
    in_bulk = record_reading._electorate_in_columns(entries)
    columns = [[entry.get(key) for entry in entries] for key in ("weighted_list_size", "weight")]
    if all(plain(column) for column in columns):
        assert in_bulk is not None
    if in_bulk is not None:
        assert in_bulk.members() == one_by_one


def unusual(data: dict[str, Any]) -> dict[str, Any]:
    """The same record with its list sizes written as decimal strings, a form only the
    entry-by-entry reader takes, so the whole electorate is read that way."""
    changed = copy.deepcopy(data)
    for entry in changed["electorate"]:
        entry["list_size"] = f"{entry['list_size']}.0"
    return changed


@FAST
@given(records())
def test_an_open_record_counts_the_same_read_in_bulk_or_entry_by_entry(
    data: dict[str, Any],
) -> None:
    assert recount(unusual(data)) == recount(data)


def _times(share: str, factor: int) -> str:
    p, q = share.split("/")
    return f"{factor * int(p)}/{factor * int(q)}"


@FAST
@given(records())
def test_a_secret_record_counts_the_same_with_its_shares_written_otherwise(
    data: dict[str, Any],
) -> None:
    secret = secret_record(data, SALT)
    expected = recount(secret)
    # "2p/2q" and "3p/3q" are the same share, not in lowest terms and not as the members write
    # it: read member by member, and ballot by ballot.
    for entry in secret["electorate"]:
        if entry["share"] is not None:
            entry["share"] = _times(entry["share"], 2)
    for ballot in secret["ballots"]:
        ballot["share"] = _times(ballot["share"], 3)
    assert recount(secret) == expected


def test_the_first_entry_at_fault_is_named_whichever_column_it_is_in() -> None:
    electorate = [
        {"id": f"P{i}", "kind": "practice", "list_size": 1000 + i, "recused": False}
        for i in range(1, 6)
    ]
    electorate[4]["recused"] = "no"  # entry 5: in the last column
    electorate[2]["weight"] = "heavy"  # entry 3: an earlier entry, an earlier column
    data = {
        "format": rules.FORMAT,
        "vote": {"title": "T", "kind": "motion", "options": ["for", "against", "abstain"]},
        "rules": {"weighting": {"scheme": "list_size"}, "threshold": {"rule": "simple_majority"}},
        "electorate": electorate,
        "ballots": [],
    }
    with pytest.raises(RecordError, match=r"^electorate member 'P3': weight: expected a number"):
        recount(data)
    del electorate[2]["weight"]
    with pytest.raises(RecordError, match=r"^electorate member 'P5': recused must be true"):
        recount(data)


def test_a_ballot_refused_in_bulk_is_named_as_one_by_one() -> None:
    data = _small_record()
    data["ballots"].append({"voter": "P2", "choice": "for"})  # P2 voted as ballot 2
    data["ballots"].append({"voter": "P9", "choice": "for"})  # unknown, but after the twice
    with pytest.raises(RecordError, match=r"^ballot 3: voter 'P2' already voted \(ballot 2\)"):
        recount(data)


def _small_record() -> dict[str, Any]:
    return {
        "format": rules.FORMAT,
        "vote": {"title": "T", "kind": "motion", "options": ["for", "against", "abstain"]},
        "rules": {"weighting": {"scheme": "fixed"}, "threshold": {"rule": "simple_majority"}},
        "electorate": [
            {"id": "P1", "kind": "practice", "weight": 1},
            {"id": "P2", "kind": "practice", "weight": 199_999_999},
            {"id": "P3", "kind": "practice", "weight": 0, "recused": True},
        ],
        "ballots": [{"voter": "P1", "choice": "for"}, {"voter": "P2", "choice": "against"}],
    }


def test_shares_half_way_between_two_printed_percentages_round_to_even() -> None:
    # Shares 1/200,000,000 and 199,999,999/200,000,000: 0.0000005 % and 99.9999995 %, each
    # exactly half way, rounded to the even last digit: 0.000000 and 100.000000.
    shares = recount(_small_record())["shares"]
    assert shares == {"P1": "0.000000", "P2": "100.000000"}
    assert shares["P1"] == percent(Fraction(1, 200_000_000))
    assert shares["P2"] == percent(Fraction(199_999_999, 200_000_000))


def test_a_result_built_by_hand_prints_its_shares_as_percent_does() -> None:
    result = Result(
        outcome="passed",
        winner=None,
        quorum_met=True,
        eligible_members=2,
        turnout_members=1,
        turnout_weight=Fraction(1, 3),
        totals={},
        shares={"A": Fraction(1, 3), "B": Fraction(2, 3)},
    )
    assert result_to_json(result)["shares"] == {"A": "33.333333", "B": "66.666667"}


ids = st.text(
    st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=8
)  # quotes, backslashes, control and non-ASCII characters included


@FAST
@given(st.dictionaries(ids, st.sampled_from(["0.000000", "12.500000", "100.000000"]), max_size=6))
def test_the_printed_result_is_the_json_modules_own(shares: dict[str, str]) -> None:
    result: dict[str, Any] = {"outcome": "passed", "winner": None, "totals": {"for": {}}}
    result["shares"] = shares
    assert result_text(result) == json.dumps(result, indent=2, ensure_ascii=False)
    moved: dict[str, Any] = {
        "shares": shares,
        "outcome": "passed",
    }  # shares not last: the json module prints it
    assert result_text(moved) == json.dumps(moved, indent=2, ensure_ascii=False)


def test_decimals_read_in_bulk_keep_their_exact_value() -> None:
    column = ["4579.78", None, "12", "0.5"]
    numbers = record_reading._plain_numbers(column)
    assert numbers is not None
    assert [numbers.fraction(i) for i in range(4)] == [
        Fraction(457978, 100),
        None,
        Fraction(12),
        Fraction(1, 2),
    ]
    assert record_reading._plain_numbers(["1.25", "2.50"]) == rules.Numbers((125, 250), 100)
    for odd in (["1\n2"], ["1" * 201], ["-1"], ["1e3"], [Decimal("1.5")], ["1/2"]):
        assert record_reading._plain_numbers(odd) is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["electorate"].append([]),
            r"^electorate entry 4: expected an object, got a list",
        ),
        (
            lambda d: d["ballots"].append({"voter": 5}),
            r"^ballot 3: voter must be a member id, got 5",
        ),
        (
            lambda d: d["rules"].update(blocks={"pcn": "1"}),
            r"^electorate member 'P1': its kind 'practice' has no block",
        ),
        (
            lambda d: d["ballots"].append({"voter": "P3", "choice": 5}),
            r"^ballot 3 \(voter 'P3'\): choice must be an option label, got 5",
        ),
    ],
    ids=["an entry not an object", "a voter not a string", "a kind with no block", "a choice"],
)
def test_what_the_bulk_reader_leaves_is_refused_as_before(change: Any, message: str) -> None:
    data = _small_record()
    change(data)
    with pytest.raises(RecordError, match=message):
        recount(data)


def test_a_secret_record_keeps_its_members_and_ballots_for_whoever_asks() -> None:
    secret = secret_record(_small_record(), SALT)
    parsed = rules.parse_secret_record(secret)
    assert [member.id for member in parsed.electorate] == ["P1", "P2", "P3"]
    assert parsed.ballots == (
        rules.SecretBallot(Fraction(1, 200_000_000), "for"),
        rules.SecretBallot(Fraction(199_999_999, 200_000_000), "against"),
    )
    result = rules.tally_secret(parsed)
    assert len(result.shares) == 2
    assert result.shares["P2"] == Fraction(199_999_999, 200_000_000)


@pytest.mark.parametrize(
    "stated", [Decimal("0.000000005"), [1, 200_000_000]], ids=["a JSON number", "a list"]
)
def test_a_share_stated_otherwise_than_as_text_is_read_member_by_member(stated: Any) -> None:
    secret = secret_record(_small_record(), SALT)
    secret["electorate"][0]["share"] = stated  # P1's share, 1/200,000,000
    if isinstance(stated, Decimal):
        assert recount(secret) == recount(_small_record())
    else:
        with pytest.raises(RecordError, match=r"^electorate member 'P1': share: expected a number"):
            recount(secret)


def test_the_recount_leaves_the_collector_as_it_found_it() -> None:
    record = io.BytesIO(json.dumps(_small_record()).encode())
    gc.disable()
    try:
        assert main(["-"], stdin=record, stdout=io.StringIO(), stderr=io.StringIO()) == 0
        assert not gc.isenabled()
    finally:
        gc.enable()
    record.seek(0)
    assert main(["-"], stdin=record, stdout=io.StringIO(), stderr=io.StringIO()) == 0
    assert gc.isenabled()


def test_ballots_given_as_other_mappings_are_read_one_by_one_alike() -> None:
    data = _small_record()
    expected = recount(data)
    data["ballots"] = [MappingProxyType(ballot) for ballot in data["ballots"]]
    assert recount(data) == expected
