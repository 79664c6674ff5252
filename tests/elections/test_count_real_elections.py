"""Every real Scottish council ward file in ../shared/data/stv gives its official winners.

The files and the official results are described in that folder's MANIFEST.txt; the test
reads the winners, seats and quotas from its tables, so it checks exactly what it lists.
"""

from __future__ import annotations

import os
import re

import pytest

from portal.elections.count import count_scottish, format_units, parse_blt
from tests.conftest import REPO_ROOT

# ../shared beside the clone (as in CI); a git worktree sits one folder deeper.
CANDIDATE_FOLDERS = [
    REPO_ROOT.parent / "shared" / "data" / "stv",
    REPO_ROOT.parent.parent / "shared" / "data" / "stv",
]
STV = next((folder for folder in CANDIDATE_FOLDERS if folder.is_dir()), CANDIDATE_FOLDERS[0])
PARTY = re.compile(r"\s*\([^()]*\)$")
# file, ward or path, seats, candidates, ballots, [quota], winners (which start with a letter)
ROW = re.compile(
    r"^\s*(?P<file>\S+\.blt)\s+.*?\s+(?P<seats>\d+)\s+\d+\s+\d+(?:\s+(?P<quota>\d+))?"
    r"\s+(?P<winners>[A-Za-z].*)$"
)


def official_results() -> list[tuple[str, int, int | None, list[str]]]:
    """(file, seats, quota or None, winners) for every row of the manifest's result tables."""
    manifest = STV / "MANIFEST.txt"
    if not manifest.exists():
        if os.environ.get("CI") == "true":
            raise AssertionError(f"the STV data is not at {STV} (../shared beside the clone)")
        return []
    rows = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            file, seats, quota, winners = match.group("file", "seats", "quota", "winners")
            quota_or_none = None if quota is None else int(quota)
            rows.append((file, int(seats), quota_or_none, winners.split(", ")))
    return rows


RESULTS = official_results()


def plain(name: str) -> str:
    """A name without a party label in brackets, spaces collapsed (the raw files have none)."""
    return " ".join(PARTY.sub("", name).split())


def test_the_manifest_lists_all_twelve_files() -> None:
    if not RESULTS:
        pytest.skip(f"the STV data is not at {STV} (../shared beside the clone)")
    assert len(RESULTS) == 12
    assert {row[0] for row in RESULTS} == {path.name for path in STV.glob("*.blt")}


@pytest.mark.parametrize(
    ("file", "seats", "quota", "winners"), RESULTS, ids=[r[0] for r in RESULTS]
)
def test_scottish_count_elects_the_official_winners(file, seats, quota, winners) -> None:
    election = parse_blt((STV / file).read_text(encoding="utf-8"))
    result = count_scottish(election, seed="manifest")
    assert election.seats == seats
    if quota is not None:
        assert result.quota == quota * 10**5
    assert sorted(map(plain, result.names(result.elected))) == sorted(map(plain, winners))
    assert not any("lot" in note for stage in result.stages for note in stage.notes)


def test_calton_stage_figures_match_an_independent_count() -> None:
    """Figures from Droop's published Scottish STV report of the same file (jklundell/droop)."""
    path = STV / "glasgow07-Calton.blt"
    if not path.exists():
        pytest.skip(f"the STV data is not at {STV}")
    result = count_scottish(parse_blt(path.read_text(encoding="utf-8")))
    names = result.election.candidates
    after_surplus = result.stages[1]
    assert format_units(after_surplus.votes[names.index("Ruth Simpson")], 5) == "1035.05847"
    assert format_units(after_surplus.votes[names.index("Gary Barton")], 5) == "130.40863"
    assert format_units(after_surplus.non_transferable, 5) == "158.63911"
    final = result.stages[-1]
    assert format_units(final.votes[names.index("Ruth Simpson")], 5) == "1393.86735"
    assert format_units(final.non_transferable, 5) == "1205.13265"
    assert result.names(result.elected) == ["George Redmond", "Alison E Thewliss", "Ruth Simpson"]


def test_a_council_raw_file_and_its_labelled_copy_elect_the_same_people() -> None:
    for ward in ("03", "15"):
        raw, labelled = STV / f"edinburgh17-{ward}_council-raw.blt", STV / f"edinburgh17-{ward}.blt"
        if not raw.exists():
            pytest.skip(f"the STV data is not at {STV}")
        counts = [count_scottish(parse_blt(p.read_text(encoding="utf-8"))) for p in (raw, labelled)]
        raw_winners, labelled_winners = (list(map(plain, c.names(c.elected))) for c in counts)
        assert raw_winners == labelled_winners
        assert counts[0].stages[-1].votes == counts[1].stages[-1].votes
