"""Before a secret ballot opens: whose ballot would its rules expose, and what would be safer.

Pure logic (no Flask, no database). The attacker of ``portal.voting.secrecy`` needs the
ballots, which do not exist yet, and running it over every plausible outcome of a large
electorate is far too slow for a form. A cheaper check is enough to name the organisations at
risk: an organisation whose share of the weight no other eligible organisation holds can be
picked out of any figure that carries weight (the share of each answer, the full record), so
at close the portal would have to withhold those figures, and members could not download the
record. Organisations that share their weight with others hide among them.

The same check is run on a few safer settings (weights in bands of patients, equal weights,
no blocks) so the officer can see which would protect everyone.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from portal.voting import rules as counting

SAFER_BAND = 1000


@dataclass(frozen=True)
class Alternative:
    """A safer setting, and who would still be exposed under it."""

    label: str
    rules: counting.Rules
    exposed: tuple[str, ...]


@dataclass(frozen=True)
class Exposure:
    exposed: tuple[str, ...]  # member ids, in electorate order
    alternatives: tuple[Alternative, ...]


def exposed_members(members: Sequence[counting.Member], rules: counting.Rules) -> tuple[str, ...]:
    """Ids of the eligible members whose share no other eligible member holds.

    An electorate of one exposes nobody beyond what the outcome says, so it is not counted.
    """
    vector = counting.share_vector(members, rules)
    if len(vector.ids) < 2:
        return ()
    held = Counter(vector.numerators)
    return tuple(
        mid for mid, share in zip(vector.ids, vector.numerators, strict=True) if held[share] == 1
    )


def _candidates(rules: counting.Rules) -> list[tuple[str, counting.Rules]]:
    weighting = rules.weighting
    candidates = []
    if weighting.scheme != "banded" and weighting.scheme != "equal":
        candidates.append(
            (
                f"Weights in bands of {SAFER_BAND:,} patients",
                dataclasses.replace(rules, weighting=counting.Weighting("banded", band=SAFER_BAND)),
            )
        )
    if weighting.scheme != "equal":
        candidates.append(
            ("Equal weights", dataclasses.replace(rules, weighting=counting.Weighting("equal")))
        )
    if rules.blocks is not None:
        candidates.append(
            (
                "Equal weights and no blocks (every organisation holds the same share)",
                dataclasses.replace(
                    rules, weighting=counting.Weighting("equal"), blocks=None, cap=None
                ),
            )
        )
    return candidates


def assess(members: Sequence[counting.Member], rules: counting.Rules) -> Exposure:
    """Who the chosen rules expose and, when anyone, how the safer settings would do."""
    exposed = exposed_members(members, rules)
    alternatives: list[Alternative] = []
    if exposed:
        for label, candidate in _candidates(rules):
            try:
                alternatives.append(
                    Alternative(label, candidate, exposed_members(members, candidate))
                )
            except counting.RecordError:
                continue  # a setting these members cannot be counted under is no alternative
    return Exposure(exposed, tuple(alternatives))
