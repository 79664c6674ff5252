"""The vote as a ballot record (``gp-collective-voice/ballot-record@1``), the form
``portal.voting.rules`` counts, and the exact totals stored beside the result.
"""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal
from fractions import Fraction
from typing import Any

import sqlalchemy as sa

from portal.extensions import db
from portal.voting import rules as counting
from portal.voting.models import Ballot, Vote


def pseudonym(vote: Vote, ods_code: str) -> str:
    digest = hmac.new(vote.pseudonym_key.encode(), ods_code.encode(), hashlib.sha256)
    return f"V{vote.id}-{digest.hexdigest()[:10].upper()}"


def _number(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return format(value.normalize(), "f")


def ballot_record_data(
    vote: Vote, ballots: list[Ballot] | None = None, *, pseudonymise: bool = False
) -> dict[str, Any]:
    """The vote as a ballot record (``gp-collective-voice/ballot-record@1``)."""
    if ballots is None:
        ballots = list(
            db.session.execute(
                sa.select(Ballot).where(Ballot.vote_id == vote.id).order_by(Ballot.id)
            ).scalars()
        )
    codes = {member.organisation_id: member.ods_code for member in vote.electorate}

    def voter_id(code: str) -> str:
        return pseudonym(vote, code) if pseudonymise else code

    electorate = [
        {
            "id": voter_id(member.ods_code),
            "kind": member.kind,
            "list_size": member.list_size,
            "weighted_list_size": _number(member.weighted_list_size),
            "weight": _number(member.fixed_weight),
            "recused": member.recused,
        }
        for member in vote.electorate
    ]
    ballot_entries = [
        {
            "voter": voter_id(codes[ballot.organisation_id]),
            "choice": ballot.choice,
            "origin": ballot.origin.value,
        }
        for ballot in ballots
    ]
    if pseudonymise:
        # Sorted, so the order of the record says nothing about the order of voting.
        electorate.sort(key=lambda entry: str(entry["id"]))
        ballot_entries.sort(key=lambda entry: str(entry["voter"]))
    return {
        "format": counting.FORMAT,
        "vote": {"title": vote.title, "kind": vote.kind.value, "options": list(vote.options)},
        "rules": vote.rules,
        "electorate": electorate,
        "ballots": ballot_entries,
    }


def exact_totals(result: counting.Result) -> dict[str, Any]:
    """The exact weight behind each option and the turnout, as "p/q" strings."""

    def exact(value: Fraction) -> str:
        return f"{value.numerator}/{value.denominator}"

    return {
        "totals": {option: exact(total.weight) for option, total in result.totals.items()},
        "turnout_weight": exact(result.turnout_weight),
    }
