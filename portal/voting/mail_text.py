"""What a vote's emails may say of it, by the tier of the draft it is on.

An email about anything whose tier is not ``public`` carries no title or text, only a link
(the publication policy): mail is forwarded, read on shared screens and kept by providers
beyond the portal's reach. A vote that is not on a draft has no tier and is named as before.
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
