"""The provenance sentence, a pure function, against examples worked out by hand.

Every expected sentence below was written from the inputs with a calculator, not by running
the code: the arithmetic is in the comments.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from portal.statements.provenance import (
    VoteFacts,
    Voter,
    one_place,
    provenance,
    quorum_words,
    threshold_words,
    weighting_words,
)

JAN_2026 = date(2026, 1, 1)
OCT_2025 = date(2025, 10, 1)


def _rules(**changes):
    rules = {
        "weighting": {"scheme": "list_size"},
        "blocks": None,
        "cap": None,
        "quorum": {"members": "1/2", "weight": None},
        "threshold": {"rule": "simple_majority"},
        "tie": "fails",
    }
    rules.update(changes)
    return rules


def test_the_example_of_the_issue():
    # 23 practices of 1,000 patients voted for: 23,000. The other 4 hold 1,331 + 1,331 + 1,331
    # + 1,332 = 5,325, so 28,325 in all; 23,000 / 28,325 = 0.812003... -> 81.2%.
    # One practice's list size is older (1 October 2025): the snapshot date is the newest.
    voters = [Voter("practice", 1000, JAN_2026, choice="for") for _ in range(23)]
    voters += [
        Voter("practice", 1331, JAN_2026, choice="against"),
        Voter("practice", 1331, OCT_2025, choice="abstain"),
        Voter("practice", 1331, JAN_2026, choice="against"),
        Voter("practice", 1332, JAN_2026, choice=None),
    ]
    voters += [Voter("pcn", 7000, JAN_2026, choice="for") for _ in range(4)]
    voters += [Voter("pcn", 5000, JAN_2026, choice="against")]
    facts = VoteFacts(
        closed_on=date(2026, 3, 3),
        outcome="passed",
        quorum_met=True,
        rules=_rules(cap="1/4"),
        secret=False,
        conflicts_declared=2,
        voters=voters,
    )
    assert provenance(facts) == (
        "Agreed on 3 March 2026 by 23 of 27 practices (81.2% of registered patients at "
        "1 January 2026) and 4 of 5 PCNs; quorum met; list-size weights capped at 25%; "
        "simple majority; 2 interests declared."
    )


def test_recused_members_and_unknown_list_sizes():
    # Eligible practices: A (3,000, for), B (2,000, against), C (size unknown, for); D is
    # recused and counts nowhere. Patients: known sizes 3,000 + 2,000 = 5,000, of which A's
    # 3,000 voted for: 60%. C voted for, so 2 of 3 practices voted for.
    voters = [
        Voter("practice", 3000, date(2025, 4, 1), choice="for"),
        Voter("practice", 2000, date(2025, 4, 1), choice="against"),
        Voter("practice", None, None, choice="for"),
        Voter("practice", 5000, date(2025, 4, 1), recused=True),
        Voter("federation", 10000, date(2025, 4, 1), choice="for"),
        Voter("lmc", 10000, date(2025, 4, 1), choice=None),
    ]
    facts = VoteFacts(
        closed_on=date(2026, 2, 1),
        outcome="passed",
        quorum_met=True,
        rules=_rules(
            weighting={"scheme": "equal"},
            quorum=None,
            threshold={"rule": "supermajority", "fraction": "2/3"},
        ),
        secret=False,
        conflicts_declared=1,
        voters=voters,
    )
    assert provenance(facts) == (
        "Agreed on 1 February 2026 by 2 of 3 practices (60% of registered patients at "
        "1 April 2025), 1 of 1 federation and 0 of 1 LMC; no quorum set; one organisation, "
        "one vote; two-thirds majority of the weight cast for or against; 1 interest declared; "
        "1 organisation stood aside."
    )


def test_a_secret_ballot_gives_only_the_totals_of_the_result():
    # The stored result says 14 of 20 eligible organisations voted for, holding 71.428571% of
    # the weight: 71.4% to one place. Nothing is said kind by kind.
    facts = VoteFacts(
        closed_on=date(2026, 12, 31),
        outcome="passed",
        quorum_met=True,
        rules=_rules(
            weighting={"scheme": "banded", "band": 5000},
            blocks={"practice": "3/4", "pcn": "1/4"},
            quorum={"members": "1/3", "weight": None},
            threshold={"rule": "absolute_majority"},
        ),
        secret=True,
        conflicts_declared=0,
        voters=[Voter("practice", 9000, JAN_2026) for _ in range(20)],
        eligible_members=20,
        members_for=14,
        weight_percent_for="71.428571",
    )
    assert provenance(facts) == (
        "Agreed on 31 December 2026 in a secret ballot by 14 of 20 organisations (holding "
        "71.4% of the weight); quorum met; weights by bands of 5,000 patients in blocks "
        "(practices 75%, PCNs 25%); absolute majority (more than half of all the weight); "
        "no interests declared."
    )


def test_a_single_practice_and_no_list_sizes_at_all():
    # Nobody's list size is known, so no percentage of patients is given.
    facts = VoteFacts(
        closed_on=date(2026, 6, 9),
        outcome="passed",
        quorum_met=True,
        rules=_rules(weighting={"scheme": "equal"}),
        secret=False,
        conflicts_declared=0,
        voters=[Voter("practice", None, None, choice="for")],
    )
    assert provenance(facts) == (
        "Agreed on 9 June 2026 by 1 of 1 practice; quorum met; one organisation, one vote; "
        "simple majority; no interests declared."
    )


def test_only_a_passed_vote_has_a_provenance():
    facts = VoteFacts(
        closed_on=date(2026, 6, 9),
        outcome="rejected",
        quorum_met=True,
        rules=_rules(),
        secret=False,
        conflicts_declared=0,
    )
    with pytest.raises(ValueError, match="only a passed vote"):
        provenance(facts)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(1625, 100), "16.2"),  # 16.25: half to even, down
        (Fraction(1635, 100), "16.4"),  # 16.35: half to even, up
        (Fraction(200, 3), "66.7"),  # 66.666...
        (Fraction(25), "25"),
        (Fraction(1, 20) * 100, "5"),
        ("81.317103", "81.3"),
        ("43.350000", "43.4"),  # 43.35: half to even, up
        ("0.049999", "0"),
        (Fraction(0), "0"),
    ],
)
def test_percentages_to_one_place(value, expected):
    assert one_place(value) == expected


@pytest.mark.parametrize(
    ("weighting", "blocks", "cap", "expected"),
    [
        ({"scheme": "equal"}, None, None, "one organisation, one vote"),
        ({"scheme": "list_size"}, None, "1/20", "list-size weights capped at 5%"),
        (
            {"scheme": "weighted_list_size"},
            None,
            "0.125",
            "weighted list-size weights capped at 12.5%",
        ),
        ({"scheme": "fixed"}, None, None, "fixed weights"),
        ({"scheme": "banded", "band": 1000}, None, None, "weights by bands of 1,000 patients"),
        (
            {"scheme": "hybrid", "equal_part": "1/2", "basis": "list_size"},
            None,
            None,
            "weights 50% equal and 50% by list size",
        ),
        (
            {"scheme": "hybrid", "equal_part": "0.3", "basis": "banded", "band": 2500},
            None,
            "1/3",
            "weights 30% equal and 70% by bands of 2,500 patients capped at 33.3%",
        ),
        (
            {"scheme": "list_size"},
            {"practice": "1/2", "pcn": "1/4", "federation": "1/8", "lmc": "1/8"},
            "1/4",
            "list-size weights in blocks (practices 50%, PCNs 25%, federations 12.5%, "
            "LMCs 12.5%) capped at 25%",
        ),
    ],
)
def test_weighting_in_words(weighting, blocks, cap, expected):
    assert weighting_words(_rules(weighting=weighting, blocks=blocks, cap=cap)) == expected


@pytest.mark.parametrize(
    ("threshold", "tie", "expected"),
    [
        ({"rule": "simple_majority"}, "fails", "simple majority"),
        (
            {"rule": "simple_majority"},
            "chair_for",
            "simple majority (a tie carried by the chair's casting vote)",
        ),
        (
            {"rule": "supermajority", "fraction": "3/4"},
            None,
            "three-quarters majority of the weight cast for or against",
        ),
        (
            {"rule": "supermajority", "fraction": "7/10"},
            None,
            "70% majority of the weight cast for or against",
        ),
        (
            {"rule": "double_majority"},
            None,
            "double majority (more weight and more organisations for than against)",
        ),
        ({"rule": "unanimous"}, None, "unanimous"),
    ],
)
def test_threshold_in_words(threshold, tie, expected):
    assert threshold_words(_rules(threshold=threshold, tie=tie)) == expected


def test_quorum_in_words():
    assert quorum_words(_rules(quorum={"members": None, "weight": "1/2"}), True) == "quorum met"
    assert quorum_words(_rules(quorum={"members": "1/2"}), False) == "quorum not met"
    assert quorum_words(_rules(quorum={"members": None, "weight": None}), True) == "no quorum set"
