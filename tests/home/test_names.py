"""Organisation names as people write them (portal/names.py), over every name NHS England
publishes and against 200 names checked by hand."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.names import ABBREVIATIONS, display_name, is_recognised_abbreviation

REPOSITORY = Path(__file__).resolve().parents[2]
SHARED_MAPPING = Path("/work/shared/data/nhs/gp-reg-pat-prac-map_2026-01-01.csv")
FIXTURE_MAPPINGS = sorted((REPOSITORY / "tests" / "data" / "nhs").glob("gp-reg-pat-prac-map_*.csv"))
HAND_CHECKED = REPOSITORY / "tests" / "data" / "names" / "hand_checked_names.tsv"
WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z0-9]+)*")
CAPITALS_RUN = re.compile(r"[A-Z]{2,}")


def _names(column: str) -> list[str]:
    paths = [SHARED_MAPPING] if SHARED_MAPPING.exists() else []
    names: set[str] = set()
    for path in paths + FIXTURE_MAPPINGS:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            names.update(row[column] for row in csv.DictReader(handle) if row.get(column))
    return sorted(names)


PRACTICE_NAMES = _names("PRACTICE_NAME")
PCN_NAMES = _names("PCN_NAME")


def test_every_practice_in_england_is_read() -> None:
    if not SHARED_MAPPING.exists():
        pytest.skip("the full mapping file is not on this machine")
    with SHARED_MAPPING.open(encoding="utf-8-sig", newline="") as handle:
        assert sum(1 for _ in csv.DictReader(handle)) == 6171


@pytest.mark.parametrize("names", [PRACTICE_NAMES, PCN_NAMES], ids=["practices", "pcns"])
def test_no_run_of_capitals_is_left_but_abbreviations(names: list[str]) -> None:
    left = []
    for published in names:
        shown = display_name(published)
        for word in WORD.findall(shown):
            if CAPITALS_RUN.search(word) and not is_recognised_abbreviation(word):
                left.append((published, shown, word))
    assert left == []


@pytest.mark.parametrize("names", [PRACTICE_NAMES, PCN_NAMES], ids=["practices", "pcns"])
def test_only_the_case_changes_and_abbreviations_are_kept(names: list[str]) -> None:
    for published in names:
        shown = display_name(published)
        assert shown.upper() == published.upper()
        published_words = WORD.findall(published)
        shown_words = WORD.findall(shown)
        for before, after in zip(published_words, shown_words, strict=True):
            if before in ABBREVIATIONS:
                assert after == before, published


def test_most_names_have_lower_case_letters_after_it() -> None:
    shown = [display_name(name) for name in PRACTICE_NAMES]
    assert sum(1 for name in shown if any(c.islower() for c in name)) > 0.99 * len(shown)


def _hand_checked() -> list[tuple[str, str]]:
    rows = []
    for line in HAND_CHECKED.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            published, expected = line.split("\t")
            rows.append((published, expected))
    return rows


def test_the_hand_checked_sample_has_200_names_from_the_files() -> None:
    rows = _hand_checked()
    assert len(rows) == len({published for published, _ in rows}) == 200
    if SHARED_MAPPING.exists():
        assert {published for published, _ in rows} <= set(PRACTICE_NAMES)


@pytest.mark.parametrize(("published", "expected"), _hand_checked())
def test_hand_checked_names(published: str, expected: str) -> None:
    assert display_name(published) == expected


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        ("NEWCASTLE-UNDER-LYME SOUTH PCN", "Newcastle-under-Lyme South PCN"),
        ("STRATFORD-UPON-AVON HEALTH CENTRE", "Stratford-upon-Avon Health Centre"),
        ("THE PRACTICE OF THE VALLEY", "The Practice of the Valley"),
        ("PRACTICE III", "Practice III"),
        ("DR I M RAJA & PARTNER", "Dr I M Raja & Partner"),
        ("LEYTON HEALTHCARE 4TH FLOOR", "Leyton Healthcare 4th Floor"),
        ("WEST4 GPS", "West4 GPs"),
        ("KING'S MEDICAL PRACTICE", "King's Medical Practice"),
        ("TRAMWAYS MEDICAL CENTRE (O'CONNELL)", "Tramways Medical Centre (O'Connell)"),
        ("MCKENZIE GROUP PRACTICE", "McKenzie Group Practice"),
        ("MACKLIN STREET SURGERY", "Macklin Street Surgery"),
        ("SLAG LANE MC", "Slag Lane MC"),
        ("AT THE CROSS SURGERY", "At the Cross Surgery"),
        ("CHURCH LANE - THE SURGERY", "Church Lane - The Surgery"),
        ("NHS STAFFORDSHIRE ICB", "NHS Staffordshire ICB"),
    ],
)
def test_rules_from_the_docstring(published: str, expected: str) -> None:
    assert display_name(published) == expected


def test_a_name_a_person_wrote_is_left_as_written() -> None:
    assert display_name("Staffordshire LMC (demo) and the ICB") == (
        "Staffordshire LMC (demo) and the ICB"
    )


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 &'-.,()/@", max_size=60))
def test_any_capitals_name_changes_only_in_case(published: str) -> None:
    shown = display_name(published)
    assert shown.upper() == published.upper()
    for word in WORD.findall(shown):
        assert not CAPITALS_RUN.search(word) or is_recognised_abbreviation(word)
