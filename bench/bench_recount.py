"""Benchmark: offline recount of a 100,000-member, 100,000-ballot ballot record.

What it measures, for four ballot records written to a temporary directory (two electorates,
each as an open ballot's @1 record and as a secret ballot's @2 record):

* the wall time of ``python -m portal.voting.recount FILE`` as a subprocess, the whole program
  (interpreter start, reading and checking the record, the exact count, and printing the result
  JSON with 100,000 shares), median of 3 runs, against the target of issue 15: under 1 s; and
  the processor time the subprocess used (user + system), which a machine busy with other work
  does not inflate as it does the wall time;
* the in-process recount, median of 3 runs, split into its stages: reading the JSON
  (``load_record``, decimals kept exact), checking and converting it (``parse_record`` or
  ``parse_secret_record``), the exact count (``tally`` or ``tally_secret``) and building the
  result JSON (``result_to_json``).

The records (random with a fixed seed, every member casting one ballot, in shuffled order):

1. "list_size": 100,000 practices, ``list_size`` weighting, cap 1/1000, simple majority.
2. "hybrid+blocks": 90,000 practices, 9,000 PCNs, 500 LMCs and 500 federations; blocks
   1/2, 1/4, 1/8, 1/8; ``hybrid`` weighting, half equal, half by ``weighted_list_size`` given
   as two-decimal strings; cap 1/20000 (binding for many members); supermajority of 2/3;
   quorum of half the members and half the weight.

The @2 record of each is made from its @1 record by ``secret_record`` (each ballot's voter
replaced by the voter's share, the electorate with each member's share, a fixed salt).

Run: ``python bench/bench_recount.py`` from the repository root (``make bench`` runs it).
"""

from __future__ import annotations

import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.voting.recount import load_record  # noqa: E402
from portal.voting.rules import (  # noqa: E402
    parse_record,
    parse_secret_record,
    result_to_json,
    secret_record,
    tally,
    tally_secret,
)

MEMBERS = 100_000
RUNS = 3
TARGET_SECONDS = 1.0
SALT = "5eed" * 8
SEED = 1001
OPTIONS = ["for", "against", "abstain"]


def list_size_record(rng: random.Random) -> dict[str, Any]:
    electorate = [
        {"id": f"P{i:06d}", "kind": "practice", "list_size": int(rng.lognormvariate(9.2, 0.55))}
        for i in range(MEMBERS)
    ]
    rules = {
        "weighting": {"scheme": "list_size"},
        "blocks": None,
        "cap": "1/1000",
        "quorum": {"members": None, "weight": None},
        "threshold": {"rule": "simple_majority"},
        "tie": "fails",
    }
    return _record("list_size benchmark", rules, electorate, rng)


def hybrid_blocks_record(rng: random.Random) -> dict[str, Any]:
    kinds = ["practice"] * 90_000 + ["pcn"] * 9_000 + ["lmc"] * 500 + ["federation"] * 500
    electorate = []
    for i, kind in enumerate(kinds):
        size = int(rng.lognormvariate(9.2, 0.55))
        electorate.append(
            {
                "id": f"M{i:06d}",
                "kind": kind,
                "list_size": size,
                "weighted_list_size": f"{size * rng.uniform(0.8, 1.3):.2f}",
                "weight": None,
                "recused": False,
            }
        )
    rules = {
        "weighting": {"scheme": "hybrid", "equal_part": "1/2", "basis": "weighted_list_size"},
        "blocks": {"practice": "1/2", "pcn": "1/4", "lmc": "1/8", "federation": "1/8"},
        "cap": "1/20000",
        "quorum": {"members": "1/2", "weight": "1/2"},
        "threshold": {"rule": "supermajority", "fraction": "2/3"},
        "tie": "fails",
    }
    return _record("hybrid with blocks benchmark", rules, electorate, rng)


def _record(
    title: str, rules: dict[str, Any], electorate: list[dict[str, Any]], rng: random.Random
) -> dict[str, Any]:
    ballots = [
        {"voter": m["id"], "choice": rng.choice(["for", "for", "for", "against", "abstain"])}
        for m in electorate
    ]
    rng.shuffle(ballots)
    return {
        "format": "gp-collective-voice/ballot-record@1",
        "vote": {"title": title, "kind": "motion", "options": OPTIONS},
        "rules": rules,
        "electorate": electorate,
        "ballots": ballots,
    }


def timed(function: Callable[[], object]) -> tuple[float, object]:
    times = []
    value: object = None
    for _ in range(RUNS):
        start = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def run_cli(path: Path) -> subprocess.CompletedProcess[bytes]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run(
        [sys.executable, "-m", "portal.voting.recount", str(path)],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"recount failed: {completed.stderr.decode()}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    PROCESSOR_SECONDS.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return completed


#: The processor time of each subprocess run, in order.
PROCESSOR_SECONDS: list[float] = []


def bench(name: str, record: dict[str, Any], directory: Path) -> None:
    path = directory / f"{name.replace(' ', '')}.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    size = path.stat().st_size
    PROCESSOR_SECONDS.clear()
    cli_time, completed = timed(lambda: run_cli(path))
    cli_processor = statistics.median(PROCESSOR_SECONDS)
    assert isinstance(completed, subprocess.CompletedProcess)
    output = json.loads(completed.stdout)

    secret = record["format"].endswith("@2")
    raw = path.read_bytes()
    load_time, data = timed(lambda: load_record(raw))
    assert isinstance(data, dict)
    parse_time, parsed = timed(lambda: (parse_secret_record if secret else parse_record)(data))
    count = tally_secret if secret else tally
    tally_time, result = timed(lambda: count(parsed))  # type: ignore[arg-type]
    json_time, produced = timed(lambda: result_to_json(result))  # type: ignore[arg-type]
    assert produced == output, "the subprocess and the in-process recount disagree"
    in_process = load_time + parse_time + tally_time + json_time

    print(
        f"{name}: {len(record['electorate']):,} members, {len(record['ballots']):,} ballots, "
        f"file {size / 1e6:.1f} MB -> outcome {output['outcome']}"
    )
    verdict = "meets" if cli_time < TARGET_SECONDS else "ABOVE"
    print(
        f"  python -m portal.voting.recount (subprocess, wall): {cli_time:6.2f} s "
        f"({verdict} the {TARGET_SECONDS:.0f} s target); processor time {cli_processor:.2f} s"
    )
    print(f"  in-process recount (sum of medians)               : {in_process:6.2f} s")
    print(f"    load_record (JSON, exact decimals)               : {load_time:6.2f} s")
    print(f"    parse (check and convert)                        : {parse_time:6.2f} s")
    print(f"    tally (shares, cap, count, decision)             : {tally_time:6.2f} s")
    print(f"    result_to_json (percentages)                     : {json_time:6.2f} s")


def main() -> None:
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        print(f"median of {RUNS} runs each; Python {sys.version.split()[0]}")
        for name, record in (
            ("list_size", list_size_record(rng)),
            ("hybrid+blocks", hybrid_blocks_record(rng)),
        ):
            bench(f"{name} @1", record, directory)
            bench(f"{name} @2", secret_record(record, SALT), directory)


if __name__ == "__main__":
    main()
