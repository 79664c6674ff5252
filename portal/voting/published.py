"""The published wording of a closed vote, read from what was stored when it closed.

The exact result is counted again from the stored ballot record (``rules.tally``), so the
sentence is built from exact fractions rather than the rounded percentages of the stored
result, and is the same on every surface that shows it.

``shares_for_people`` gives the figures a results table, chart or email shows beside that
sentence, written as it writes them (``portal.figures``: one decimal, or as many as the
deciding margin needs, the same for every share of the vote). A secret ballot shows only what
was published at its close, at the precision it was published with; its turnout, which the
list of who voted and their weights give away anyway, is shown as an open ballot's is. The
stored result keeps six decimals and the ballot record exact fractions: those are the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from portal import figures
from portal.times import LONDON
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


@dataclass(frozen=True)
class SharesForPeople:
    """A counted vote's shares of the whole weight as people read them."""

    turnout: str
    # Each option's share; None where a secret ballot withheld it.
    totals: dict[str, str | None]


def shares_for_people(vote: Vote) -> SharesForPeople | None:
    """The counted vote's turnout and each option's share, as the result sentence words them;
    None while the vote is not counted."""
    stored = vote.result
    if stored is None or public.outcome(vote) is None:
        return None
    exact = public.result(vote)
    secret = vote.secrecy is BallotSecrecy.SECRET
    if exact is None:
        # Counted before the exact totals were kept: the stored six decimals are all there is.
        turnout = _stored(stored["turnout"]["weight_percent"])
        if not secret:
            return SharesForPeople(
                turnout=turnout,
                totals={
                    option: _stored(total["weight_percent"])
                    for option, total in stored["totals"].items()
                },
            )
    elif secret:
        quorum_weight = public.counted_record(vote).rules.quorum_weight
        pairs = [] if quorum_weight is None else [(exact.turnout_weight, quorum_weight)]
        turnout = figures.percent(exact.turnout_weight, figures.decimals_to_separate(pairs))
    else:
        decimals = wording.deciding_decimals(public.counted_record(vote), exact)
        return SharesForPeople(
            turnout=figures.percent(exact.turnout_weight, decimals),
            totals={
                option: figures.percent(total.weight, decimals)
                for option, total in exact.totals.items()
            },
        )
    published = (vote.published or {}).get("totals", {})
    return SharesForPeople(
        turnout=turnout,
        totals={
            option: _as_published((published.get(option) or {}).get("weight_percent"))
            for option in vote.options
        },
    )


def _stored(six_decimals: str) -> str:
    return figures.percent(Fraction(six_decimals) / 100)


def _as_published(shown: str | None) -> str | None:
    """A secret ballot's published share (``"54.9"``, ``"55"``, ``"50"``) as a percentage with
    the decimals it was published with, never more."""
    if shown is None:
        return None
    decimals = len(shown.partition(".")[2])
    return figures.percent(Fraction(shown) / 100, decimals)


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
            named=vote.organisation_ids is not None,
        ),
    )
