"""The published wording of a closed vote, read from what was stored when it closed.

The exact result is counted again from the stored ballot record (``rules.tally``), so the
sentence is built from exact fractions rather than the rounded percentages of the stored
result, and is the same on every surface that shows it.
"""

from __future__ import annotations

import json
from fractions import Fraction

from portal.templating import LONDON
from portal.voting import explain, wording
from portal.voting.ballot_record import ballot_record_data
from portal.voting.models import BallotSecrecy, Vote, VoteState
from portal.voting.rules import (
    BallotRecord,
    OptionTotal,
    RecordError,
    Result,
    parse_record,
    parse_rules,
    tally,
)


def _secret_ballot_result(vote: Vote) -> tuple[BallotRecord, Result]:
    """A closed secret ballot keeps no ballots: its electorate and rules, and the exact totals
    stored at close, are all the sentence is built from."""
    record = parse_record(ballot_record_data(vote))
    stored, exact = vote.result or {}, vote.exact_totals or {}
    result = Result(
        outcome=stored["outcome"],
        winner=stored.get("winner"),
        quorum_met=stored["quorum_met"],
        eligible_members=stored["eligible_members"],
        turnout_members=stored["turnout"]["members"],
        turnout_weight=Fraction(exact["turnout_weight"]),
        totals={
            option: OptionTotal(total["members"], Fraction(exact["totals"][option]))
            for option, total in stored["totals"].items()
        },
        shares={},
    )
    return record, result


def result_wording(vote: Vote) -> str | None:
    """The one-sentence result of a closed vote; None while it is not closed."""
    if vote.state is not VoteState.CLOSED:
        return None
    decided_on = (vote.closed_at or vote.closes_at).astimezone(LONDON).date()
    if vote.secrecy is BallotSecrecy.SECRET:
        if not vote.exact_totals:
            return None
        record, result = _secret_ballot_result(vote)
        return wording.result_sentence(record, result, decided_on, secret=True)
    if not vote.ballot_record:
        return None
    record = parse_record(json.loads(vote.ballot_record))
    return wording.result_sentence(record, tally(record), decided_on, secret=False)


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
