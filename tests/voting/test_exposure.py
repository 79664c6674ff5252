"""The exposure check shown when a secret ballot is set up: hand-worked electorates."""

from __future__ import annotations

from portal.voting import exposure
from portal.voting import rules as counting

BLOCKS = {"practice": "1/2", "pcn": "1/4", "lmc": "1/8", "federation": "1/8"}


def _rules(weighting: dict, blocks: dict | None = None) -> counting.Rules:
    return counting.parse_rules(
        {"weighting": weighting, "blocks": blocks, "threshold": {"rule": "simple_majority"}},
        "motion",
    )


def _electorate() -> list[counting.Member]:
    practices = [
        counting.Member(f"P{i}", "practice", list_size=size)
        for i, size in enumerate((4200, 6100, 6900, 9800))
    ]
    return [
        *practices,
        counting.Member("N1", "pcn", list_size=0),
        counting.Member("LMC", "lmc", list_size=0),
    ]


def test_list_size_weights_expose_every_practice_with_a_size_of_its_own() -> None:
    # Shares 4200/27000, 6100/27000, 6900/27000, 9800/27000: all different. The PCN and the
    # LMC have no list (0) and hold a share of 0 each: the same as each other, so they hide
    # together.
    found = exposure.assess(_electorate(), _rules({"scheme": "list_size"}))
    assert found.exposed == ("P0", "P1", "P2", "P3")
    labels = {alt.label: alt.exposed for alt in found.alternatives}
    # Bands of 1,000: 5, 7, 7, 10 bands (and 1 each for the PCN and LMC, whose lists are
    # 0): P0 and P3 still stand alone.
    assert labels["Weights in bands of 1,000 patients"] == ("P0", "P3")
    assert labels["Equal weights"] == ()


def test_singleton_blocks_expose_the_lmc_and_name_the_safer_setting() -> None:
    # No federation here, so the blocks 1/2, 1/4, 1/8 scale up by 8/7 to 4/7, 2/7, 1/7. With
    # equal weights the four practices hold 1/7 each, and so does the LMC: it hides among
    # them. The PCN alone holds 2/7.
    found = exposure.assess(_electorate(), _rules({"scheme": "equal"}, BLOCKS))
    assert found.exposed == ("N1",)
    labels = {alt.label: alt.exposed for alt in found.alternatives}
    assert labels["Equal weights and no blocks (every organisation holds the same share)"] == ()


def test_equal_weights_without_blocks_expose_nobody() -> None:
    found = exposure.assess(_electorate(), _rules({"scheme": "equal"}))
    assert found.exposed == ()
    assert found.alternatives == ()


def test_one_organisation_alone_is_not_counted_as_exposed() -> None:
    lone = [counting.Member("LMC", "lmc", list_size=0)]
    assert exposure.exposed_members(lone, _rules({"scheme": "equal"})) == ()
