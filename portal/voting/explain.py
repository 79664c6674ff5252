""" "How this vote is decided": the rules of one vote in plain words, generated from the rules
themselves so that what people read is what ``rules.py`` counts.

One list of (topic, sentence) pairs, shown the same way to the officer before opening, to the
voter, on the results and on a statement. Pure: it takes the typed ``rules.Rules``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from portal import figures
from portal.voting.rules import Rules, Weighting
from portal.voting.wording import KIND_PLURALS, fraction_words

KIND_ORDER = ("practice", "pcn", "federation", "lmc")
KIND_NAMES = {
    "practice": "GP practices",
    "pcn": "primary care networks (PCNs)",
    "federation": "the GP federation",
    "lmc": "the LMC",
}


@dataclass(frozen=True)
class Setting:
    """What the rules do not say but the vote does: who takes part and how secretly."""

    kind: str  # "motion" or "choice"
    voting_kinds: Sequence[str]
    secret: bool
    pcn_codes: Sequence[str] | None = None
    eligible: int | None = None  # known once the electorate is frozen at opening
    named: bool = False  # the vote names its organisations (an agreement's signatories)


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def who_votes(setting: Setting) -> str:
    kinds = [KIND_NAMES[kind] for kind in KIND_ORDER if kind in setting.voting_kinds]
    words = f"One ballot for each of {_join(kinds)}"
    if setting.named:
        words += " named for this vote"
    if setting.pcn_codes:
        words += f" (practices only of the PCNs {_join(list(setting.pcn_codes))})"
    if setting.eligible is not None:
        words += f": {figures.count(setting.eligible)} organisations in all"
    return words + ". An organisation that stood aside for a conflict of interest does not vote."


def _basis_words(scheme: str, band: int | None) -> str:
    if scheme == "equal":
        return "equally"
    if scheme == "list_size":
        return "in proportion to registered list size"
    if scheme == "weighted_list_size":
        return "in proportion to weighted list size"
    if scheme == "banded":
        return (
            f"by bands of {figures.count(band or 0)} registered patients (at least one band each)"
        )
    return "by fixed weights set for this vote"


def weight_words(weighting: Weighting) -> str:
    if weighting.scheme == "equal":
        return "Every organisation has the same weight: one organisation, one vote."
    if weighting.scheme == "hybrid":
        assert weighting.equal_part is not None
        assert weighting.basis is not None
        equal = _share(weighting.equal_part)
        return (
            f"{equal} of the weight is shared equally and the rest "
            f"{_basis_words(weighting.basis, weighting.band)}."
        )
    return f"The weight is shared {_basis_words(weighting.scheme, weighting.band)}."


def _whole(share: Fraction) -> bool:
    return (share * 100).denominator == 1


def _share(fraction: Fraction) -> str:
    return figures.percent(fraction, 0 if _whole(fraction) else 1)


def blocks_words(rules: Rules) -> str | None:
    if not rules.blocks:
        return None
    parts = [
        f"{KIND_PLURALS[kind]} {_share(rules.blocks[kind])}"
        for kind in KIND_ORDER
        if kind in rules.blocks
    ]
    return (
        f"The weight is split between kinds of organisation first: {_join(parts)}. "
        "A kind with nobody voting in it gives its part to the others in proportion."
    )


def cap_words(rules: Rules) -> str | None:
    if rules.cap is None:
        return None
    return (
        f"No organisation holds more than {_share(rules.cap)} of the weight; what is over is "
        "shared among the others in proportion."
    )


def quorum_words(rules: Rules, setting: Setting) -> str:
    parts = []
    if rules.quorum_members is not None:
        parts.append(f"{fraction_words(rules.quorum_members)} the organisations")
    if rules.quorum_weight is not None:
        parts.append(f"organisations holding {fraction_words(rules.quorum_weight)} of the weight")
    if not parts:
        return "No quorum: the result stands however few vote."
    counted = "Abstentions count towards it." if setting.kind == "motion" else ""
    return (
        f"At least {' and '.join(parts)} must vote, or the vote decides nothing. {counted}"
    ).strip()


def threshold_words(rules: Rules, setting: Setting) -> str:
    rule = rules.threshold
    if setting.kind == "choice":
        if rule == "plurality":
            return "The option with the most weight is elected; a tie for first elects nobody."
        return (
            "An option is elected only with more than half of the weight cast; otherwise nobody is."
        )
    if rule == "simple_majority":
        return "Passed if the weight for is more than the weight against."
    if rule == "supermajority":
        assert rules.threshold_fraction is not None
        return (
            f"Passed if at least {fraction_words(rules.threshold_fraction)} of the weight cast "
            "for or against is for."
        )
    if rule == "absolute_majority":
        return "Passed only if more than half of the whole weight, voting or not, is for."
    if rule == "double_majority":
        return "Passed if both more weight and more organisations are for than against."
    return "Passed only if every organisation that may vote votes for."


def tie_words(rules: Rules, setting: Setting) -> str | None:
    if setting.kind != "motion" or rules.threshold != "simple_majority":
        return None
    if rules.tie == "chair_for":
        return "If for and against are exactly equal, the chair's casting vote carries it."
    return "If for and against are exactly equal, it is not passed and things stay as they are."


def secrecy_words(setting: Setting) -> str:
    if setting.secret:
        return (
            "Secret ballot: nobody, officers included, can see how an organisation voted. Only "
            "the outcome and the figures that cannot reveal anyone's vote are published."
        )
    return "Open ballot: once it closes, everyone in the group can see how each organisation voted."


def _pass_topic(setting: Setting) -> str:
    return "To pass" if setting.kind == "motion" else "To be elected"


def how_decided(rules: Rules, setting: Setting) -> list[tuple[str, str]]:
    """The rules of one vote as (topic, sentence) pairs, in the order people ask about them."""
    items: list[tuple[str, str | None]] = [
        ("Who votes", who_votes(setting)),
        ("Weight", weight_words(rules.weighting)),
        ("Blocks", blocks_words(rules)),
        ("Cap", cap_words(rules)),
        ("Quorum", quorum_words(rules, setting)),
        (
            "To pass" if setting.kind == "motion" else "To be elected",
            threshold_words(rules, setting),
        ),
        ("A tie", tie_words(rules, setting)),
        ("Secrecy", secrecy_words(setting)),
    ]
    if setting.kind == "motion":
        items.append(("Abstaining", "An abstention counts as voting, but neither for nor against."))
    return [(topic, words) for topic, words in items if words is not None]
