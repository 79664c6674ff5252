"""The secret-ballot record, ``gp-collective-voice/ballot-record@2``, and its recount.

Hand-worked examples (the numbers worked out in the comments), the refusals the rules name,
the offline recount run as a subprocess, and a property: whatever the electorate, rules and
ballots, the @2 record of a vote recounts to exactly what its @1 record does, and a ballot
more than members can have cast is refused.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.voting.rules import (
    FORMAT,
    SECRET_FORMAT,
    RecordError,
    canonical_json,
    parse_secret_record,
    record_digest,
    recount,
    secret_record,
    tally_secret,
)
from tests.voting.test_rules_properties import records

ROOT = Path(__file__).resolve().parents[2]
SALT = "0123456789abcdef" * 2  # 128 bits, written as 32 hexadecimal digits
MOTION = ["for", "against", "abstain"]
BLOCKS = {"practice": "1/2", "pcn": "1/4", "lmc": "1/8", "federation": "1/8"}


def record_v1() -> dict[str, Any]:
    # Blocks practices 1/2 by list size, PCNs 1/4, LMC 1/8, federation 1/8.
    # Practices 3,000 and 1,000 patients: 3/4 and 1/4 of 1/2, so 3/8 and 1/8.
    # Two PCNs share 1/4: 1/8 each. The PCNs, the LMC and the federation hold no list of
    # their own (0): each group whose basis is 0 shares its block equally, so the LMC and the
    # federation hold the whole 1/8 each.
    return {
        "format": FORMAT,
        "vote": {"title": "Extended access", "kind": "motion", "options": MOTION},
        "rules": {
            "weighting": {"scheme": "list_size"},
            "blocks": BLOCKS,
            "cap": None,
            "quorum": {"members": "1/2", "weight": None},
            "threshold": {"rule": "simple_majority"},
            "tie": "fails",
        },
        "electorate": [
            {"id": "P1", "kind": "practice", "list_size": 3000},
            {"id": "P2", "kind": "practice", "list_size": 1000},
            {"id": "N1", "kind": "pcn", "list_size": 0},
            {"id": "N2", "kind": "pcn", "list_size": 0},
            {"id": "LMC", "kind": "lmc", "list_size": 0},
            {"id": "FED", "kind": "federation", "list_size": 0},
            {"id": "P3", "kind": "practice", "list_size": 9000, "recused": True},
        ],
        "ballots": [
            {"voter": "P1", "choice": "for"},
            {"voter": "N1", "choice": "against"},
            {"voter": "LMC", "choice": "against"},
            {"voter": "FED", "choice": "abstain"},
        ],
    }


def record_v2() -> dict[str, Any]:
    return secret_record(record_v1(), SALT)


def add_ballots(data: dict[str, Any], *ballots: tuple[str, str]) -> None:
    """Add ballots where the sorted order puts them."""
    entries = [*data["ballots"], *({"share": s, "choice": c} for s, c in ballots)]
    data["ballots"] = sorted(entries, key=lambda b: (Fraction(b["share"]), b["choice"]))


def refused(data: dict[str, Any], *fragments: str) -> str:
    with pytest.raises(RecordError) as caught:
        recount(data)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_the_secret_record_names_no_voter_and_is_sorted() -> None:
    data = record_v2()
    assert data["format"] == SECRET_FORMAT
    # P1 3/8 for; N1 1/8 against; LMC 1/8 against; FED 1/8 abstain. Sorted by share, then
    # choice ("abstain" < "against"): nothing says who cast which.
    assert data["ballots"] == [
        {"share": "1/8", "choice": "abstain"},
        {"share": "1/8", "choice": "against"},
        {"share": "1/8", "choice": "against"},
        {"share": "3/8", "choice": "for"},
    ]
    assert [entry["id"] for entry in data["electorate"]] == [
        "FED",
        "LMC",
        "N1",
        "N2",
        "P1",
        "P2",
        "P3",
    ]
    shares = {entry["id"]: entry["share"] for entry in data["electorate"]}
    assert shares == {
        "FED": "1/8",
        "LMC": "1/8",
        "N1": "1/8",
        "N2": "1/8",
        "P1": "3/8",
        "P2": "1/8",
        "P3": None,
    }
    assert "voter" not in canonical_json(data["ballots"]).decode()
    assert data["salt"] == SALT


def test_the_secret_record_recounts_by_hand() -> None:
    # W(for) = 3/8 = 37.5 %, W(against) = 1/8 + 1/8 = 25 %, W(abstain) = 1/8 = 12.5 %.
    # Turnout 4 of 6 eligible (P3 recused) holding 3/4; quorum 1/2 of members met.
    # Simple majority: 3/8 > 1/4, passed.
    result = recount(record_v2())
    assert result == {
        "outcome": "passed",
        "winner": None,
        "quorum_met": True,
        "eligible_members": 6,
        "turnout": {"members": 4, "weight_percent": "75.000000"},
        "totals": {
            "for": {"members": 1, "weight_percent": "37.500000"},
            "against": {"members": 2, "weight_percent": "25.000000"},
            "abstain": {"members": 1, "weight_percent": "12.500000"},
        },
        "shares": {
            "FED": "12.500000",
            "LMC": "12.500000",
            "N1": "12.500000",
            "N2": "12.500000",
            "P1": "37.500000",
            "P2": "12.500000",
        },
    }
    parsed = parse_secret_record(record_v2())
    assert tally_secret(parsed).totals["against"].weight == Fraction(1, 4)


def test_a_choice_vote_recounts_from_shares() -> None:
    # Equal weights, 4 members: 1/4 each. Alice 2 ballots (1/2), Bob 1 (1/4): plurality, Alice.
    data = {
        "format": SECRET_FORMAT,
        "vote": {"title": "Chair", "kind": "choice", "options": ["Alice", "Bob"]},
        "rules": {"weighting": {"scheme": "equal"}, "threshold": {"rule": "plurality"}},
        "electorate": [{"id": f"M{i}", "kind": "practice", "share": "1/4"} for i in range(1, 5)],
        "ballots": [
            {"share": "1/4", "choice": "Alice"},
            {"share": "1/4", "choice": "Alice"},
            {"share": "1/4", "choice": "Bob"},
        ],
        "salt": SALT,
    }
    result = recount(data)
    assert (result["outcome"], result["winner"]) == ("elected", "Alice")
    assert result["totals"]["Alice"] == {"members": 2, "weight_percent": "50.000000"}
    assert result["turnout"] == {"members": 3, "weight_percent": "75.000000"}


def test_a_share_used_more_often_than_members_hold_it_is_refused() -> None:
    data = record_v2()
    # Only P1 holds 3/8: two ballots of 3/8 cannot both have come from the electorate.
    add_ballots(data, ("3/8", "against"))
    refused(data, "ballots", "2 ballots carry the share 3/8", "only 1 eligible member holds it")


def test_a_share_nobody_holds_is_refused() -> None:
    data = record_v2()
    add_ballots(data, ("1/2", "for"))
    refused(data, "1 ballot carries the share 1/2", "no eligible member holds it")


def test_more_ballots_of_a_common_share_than_its_holders_are_refused() -> None:
    data = record_v2()
    # P2, N1, N2, LMC and FED hold 1/8: five of them; a sixth ballot of 1/8 is one too many.
    add_ballots(data, ("1/8", "for"), ("1/8", "for"), ("1/8", "for"))
    refused(data, "6 ballots carry the share 1/8", "only 5 eligible members hold it")


def test_a_stated_share_that_is_not_the_rules_share_is_refused() -> None:
    data = record_v2()
    for entry in data["electorate"]:
        if entry["id"] == "P2":
            entry["share"] = "1/4"
    refused(data, "electorate member 'P2'", "share 1/4", "(1/8)")


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (lambda d: d["ballots"].reverse(), ["ballot 2", "out of order"]),
        (lambda d: d["ballots"][0].update(voter="FED"), ["ballot 1", "names a voter"]),
        (lambda d: d["ballots"][0].pop("share"), ["ballot 1", "share is missing"]),
        (lambda d: d["ballots"][0].update(choice="maybe"), ["ballot 1", "'maybe'"]),
        (lambda d: d.update(salt="abc123"), ["salt", "128 bits"]),
        (lambda d: d.update(salt="z" * 32), ["salt"]),
        (lambda d: d.pop("salt"), ["salt", "null"]),
        (lambda d: d["electorate"][6].update(share="1/8"), ["'P3'", "recused"]),
        (lambda d: d["electorate"][0].pop("share"), ["'FED'", "share is missing"]),
        (lambda d: d.update(format="gp-collective-voice/ballot-record@3"), ["format", "@2"]),
    ],
)
def test_broken_secret_records_are_refused(change: Any, fragments: list[str]) -> None:
    data = record_v2()
    change(data)
    refused(data, *fragments)


def test_the_salt_changes_the_fingerprint() -> None:
    # Without a salt the hash of a sorted record could be found by trying every record.
    other = secret_record(record_v1(), "f" * 32)
    assert record_digest(record_v2()) != record_digest(other)
    assert recount(record_v2()) == recount(other)


def _run(path: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "portal.voting.recount", str(path)],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_the_offline_recount_reads_both_formats_and_refuses_by_exit_status(
    tmp_path: Path,
) -> None:
    v1, v2 = tmp_path / "v1.json", tmp_path / "v2.json"
    v1.write_text(json.dumps(record_v1()))
    v2.write_text(json.dumps(record_v2()))
    one, two = _run(v1), _run(v2)
    assert one.returncode == two.returncode == 0, (one.stderr, two.stderr)
    first, second = json.loads(one.stdout), json.loads(two.stdout)
    assert first["totals"] == second["totals"]
    assert first["outcome"] == second["outcome"] == "passed"

    bad = record_v2()
    add_ballots(bad, ("3/8", "against"))
    v2.write_text(json.dumps(bad))
    refusal = _run(v2)
    assert refusal.returncode == 2
    assert refusal.stdout == b""
    assert b"recount: refused: ballots: 2 ballots carry the share 3/8" in refusal.stderr


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(records(), st.data())
def test_the_secret_record_recounts_as_the_open_one(data: dict[str, Any], more: Any) -> None:
    try:
        expected = recount(data)
    except RecordError:
        # A record the rules refuse (an unknown combination, an infeasible cap) is refused
        # as an @2 record too.
        with pytest.raises(RecordError):
            secret_record(data, SALT)
        return
    secret = secret_record(data, SALT)
    assert recount(json.loads(canonical_json(secret))) == expected
    # Every eligible member that did not vote could add one more ballot of its share; once
    # all have voted, any further ballot is one more than the members can have cast.
    full = copy.deepcopy(data)
    voted = {ballot["voter"] for ballot in full["ballots"]}
    for entry in full["electorate"]:
        if not entry["recused"] and entry["id"] not in voted:
            full["ballots"].append({"voter": entry["id"], "choice": "abstain"})
    crowded = secret_record(full, SALT)
    share = more.draw(st.sampled_from([b["share"] for b in crowded["ballots"]]))
    add_ballots(crowded, (share, "for"))
    with pytest.raises(RecordError, match=r"ballots: .* the share"):
        recount(crowded)
