"""Benchmark: weights and tally for an England-wide electorate, in process.

What it measures: the time ``portal.voting.rules.tally`` takes (compute every member's exact
share, then count the ballots and decide) for one vote of every open GP practice in England,
and the time to turn that result into the result JSON (``result_to_json``: 6,171 percentages).
Each figure is the median of several runs; peak memory of one tally is taken with tracemalloc.

The electorate: the 6,171 practices of the January 2026 NHS mapping file, with list sizes from
the April 2025 "Patients Registered at a GP Practice" totals file (rows TYPE=GP, SEX=ALL,
AGE=ALL), both read from ``../shared/data/nhs/`` beside the repository when present. Without the
files, 6,171 list sizes are synthesised (log-normal around 10,000 patients, fixed seed).

The rules: ``list_size`` weighting with a cap of 1/100 (1 %) -- the largest English practice
holds about 0.16 % of all patients, so this cap never binds -- and, as a second case, a cap of
1/5000 (0.02 %), which binds for nearly half of the practices and so exercises the capping
rounds. Simple majority, quorum of half the members. Ballots are random with a fixed seed: about
70 % turnout, split for / against / abstain.

Run: ``python bench/bench_tally.py`` from the repository root.
"""

from __future__ import annotations

import csv
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.voting.rules import (  # noqa: E402
    Ballot,
    BallotRecord,
    Member,
    Rules,
    Vote,
    Weighting,
    result_to_json,
    tally,
)

DATA = ROOT.parent / "shared" / "data" / "nhs"
LIST_SIZES = DATA / "gp-reg-pat-prac-all_2025-04-01.csv"
PRACTICE_MAP = DATA / "gp-reg-pat-prac-map_2026-01-01.csv"
PRACTICES = 6171
RUNS = 7
SEED = 20250401


def load_list_sizes() -> tuple[list[tuple[str, int]], str]:
    """(practice code, list size) pairs and a note of where they came from."""
    if LIST_SIZES.exists():
        sizes: dict[str, int] = {}
        with LIST_SIZES.open(newline="", encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                if row["TYPE"] == "GP" and row["SEX"] == "ALL" and row["AGE"] == "ALL":
                    sizes[row["CODE"]] = int(row["NUMBER_OF_PATIENTS"])
        note = f"{LIST_SIZES.name}"
        if PRACTICE_MAP.exists():
            with PRACTICE_MAP.open(newline="", encoding="utf-8-sig") as handle:
                open_codes = [row["PRACTICE_CODE"] for row in csv.DictReader(handle)]
            pairs = [(code, sizes[code]) for code in open_codes if code in sizes]
            note += f", restricted to the open practices of {PRACTICE_MAP.name}"
        else:
            pairs = sorted(sizes.items())
        return pairs, note
    rng = random.Random(SEED)
    pairs = [(f"P{i:05d}", max(500, int(rng.lognormvariate(9.2, 0.55)))) for i in range(PRACTICES)]
    return pairs, f"synthesised (seed {SEED})"


def build_record(pairs: list[tuple[str, int]], cap: Fraction) -> BallotRecord:
    rng = random.Random(SEED)
    electorate = tuple(Member(code, "practice", size) for code, size in pairs)
    ballots: list[Ballot] = []
    for member in electorate:
        if rng.random() < 0.7:
            ballots.append(Ballot(member.id, rng.choice(("for", "for", "against", "abstain"))))
    rng.shuffle(ballots)
    rules = Rules(
        weighting=Weighting("list_size"),
        cap=cap,
        quorum_members=Fraction(1, 2),
        threshold="simple_majority",
        tie="fails",
    )
    vote = Vote("England-wide benchmark", "motion", ("for", "against", "abstain"))
    return BallotRecord(vote, rules, electorate, tuple(ballots))


def timed(function: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench(pairs: list[tuple[str, int]], cap: Fraction) -> None:
    record = build_record(pairs, cap)
    result = tally(record)
    capped = sum(1 for share in result.shares.values() if share == cap)
    tally_time = timed(lambda: tally(record))
    json_time = timed(lambda: result_to_json(result))
    tracemalloc.start()
    tally(record)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"cap {cap} ({float(cap) * 100:g} %): {capped} members at the cap, "
        f"outcome {result.outcome}, {result.turnout_members} ballots"
    )
    print(f"  weights + tally : {tally_time * 1000:8.1f} ms (median of {RUNS})")
    print(f"  result JSON     : {json_time * 1000:8.1f} ms (median of {RUNS})")
    print(f"  peak memory     : {peak / 1024 / 1024:8.2f} MiB (tracemalloc, one tally)")


def main() -> None:
    pairs, note = load_list_sizes()
    total = sum(size for _, size in pairs)
    print(f"electorate: {len(pairs)} practices, {total:,} patients; list sizes {note}")
    print("weighting: list_size; simple majority; quorum 1/2 of members")
    bench(pairs, Fraction(1, 100))
    bench(pairs, Fraction(1, 5000))


if __name__ == "__main__":
    main()
