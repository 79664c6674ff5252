"""What opening a vote will do, shown on the officer's check page before it is done.

Read-only: it counts the organisations the vote would freeze into its electorate and the
people who would be emailed, exactly as ``services.open_vote`` will choose them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from portal.extensions import db
from portal.voting import notices, services
from portal.voting.models import ConflictDeclaration, ConflictRuling, Vote


@dataclass(frozen=True)
class OpeningPreview:
    organisations: int
    recused: int
    people: int
    opens_in_past: bool


def preview(vote: Vote, now: datetime) -> OpeningPreview:
    organisations = services.eligible_organisations(vote)
    recused = set(
        db.session.execute(
            sa.select(ConflictDeclaration.organisation_id).where(
                ConflictDeclaration.vote_id == vote.id,
                ConflictDeclaration.ruling == ConflictRuling.RECUSED,
            )
        ).scalars()
    )
    voting = {o.id for o in organisations} - recused
    return OpeningPreview(
        organisations=len(voting),
        recused=len(recused & {o.id for o in organisations}),
        people=len(notices.casting_users(vote, voting)),
        opens_in_past=vote.opens_at < now,
    )
