"""What a vote's emails may say of it, by the tier of the draft it is on.

An email about anything whose tier is not ``public`` carries no title or text, only a link
(the publication policy): mail is forwarded, read on shared screens and kept by providers
beyond the portal's reach. A vote that is not on a draft has no tier and is named as before.

A result email gives the result in the one sentence every surface gives (the publication
policy's wording, its figures from ``portal.figures``) when the vote's text may be emailed, and
otherwise the outcome in words alone.
"""

from __future__ import annotations

from portal.voting.models import Vote

WITHHELD = "(Sign in to read it: it is kept to the readers of the draft it is on.)"


def shows_text(vote: Vote) -> bool:
    return vote.tier is None or vote.tier == "public"


def named(vote: Vote) -> str:
    """The vote's title, or a description that gives nothing away."""
    return vote.title if shows_text(vote) else f"a vote in {vote.area.name}"


def text(vote: Vote, words: str) -> str:
    """``words`` (the question, the reason, the text) if the vote's tier allows them."""
    return words if shows_text(vote) else WITHHELD


OUTCOME_WORDS = {
    "passed": "the motion was carried",
    "rejected": "the motion was not carried",
    "inquorate": "not enough organisations voted, so it decides nothing",
    "elected": "an option was elected",
    "no_winner": "no option was elected",
}


def result(vote: Vote, sentence: str | None) -> str:
    """The result as the email gives it: ``sentence`` (the published wording), or the outcome
    in words where the tier keeps the wording to the vote's readers."""
    if sentence and shows_text(vote):
        return sentence
    outcome = str((vote.result or {}).get("outcome", ""))
    return f"Outcome: {OUTCOME_WORDS.get(outcome, outcome)}."
