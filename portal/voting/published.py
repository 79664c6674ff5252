"""The published wording of a closed vote, read from what was stored when it closed.

The exact result is counted again from the stored ballot record (``rules.tally``), so the
sentence is built from exact fractions rather than the rounded percentages of the stored
result, and is the same on every surface that shows it.
"""

from __future__ import annotations

import json

from portal.templating import LONDON
from portal.voting import wording
from portal.voting.models import BallotSecrecy, Vote, VoteState
from portal.voting.rules import parse_record, tally


def result_wording(vote: Vote) -> str | None:
    """The one-sentence result of a closed vote; None while it is not closed."""
    if vote.state is not VoteState.CLOSED or not vote.ballot_record:
        return None
    record = parse_record(json.loads(vote.ballot_record))
    decided_on = (vote.closed_at or vote.closes_at).astimezone(LONDON).date()
    return wording.result_sentence(
        record, tally(record), decided_on, secret=vote.secrecy is BallotSecrecy.SECRET
    )
