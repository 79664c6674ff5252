""" "How this vote is decided" (``portal.voting.explain``), generated from the rules."""

from __future__ import annotations

from typing import Any

import pytest

from portal.voting.explain import Setting, how_decided
from portal.voting.rules import parse_rules

OPEN_PRACTICES = Setting(kind="motion", voting_kinds=["practice"], secret=False, eligible=141)


def explained(rules: dict[str, Any], setting: Setting = OPEN_PRACTICES) -> dict[str, str]:
    return dict(how_decided(parse_rules(rules, setting.kind), setting))


def test_a_list_size_vote_with_cap_quorum_and_chair() -> None:
    words = explained(
        {
            "weighting": {"scheme": "list_size"},
            "cap": "1/4",
            "quorum": {"members": "1/2", "weight": "2/5"},
            "threshold": {"rule": "simple_majority"},
            "tie": "chair_for",
        }
    )
    assert list(words) == [
        "Who votes",
        "Weight",
        "Cap",
        "Quorum",
        "To pass",
        "A tie",
        "Secrecy",
        "Abstaining",
    ]
    assert words["Who votes"].startswith(
        "One ballot for each of GP practices: 141 organisations in all."
    )
    assert words["Weight"] == "The weight is shared in proportion to registered list size."
    assert words["Cap"].startswith("No organisation holds more than 25 % of the weight")
    assert words["Quorum"] == (
        "At least half the organisations and organisations holding 40 % of the weight must "
        "vote, or the vote decides nothing. Abstentions count towards it."
    )
    assert words["To pass"] == "Passed if the weight for is more than the weight against."
    assert "chair's casting vote carries it" in words["A tie"]
    assert words["Secrecy"].startswith("Open ballot")


def test_blocks_hybrid_supermajority_and_secret() -> None:
    setting = Setting(
        kind="motion", voting_kinds=["practice", "pcn", "lmc"], secret=True, pcn_codes=["U1"]
    )
    words = explained(
        {
            "weighting": {"scheme": "hybrid", "equal_part": "1/2", "basis": "banded", "band": 5000},
            "blocks": {"practice": "1/2", "pcn": "1/4", "lmc": "1/4"},
            "threshold": {"rule": "supermajority", "fraction": "2/3"},
        },
        setting,
    )
    assert words["Who votes"].startswith(
        "One ballot for each of GP practices, primary care networks (PCNs) and the LMC "
        "(practices only of the PCNs U1)."
    )
    assert words["Weight"] == (
        "50 % of the weight is shared equally and the rest by bands of 5,000 registered "
        "patients (at least one band each)."
    )
    assert words["Blocks"].startswith(
        "The weight is split between kinds of organisation first: practices 50 %, PCNs 25 % "
        "and LMCs 25 %."
    )
    assert words["Quorum"] == "No quorum: the result stands however few vote."
    assert words["To pass"] == (
        "Passed if at least two-thirds of the weight cast for or against is for."
    )
    assert "A tie" not in words  # only a simple majority has a tie rule
    assert words["Secrecy"].startswith("Secret ballot")


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [
        ({"rule": "absolute_majority"}, "more than half of the whole weight"),
        ({"rule": "double_majority"}, "more weight and more organisations"),
        ({"rule": "unanimous"}, "every organisation that may vote votes for"),
    ],
)
def test_every_motion_rule_is_explained(threshold: dict[str, Any], expected: str) -> None:
    words = explained({"weighting": {"scheme": "equal"}, "threshold": threshold})
    assert expected in words["To pass"]
    assert words["Weight"] == "Every organisation has the same weight: one organisation, one vote."


def test_a_choice_vote_has_no_abstaining_or_tie() -> None:
    setting = Setting(kind="choice", voting_kinds=["pcn"], secret=False)
    words = explained(
        {"weighting": {"scheme": "equal"}, "threshold": {"rule": "plurality"}}, setting
    )
    assert words["To be elected"].startswith("The option with the most weight is elected")
    assert "Abstaining" not in words
    assert "A tie" not in words
    assert "organisations in all" not in words["Who votes"]  # not frozen before opening
