"""``python -m portal.voting.recount`` run as a returning officer would run it: a subprocess.

Success prints the result JSON on stdout with exit status 0. Every refusal exits with status 2,
prints nothing on stdout and names the item at fault on stderr.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from portal.voting.rules import recount

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "portal.voting.recount", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )


def base_record() -> dict[str, Any]:
    # list sizes 6000, 2000, 2000 -> 3/5, 1/5, 1/5; cap 1/2 -> 1/2, 1/4, 1/4.
    # A for (1/2), B against (1/4), C abstains (1/4): 1/2 > 1/4, quorum 2/3 of members met.
    return {
        "format": "gp-collective-voice/ballot-record@1",
        "vote": {
            "title": "Extended access",
            "kind": "motion",
            "options": ["for", "against", "abstain"],
        },
        "rules": {
            "weighting": {"scheme": "list_size"},
            "blocks": None,
            "cap": "1/2",
            "quorum": {"members": "2/3", "weight": None},
            "threshold": {"rule": "simple_majority"},
            "tie": "fails",
        },
        "electorate": [
            {"id": "A81001", "kind": "practice", "list_size": 6000, "weighted_list_size": "6100.5"},
            {"id": "A81002", "kind": "practice", "list_size": 2000, "weighted_list_size": None},
            {"id": "A81004", "kind": "practice", "list_size": 2000, "recused": False},
            {"id": "A81005", "kind": "practice", "list_size": 9000, "recused": True},
        ],
        "ballots": [
            {"voter": "A81001", "choice": "for"},
            {"voter": "A81002", "choice": "against"},
            {"voter": "A81004", "choice": "abstain"},
        ],
    }


EXPECTED = {
    "outcome": "passed",
    "winner": None,
    "quorum_met": True,
    "eligible_members": 3,
    "turnout": {"members": 3, "weight_percent": "100.000000"},
    "totals": {
        "for": {"members": 1, "weight_percent": "50.000000"},
        "against": {"members": 1, "weight_percent": "25.000000"},
        "abstain": {"members": 1, "weight_percent": "25.000000"},
    },
    "shares": {"A81001": "50.000000", "A81002": "25.000000", "A81004": "25.000000"},
}


def write(tmp_path: Path, data: Any, name: str = "record.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_recount_prints_the_result_json(tmp_path: Path) -> None:
    completed = run(str(write(tmp_path, base_record())))
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == b""
    output = json.loads(completed.stdout)
    assert output == EXPECTED
    assert list(output) == list(EXPECTED)
    assert output == recount(base_record())


def test_recount_reads_standard_input() -> None:
    completed = run("-", stdin=json.dumps(base_record()).encode())
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == EXPECTED


def test_recount_reads_json_decimals_exactly(tmp_path: Path) -> None:
    # 0.1 + 0.2 as binary floats is not 0.3; read exactly, A is 0.1/0.4 = 1/4, B 0.2/0.4, C 0.1.
    data = base_record()
    data["rules"]["weighting"] = {"scheme": "weighted_list_size"}
    data["rules"]["cap"] = None
    for entry, size in zip(data["electorate"], ("0.1", "0.2", "0.1", "0.5"), strict=True):
        entry["weighted_list_size"] = size
    path = tmp_path / "decimals.json"
    path.write_text(json.dumps(data).replace('"0.1"', "0.1").replace('"0.2"', "0.2"))
    completed = run(str(path))
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["shares"] == {
        "A81001": "25.000000",
        "A81002": "50.000000",
        "A81004": "25.000000",
    }


Mutation = Callable[[dict[str, Any]], None]


def _unknown_voter(d: dict[str, Any]) -> None:
    d["ballots"].append({"voter": "A81999", "choice": "for"})


def _duplicate_voter(d: dict[str, Any]) -> None:
    d["ballots"].append({"voter": "A81002", "choice": "for"})


def _recused_voter(d: dict[str, Any]) -> None:
    d["ballots"].append({"voter": "A81005", "choice": "for"})


def _bad_choice(d: dict[str, Any]) -> None:
    d["ballots"][1]["choice"] = "maybe"


def _missing_list_size(d: dict[str, Any]) -> None:
    del d["electorate"][1]["list_size"]


def _null_list_size(d: dict[str, Any]) -> None:
    d["electorate"][2]["list_size"] = None


def _negative_list_size(d: dict[str, Any]) -> None:
    d["electorate"][2]["list_size"] = -1


def _blocks_not_one(d: dict[str, Any]) -> None:
    d["rules"]["blocks"] = {"practice": "1/2", "pcn": "1/4"}


def _infeasible_cap(d: dict[str, Any]) -> None:
    d["rules"]["cap"] = "1/4"


def _unknown_scheme(d: dict[str, Any]) -> None:
    d["rules"]["weighting"] = {"scheme": "population"}


def _unknown_rule(d: dict[str, Any]) -> None:
    d["rules"]["threshold"] = {"rule": "two_thirds"}


def _rule_for_the_wrong_kind(d: dict[str, Any]) -> None:
    d["rules"]["threshold"] = {"rule": "plurality"}


def _duplicate_member(d: dict[str, Any]) -> None:
    d["electorate"].append(copy.deepcopy(d["electorate"][0]))


def _everyone_recused(d: dict[str, Any]) -> None:
    for entry in d["electorate"]:
        entry["recused"] = True
    d["ballots"] = []


def _wrong_format(d: dict[str, Any]) -> None:
    d["format"] = "something-else@1"


REFUSALS: list[tuple[str, Mutation, list[str]]] = [
    ("unknown voter", _unknown_voter, ["ballot 4", "'A81999'", "not in the electorate"]),
    ("duplicate voter", _duplicate_voter, ["ballot 4", "'A81002'", "already voted"]),
    ("recused voter", _recused_voter, ["ballot 4", "'A81005'", "recused"]),
    ("choice not an option", _bad_choice, ["ballot 2", "'maybe'", "not among the options"]),
    ("missing list size", _missing_list_size, ["'A81002'", "list_size", "missing"]),
    ("null list size", _null_list_size, ["'A81004'", "list_size", "missing"]),
    ("negative list size", _negative_list_size, ["'A81004'", "list_size", "negative"]),
    ("blocks not summing to 1", _blocks_not_one, ["rules.blocks", "3/4", "not 1"]),
    ("infeasible cap", _infeasible_cap, ["rules.cap", "infeasible", "1/4"]),
    ("unknown scheme", _unknown_scheme, ["rules.weighting.scheme", "'population'"]),
    ("unknown rule", _unknown_rule, ["rules.threshold.rule", "'two_thirds'"]),
    ("rule for the wrong kind", _rule_for_the_wrong_kind, ["rules.threshold.rule", "motion"]),
    ("duplicate member", _duplicate_member, ["'A81001'", "more than once"]),
    ("everyone recused", _everyone_recused, ["electorate", "no eligible members"]),
    ("wrong format", _wrong_format, ["format", "something-else@1"]),
]


@pytest.mark.parametrize(
    ("mutate", "fragments"), [(m, f) for _, m, f in REFUSALS], ids=[n for n, _, _ in REFUSALS]
)
def test_each_refusal_exits_2_and_names_the_item(
    tmp_path: Path, mutate: Mutation, fragments: list[str]
) -> None:
    data = base_record()
    mutate(data)
    completed = run(str(write(tmp_path, data)))
    assert completed.returncode == 2
    assert completed.stdout == b""
    message = completed.stderr.decode()
    assert message.startswith("recount: refused: ")
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b'{"format": ', "not valid JSON"),
        (b"[1, 2, 3]", "JSON object"),
        (b'{"format": "x", "format": "y"}', "'format' appears twice"),
        (b'{"format": NaN}', "NaN"),
        (b"\xff\xfe\x00", "not valid JSON"),
    ],
    ids=["truncated", "not an object", "duplicate key", "NaN", "not text"],
)
def test_unreadable_records_exit_2(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    completed = run(str(path))
    assert completed.returncode == 2
    assert completed.stdout == b""
    assert fragment in completed.stderr.decode()


def test_missing_file_exits_2_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-record.json"
    completed = run(str(missing))
    assert completed.returncode == 2
    assert completed.stdout == b""
    assert "no-such-record.json" in completed.stderr.decode()


def test_no_file_given_exits_2_with_usage() -> None:
    completed = run()
    assert completed.returncode == 2
    assert completed.stdout == b""
    assert "usage" in completed.stderr.decode()


def test_the_recount_imports_neither_flask_nor_sqlalchemy() -> None:
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, portal.voting.recount; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'flask', 'sqlalchemy'}))",
        ],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert probe.stdout.decode().strip() == "[]"
