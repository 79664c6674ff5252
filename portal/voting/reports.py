"""What the results pages report beside the outcome: each member's exact share of the weight,
how each kind of organisation voted, and the ballots as CSV.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from dataclasses import dataclass
from fractions import Fraction

import sqlalchemy as sa

from portal.extensions import db
from portal.spreadsheets import spreadsheet_safe
from portal.voting import rules as counting
from portal.voting.ballot_record import ballot_record_data
from portal.voting.models import Ballot, BallotSecrecy, ElectorateMember, Vote, VoteState
from portal.voting.services import VOTING_KINDS

# Below this many voters a secret ballot's breakdown could point at who voted how.
SMALLEST_SHOWN_GROUP = 5


@dataclass(frozen=True)
class WeightRow:
    member: ElectorateMember
    share: Fraction | None


def weight_table(vote: Vote) -> list[WeightRow]:
    """Each member's exact share, from the same code that counts the vote."""
    parsed = counting.parse_record(ballot_record_data(vote, ballots=[]))
    shares = counting.compute_shares(parsed.electorate, parsed.rules)
    return [WeightRow(member, shares.get(member.ods_code)) for member in vote.electorate]


@dataclass(frozen=True)
class KindBreakdown:
    kind: str
    eligible: int
    voted: int
    by_option: dict[str, int]
    hidden: bool


def breakdown_by_kind(vote: Vote) -> list[KindBreakdown]:
    """How each kind of organisation voted; a secret ballot hides groups of fewer than 5."""
    secret_and_over = vote.secrecy is BallotSecrecy.SECRET and vote.state is not VoteState.OPEN
    if secret_and_over or vote.records_removed_at is not None:
        # Its ballots are gone (at close for a secret ballot, at the end of the retention
        # period for any): only who voted is known, and how each kind voted is withheld.
        rows = []
        for kind in VOTING_KINDS:
            members = [m for m in vote.electorate if m.kind == kind and not m.recused]
            if members:
                voted = sum(1 for m in members if m.voted)
                rows.append(KindBreakdown(kind, len(members), voted, {}, hidden=True))
        return rows
    ballots = list(db.session.execute(sa.select(Ballot).where(Ballot.vote_id == vote.id)).scalars())
    kind_of = {member.organisation_id: member.kind for member in vote.electorate}
    rows = []
    for kind in VOTING_KINDS:
        members = [m for m in vote.electorate if m.kind == kind and not m.recused]
        if not members:
            continue
        cast = [ballot for ballot in ballots if kind_of.get(ballot.organisation_id) == kind]
        by_option = {option: sum(1 for b in cast if b.choice == option) for option in vote.options}
        hidden = vote.secrecy is BallotSecrecy.SECRET and len(cast) < SMALLEST_SHOWN_GROUP
        rows.append(KindBreakdown(kind, len(members), len(cast), by_option, hidden))
    # The totals less the kinds shown would reveal a hidden kind, so one hidden hides all.
    if any(row.hidden for row in rows):
        rows = [dataclasses.replace(row, hidden=True) for row in rows]
    return rows


def ballots_csv(vote: Vote) -> str:
    """One row per ballot of the stored record, with each voter's share of the weight; a
    secret ballot's record (@2) names no voter, so its rows are a share and a choice."""
    data = json.loads(vote.ballot_record or "{}")
    shares = (vote.result or {}).get("shares", {})
    out = io.StringIO()
    writer = csv.writer(out)
    if data.get("format") == counting.SECRET_FORMAT:
        writer.writerow(["share_percent", "choice"])
        for ballot in data.get("ballots", []):
            share = counting.to_fraction(ballot["share"], "share")
            writer.writerow([counting.percent(share), spreadsheet_safe(ballot["choice"])])
        return out.getvalue()
    writer.writerow(["voter", "kind", "choice", "share_percent"])
    kinds = {entry["id"]: entry["kind"] for entry in data.get("electorate", [])}
    for ballot in data.get("ballots", []):
        writer.writerow(
            [
                spreadsheet_safe(ballot["voter"]),
                kinds.get(ballot["voter"], ""),
                spreadsheet_safe(ballot["choice"]),
                shares.get(ballot["voter"], ""),
            ]
        )
    return out.getvalue()
