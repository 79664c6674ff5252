"""The one-sentence result wording of ``portal.voting.wording``, as the publication policy
gives it."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.voting.rules import FORMAT, parse_record, tally
from portal.voting.wording import WITHHELD, open_sentence, result_sentence, secret_sentence

DAY = date(2026, 12, 1)


def record(
    weights: list[int],
    choices: list[str | None],
    *,
    threshold: dict[str, Any] | None = None,
    quorum: dict[str, Any] | None = None,
    tie: str = "fails",
    kind: str = "practice",
    vote_kind: str = "motion",
    options: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "vote": {
            "title": "A motion",
            "kind": vote_kind,
            "options": options or ["for", "against", "abstain"],
        },
        "rules": {
            "weighting": {"scheme": "fixed"},
            "quorum": quorum,
            "threshold": threshold or {"rule": "simple_majority"},
            "tie": tie,
        },
        "electorate": [
            {"id": f"M{i:05d}", "kind": kind, "weight": weight} for i, weight in enumerate(weights)
        ],
        "ballots": [
            {"voter": f"M{i:05d}", "choice": choice}
            for i, choice in enumerate(choices)
            if choice is not None
        ],
    }


def policy_example() -> dict[str, Any]:
    """141 practices: 65 for holding 54.9 % of the weight, 33 against 27.3 %, 13 abstaining
    10.6 %, and 30 who did not vote holding the remaining 7.2 %."""
    weights = [8] * 64 + [37] + [8] * 32 + [17] + [8] * 12 + [10] + [2] * 29 + [14]
    choices = ["for"] * 65 + ["against"] * 33 + ["abstain"] * 13 + [None] * 30
    return record(weights, choices, quorum={"members": "1/2"})


def sentence(data: dict[str, Any], *, secret: bool = False) -> str:
    parsed = parse_record(data)
    return result_sentence(parsed, tally(parsed), DAY, secret=secret)


def test_the_publication_policy_example_word_for_word() -> None:
    assert sentence(policy_example()) == (
        "Agreed by simple majority of the whole weight on 1 December 2026: 65 organisations for "
        "(54.9 % of the weight), 33 against (27.3 %), 13 abstained (10.6 %); 111 of 141 voted "
        "(92.8 % of the weight); quorum of half the practices met."
    )


def test_a_secret_ballot_gives_the_outcome_and_turnout_and_says_what_was_withheld() -> None:
    text = sentence(policy_example(), secret=True)
    assert text == (
        "Agreed by simple majority of the whole weight on 1 December 2026 in a secret ballot: "
        "111 of 141 organisations voted; quorum of half the practices met. "
        f"{WITHHELD}"
    )
    assert "%" not in text
    assert " 65 " not in text
    assert " 33 " not in text


def test_a_narrow_margin_is_shown_with_enough_decimals() -> None:
    # 5004 against 4996 of 10,000: one decimal would read 50.0 % both ways.
    text = sentence(record([5004, 4996], ["for", "against"]))
    assert "1 organisation for (50.04 % of the weight), 1 against (49.96 %)" in text
    assert "2 of 2 voted (100.00 % of the weight)" in text
    assert text.startswith("Agreed by simple majority")


def test_rejected_inquorate_and_no_quorum() -> None:
    assert sentence(record([1, 2], ["for", "against"])).startswith(
        "Not agreed by simple majority of the whole weight on 1 December 2026:"
    )
    assert sentence(record([1, 2], ["for", "against"])).endswith("; no quorum was set.")
    inquorate = sentence(record([1, 1, 1], ["for", None, None], quorum={"weight": "2/5"}))
    assert inquorate.startswith("Not decided for want of a quorum on 1 December 2026:")
    assert inquorate.endswith("quorum of 40 % of the weight not met.")


def test_thresholds_and_ties_in_words() -> None:
    two_thirds = sentence(
        record([2, 1], ["for", "against"], threshold={"rule": "supermajority", "fraction": "2/3"})
    )
    assert two_thirds.startswith("Agreed by two-thirds majority of the weight cast for or against")
    tie = sentence(record([1, 1], ["for", "against"], tie="chair_for"))
    assert tie.startswith(
        "Agreed by simple majority of the whole weight, a tie carried by the chair's casting vote"
    )
    assert sentence(record([1, 1], ["for", "against"])).startswith(
        "Not agreed by simple majority of the whole weight, a tie failing"
    )


def test_mixed_electorates_are_organisations_in_the_quorum() -> None:
    data = record([1, 1], ["for", "for"], quorum={"members": "1/2"})
    data["electorate"][1]["kind"] = "pcn"
    assert sentence(data).endswith("quorum of half the organisations met.")


def test_a_choice_vote_names_the_winner() -> None:
    data = record(
        [3, 1, 1],
        ["Alice", "Bob", None],
        vote_kind="choice",
        options=["Alice", "Bob"],
        threshold={"rule": "plurality"},
    )
    assert sentence(data) == (
        "Alice elected by plurality (the most weight) on 1 December 2026: Alice 1 (60.0 % of the "
        "weight), Bob 1 (20.0 %); 2 of 3 voted (80.0 % of the weight); no quorum was set."
    )


@settings(max_examples=80, deadline=None)
@given(
    ballots=st.lists(
        st.tuples(st.integers(1, 5000), st.sampled_from(["for", "against", "abstain", None])),
        min_size=1,
        max_size=30,
    )
)
def test_every_open_sentence_carries_every_count_and_the_order_of_for_and_against(
    ballots: list[tuple[int, str | None]],
) -> None:
    data = record([w for w, _ in ballots], [c for _, c in ballots])
    parsed = parse_record(data)
    result = tally(parsed)
    text = open_sentence(parsed, result, DAY)
    counts = {option: sum(1 for _, c in ballots if c == option) for option in ("for", "against")}
    assert f" {counts['against']} against (" in text
    assert f"{result.turnout_members} of {len(ballots)} voted" in text
    shown_for = text.split(" for (")[1].split(" %")[0]
    shown_against = text.split(" against (")[1].split(" %")[0]
    w_for, w_against = result.totals["for"].weight, result.totals["against"].weight
    if w_for != w_against:
        assert (float(shown_for) > float(shown_against)) == (w_for > w_against)
    secret = secret_sentence(parsed, result, DAY)
    assert secret.endswith(WITHHELD)
    assert " %" not in secret
