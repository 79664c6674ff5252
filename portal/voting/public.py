"""What other domains may know of a vote once it is counted: its outcome, its exact result and,
for an open ballot only, how each organisation voted.

Positions, statements, meetings and the rest call these, never read the vote's stored result,
ballot record, exact totals or published figures: those are voting's own, kept in the shape that
suits counting and secrecy. Before a vote is counted there is nothing to know (None, False or
empty), so nobody learns how a vote is going.
"""

from __future__ import annotations

import json
from fractions import Fraction

from portal.voting import rules as counting
from portal.voting.ballot_record import ballot_record_data
from portal.voting.models import BallotSecrecy, Vote, VoteState


def outcome(vote: Vote | None) -> str | None:
    """``passed``, ``rejected``, ``inquorate``, ``elected`` or ``no_winner``; None until counted."""
    if vote is None or vote.state is not VoteState.CLOSED or vote.result is None:
        return None
    return str(vote.result["outcome"])


def passed(vote: Vote | None) -> bool:
    """Whether the vote is counted and its motion passed."""
    return outcome(vote) == "passed"


def result(vote: Vote) -> counting.Result | None:
    """The exact result of a counted vote, as ``rules.tally`` gave it; None until counted.

    An open ballot is counted again from its stored record. A secret ballot keeps no ballots:
    its result comes from the exact totals stored at close, and has no shares by voter (they
    would be by pseudonym, which says nothing to another domain).
    """
    if vote.state is not VoteState.CLOSED or vote.result is None:
        return None
    if vote.secrecy is BallotSecrecy.OPEN and vote.ballot_record:
        return counting.tally(counting.parse_record(json.loads(vote.ballot_record)))
    if not vote.exact_totals:
        return None  # counted before the exact totals were kept: only the outcome is known
    stored, exact = vote.result, vote.exact_totals
    return counting.Result(
        outcome=stored["outcome"],
        winner=stored.get("winner"),
        quorum_met=stored["quorum_met"],
        eligible_members=stored["eligible_members"],
        turnout_members=stored["turnout"]["members"],
        turnout_weight=Fraction(exact["turnout_weight"]),
        totals={
            option: counting.OptionTotal(total["members"], Fraction(exact["totals"][option]))
            for option, total in stored["totals"].items()
        },
        shares={},
    )


def counted_record(vote: Vote) -> counting.BallotRecord:
    """The vote's electorate and rules as ``rules`` reads them (a secret ballot's by
    pseudonym), with the ballots of an open ballot once it is counted."""
    if vote.secrecy is BallotSecrecy.OPEN and vote.ballot_record:
        return counting.parse_record(json.loads(vote.ballot_record))
    return counting.parse_record(ballot_record_data(vote, ballots=[]))


def ballots_by_voter(vote: Vote) -> dict[str, str]:
    """Each organisation's choice by its ODS code, in a counted open ballot; empty otherwise
    (a secret ballot keeps no link from a ballot to its voter)."""
    if vote.secrecy is not BallotSecrecy.OPEN or vote.state is not VoteState.CLOSED:
        return {}
    if not vote.ballot_record:
        return {}
    record = counting.parse_record(json.loads(vote.ballot_record))
    return {ballot.voter: ballot.choice for ballot in record.ballots}
