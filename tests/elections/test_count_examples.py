"""Hand-worked counts: each figure below was worked out on paper from the module's rules."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from portal.elections.count import (
    Ballot,
    BltError,
    Election,
    count_meek,
    count_scottish,
    parse_blt,
)
from tests.conftest import REPO_ROOT


def election(seats: int, names: str, *ballots: tuple[int, str], withdrawn: str = "") -> Election:
    """`names` like "ABC"; each ballot (weight, "AB") ranks candidates by their letters."""
    return Election(
        "test",
        seats,
        tuple(names),
        tuple(
            Ballot(weight, tuple(names.index(c) for c in ranking)) for weight, ranking in ballots
        ),
        frozenset(names.index(c) for c in withdrawn),
    )


def figures(result, stage: int) -> dict[str, str]:
    return result.to_json()["stages"][stage - 1]["votes"]


# --- Scottish STV ----------------------------------------------------------------------------


def test_scottish_surplus_is_transferred_at_a_value_truncated_to_five_places() -> None:
    # 9 valid papers, 2 seats: quota floor(9/3)+1 = 4. A has 6, surplus 2, so every one of A's
    # papers moves at 2 x 1 / 6 = 0.33333 (truncated): 4 papers to B, 2 to C.
    result = count_scottish(election(2, "ABC", (4, "AB"), (2, "AC"), (1, "BC"), (2, "C")))
    assert result.quota == 4 * 10**5
    stage_two = result.to_json()["stages"][1]
    assert stage_two["action"] == "surplus"
    assert stage_two["candidate"] == "A"
    assert stage_two["votes"] == {"A": "4.00000", "B": "2.33332", "C": "2.66666"}
    assert stage_two["non_transferable"] == "0.00002"  # lost to truncation
    # Stage 3: B has fewest and is excluded; B's own paper goes to C at 1, A's four papers
    # that came to B have no further preference. C is then the only continuing candidate for
    # the one seat left, so is elected (rule 52) without reaching the quota.
    stage_three = result.to_json()["stages"][2]
    assert stage_three["action"] == "exclusion"
    assert stage_three["excluded"] == ["B"]
    assert stage_three["votes"] == {"A": "4.00000", "B": "0.00000", "C": "3.66666"}
    assert stage_three["non_transferable"] == "1.33334"
    assert stage_three["elected"] == ["C"]
    assert result.names(result.elected) == ["A", "C"]


def test_scottish_later_surplus_moves_every_paper_at_its_own_value() -> None:
    # 13 papers, 3 seats: quota floor(13/4)+1 = 4. A (8) has a surplus of 4: its 8 papers go on
    # at 4/8 = 0.5, so B has 3 + 6 x 0.5 = 6, a surplus of 2 over 6 votes. Then *all* B's papers
    # move (not only the last parcel): B's own 3 at 2 x 1 / 6 = 0.33333 and the 6 from A at
    # 2 x 0.5 / 6 = 0.16666, both truncated.
    result = count_scottish(election(3, "ABCD", (6, "ABC"), (2, "AD"), (3, "BD"), (2, "C")))
    stages = result.to_json()["stages"]
    assert stages[1]["votes"] == {"A": "4.00000", "B": "6.00000", "C": "2.00000", "D": "1.00000"}
    assert stages[1]["elected"] == ["B"]
    assert stages[2]["candidate"] == "B"
    assert stages[2]["votes"] == {
        "A": "4.00000",
        "B": "4.00000",
        "C": "2.99996",  # 2 + 6 x 0.16666
        "D": "1.99999",  # 1 + 3 x 0.33333
    }
    assert stages[2]["non_transferable"] == "0.00005"
    assert result.names(result.elected) == ["A", "B", "C"]


def test_scottish_tie_for_exclusion_goes_back_to_the_last_stage_that_separated_them() -> None:
    # 1 seat, quota 6. D (1) is excluded and their paper goes to C: B and C then both have 3.
    # At stage 1 C had 2 and B had 3, so C is excluded (rule 51(2)(a)).
    result = count_scottish(
        election(1, "ABCD", (4, "A"), (3, "B"), (2, "CB"), (1, "DC")), seed="unused"
    )
    stages = result.to_json()["stages"]
    assert stages[1]["votes"]["B"] == stages[1]["votes"]["C"] == "3.00000"
    assert stages[2]["excluded"] == ["C"]
    assert "decided by the votes at stage 1" in " ".join(stages[2]["notes"])
    assert result.names(result.elected) == ["B"]


def test_scottish_tie_equal_at_every_stage_is_decided_by_a_lot_from_the_recorded_seed() -> None:
    tied = election(1, "ABC", (2, "A"), (2, "B"), (1, "C"))
    winners = {
        seed: count_scottish(tied, seed=seed).names(count_scottish(tied, seed=seed).elected)[0]
        for seed in map(str, range(12))
    }
    assert set(winners.values()) == {"A", "B"}, "the lot must depend on the seed"
    again = count_scottish(tied, seed="3")
    assert again.names(again.elected)[0] == winners["3"]
    assert again.to_json()["seed"] == "3"
    assert "by lot (draw 1)" in " ".join(again.to_json()["stages"][2]["notes"])


def test_scottish_withdrawn_candidate_is_struck_from_every_paper() -> None:
    # B withdrew: "BA" counts for A at value 1, "B" alone is not a valid paper.
    result = count_scottish(election(1, "ABC", (3, "BA"), (2, "B"), (2, "C"), withdrawn="B"))
    assert (result.valid, result.invalid) == (5, 2)
    assert result.quota == (5 // 2 + 1) * 10**5
    assert "B" not in figures(result, 1)
    assert figures(result, 1) == {"A": "3.00000", "C": "2.00000"}
    assert result.names(result.elected) == ["A"]


def test_scottish_as_many_candidates_as_seats_are_elected_at_once_without_transfers() -> None:
    result = count_scottish(election(2, "AB", (5, "A"), (1, "B")))
    assert len(result.stages) == 1
    assert result.names(result.elected) == ["A", "B"]
    assert "Rule 52" in " ".join(result.stages[0].notes)


def test_scottish_too_few_candidates_leaves_seats_empty_and_says_so() -> None:
    result = count_scottish(election(3, "AB", (5, "AB")))
    assert result.names(result.elected) == ["A", "B"]
    assert result.notes == ["1 seat(s) left empty: too few candidates."]


# --- Meek STV --------------------------------------------------------------------------------


def test_meek_surplus_lowers_the_keep_value_until_the_next_candidate_reaches_the_quota() -> None:
    # Quota 100/3 truncated to 9 places + 10^-9 = 33.333333334. A is elected at once. A's keep
    # value becomes 33.333333334/60 rounded up = 0.555555556, so each "AB" paper leaves
    # 0.555555556 with A and passes 0.444444444 to B: B = 10 + 60 x 0.444444444 = 36.66666664.
    result = count_meek(election(2, "ABC", (60, "AB"), (30, "C"), (10, "B")))
    stages = result.to_json()["stages"]
    assert stages[0]["quota"] == "33.333333334"
    assert stages[0]["elected"] == ["A"]
    assert stages[1]["votes"] == {"A": "33.333333360", "B": "36.666666640", "C": "30.000000000"}
    assert stages[1]["elected"] == ["B"]
    assert result.names(result.elected) == ["A", "B"]


def test_meek_exclusion_sets_the_keep_value_to_zero() -> None:
    # 9 votes, 1 seat: quota 4.500000001. C (2) is excluded; B gets C's papers and reaches 5.
    result = count_meek(election(1, "ABC", (4, "A"), (3, "B"), (2, "CB")))
    stages = result.to_json()["stages"]
    assert stages[0]["excluded"] == ["C"]
    assert stages[1]["votes"] == {"A": "4.000000000", "B": "5.000000000", "C": "0.000000000"}
    assert result.names(result.elected) == ["B"]


def test_meek_tie_is_decided_by_a_lot_from_the_recorded_seed() -> None:
    tied = election(1, "ABC", (2, "A"), (2, "B"), (1, "C"))
    winners = {
        count_meek(tied, seed=str(seed)).names(count_meek(tied, seed=str(seed)).elected)[0]
        for seed in range(12)
    }
    assert winners == {"A", "B"}


def test_meek_withdrawn_and_unopposed() -> None:
    withdrawn = count_meek(election(1, "ABC", (3, "BA"), (2, "C"), withdrawn="B"))
    assert (withdrawn.valid, withdrawn.names(withdrawn.elected)) == (5, ["A"])
    unopposed = count_meek(election(2, "AB", (5, "A"), (1, "B")))
    assert unopposed.names(unopposed.elected) == ["A", "B"]
    assert len(unopposed.stages) == 1


# --- BLT files -------------------------------------------------------------------------------

BLT = (
    "4 2\r\n-3\r\n3 1 2 0   \r\n(b7) 2 2 1 4 0\r\n1 3 1 0\r\n0\r\n"
    '"Ann  Smith"\r\n  "Bo"\r\n"Cy"\r\n"Di"\r\n"Ward 1"\r\n'
)


def test_blt_with_crlf_padding_ids_and_a_withdrawn_candidate() -> None:
    parsed = parse_blt(BLT)
    assert parsed.seats == 2
    assert parsed.candidates == ("Ann  Smith", "Bo", "Cy", "Di")
    assert parsed.withdrawn == frozenset({2})
    assert parsed.ballots == (Ballot(3, (0, 1)), Ballot(2, (1, 0, 3)), Ballot(1, (2, 0)))
    assert parsed.title == "Ward 1"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("", 1, "empty"),
        ("3\n", 1, "candidates seats"),
        ("3 1\n1 1 2\n0\n", 2, "weight preferences"),
        ("3 1\n1 1 4 0\n0\n", 2, "candidate 4 is not 1 to 3"),
        ("3 1\n1 1=2 0\n0\n", 2, "equal preferences"),
        ("3 1\n0 1 0\n0\n", 2, "1 or more"),
        ("3 1\n1 1 0\n", 2, "not ended by a line '0'"),
        ('3 1\n1 1 0\n0\n"A"\n"B"\n', 5, "candidate 3's name is missing"),
        ('2 1\n1 1 0\n0\nA\n"B"\n', 4, "double quotes"),
        ('2 1\n-4\n1 1 0\n0\n"A"\n"B"\n', 2, "withdrawn candidate -4"),
        ('2 1\n1 1 0\n0\n"A"\n"B"\n"T"\n"extra"\n', 7, "nothing may follow"),
    ],
)
def test_malformed_blt_is_refused_with_its_line_number(text: str, line: int, words: str) -> None:
    with pytest.raises(BltError) as refused:
        parse_blt(text)
    assert refused.value.line == line
    assert words in refused.value.message


def test_command_line_prints_json_and_refuses_a_malformed_file_with_exit_status_2(tmp_path) -> None:
    good = tmp_path / "good.blt"
    good.write_text(BLT, newline="")
    run = subprocess.run(
        [sys.executable, "-m", "portal.elections.count", str(good), "--method", "meek"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    output = json.loads(run.stdout)
    assert output["elected"] == ["Ann  Smith", "Bo"]
    assert set(output) >= {"elected", "quota", "stages"}
    bad = tmp_path / "bad.blt"
    bad.write_text("3 1\n1 1 x 0\n0\n")
    refused = subprocess.run(
        [sys.executable, "-m", "portal.elections.count", str(bad)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2
    assert "line 2" in refused.stderr
    assert refused.stdout == ""
