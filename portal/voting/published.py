"""The published wording of a closed vote, read from what was stored when it closed.

The exact result is counted again from the stored ballot record (``rules.tally``), so the
sentence is built from exact fractions rather than the rounded percentages of the stored
result, and is the same on every surface that shows it.
"""

from __future__ import annotations

from portal.templating import LONDON
from portal.voting import explain, public, wording
from portal.voting.models import BallotSecrecy, Vote
from portal.voting.rules import RecordError, parse_rules


def result_wording(vote: Vote) -> str | None:
    """The one-sentence result of a closed vote; None while it is not closed."""
    exact = public.result(vote)
    if exact is None:
        return None
    decided_on = (vote.closed_at or vote.closes_at).astimezone(LONDON).date()
    secret = vote.secrecy is BallotSecrecy.SECRET
    return wording.result_sentence(public.counted_record(vote), exact, decided_on, secret=secret)


def how_decided_for(vote: Vote) -> list[tuple[str, str]]:
    """ "How this vote is decided", from the vote's own rules and electorate."""
    try:
        rules = parse_rules(vote.rules, vote.kind.value)
    except RecordError:
        return []  # a draft saved before its rules were complete: nothing to explain yet
    eligible = (
        sum(1 for member in vote.electorate if not member.recused) if vote.opened_at else None
    )
    return explain.how_decided(
        rules,
        explain.Setting(
            kind=vote.kind.value,
            voting_kinds=list(vote.voting_kinds),
            secret=vote.secrecy is BallotSecrecy.SECRET,
            pcn_codes=vote.pcn_codes,
            eligible=eligible,
        ),
    )
