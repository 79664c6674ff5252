"""The emails a vote sends its electorate: on opening, closing and cancelling, and the
reminder 24 hours before it closes to those who have not voted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from portal.accounts.models import Membership, User
from portal.audit.services import record
from portal.extensions import db
from portal.mail import queue_email
from portal.notifications.kinds import Kind
from portal.urls import external_url
from portal.voting.guards import london
from portal.voting.models import Ballot, Vote, VoteState
from portal.voting.permissions import CASTING_ROLE

REMINDER_BEFORE_CLOSE = timedelta(hours=24)


def casting_users(vote: Vote, organisation_ids: set[int]) -> dict[str, User]:
    """Everyone who may cast a ballot for one of these organisations, by email."""
    users: dict[str, User] = {}
    memberships = db.session.execute(
        sa.select(Membership)
        .join(Membership.organisation)
        .join(Membership.user)
        .where(Membership.organisation_id.in_(organisation_ids), User.active.is_(True))
    ).scalars()
    for membership in memberships:
        if CASTING_ROLE.get(membership.organisation.kind) is membership.role:
            users[membership.user.email] = membership.user
    return users


def notify_electorate(vote: Vote, subject: str, body: str, kind: Kind) -> None:
    """Email everyone who may cast a ballot for the electorate; ``kind`` lets each choose
    how they get it (a result can be held for a digest, never turned off)."""
    eligible = {member.organisation_id for member in vote.electorate if not member.recused}
    for email, user in sorted(casting_users(vote, eligible).items()):
        queue_email(email, subject, f"Dear {user.name},\n\n{body}", kind=kind, area=vote.area)


def send_reminders(now: datetime) -> int:
    """Email those who have not voted, once, when a vote closes within 24 hours."""
    sent = 0
    due = db.session.execute(
        sa.select(Vote).where(
            Vote.state == VoteState.OPEN,
            Vote.reminder_sent_at.is_(None),
            Vote.closes_at > now,
            Vote.closes_at <= now + REMINDER_BEFORE_CLOSE,
        )
    ).scalars()
    for vote in due:
        voted = set(
            db.session.execute(
                sa.select(Ballot.organisation_id).where(Ballot.vote_id == vote.id)
            ).scalars()
        )
        waiting = {
            member.organisation_id
            for member in vote.electorate
            if not member.recused and member.organisation_id not in voted
        }
        for email, user in sorted(casting_users(vote, waiting).items()):
            queue_email(
                email,
                f"Reminder: {vote.title} closes on {london(vote.closes_at)}",
                f"Dear {user.name},\n\nYour organisation has not yet voted on:\n\n"
                f"{vote.question}\n\nCast its ballot before {london(vote.closes_at)}:\n"
                f"{external_url('voting.vote', area_slug=vote.area.slug, vote_id=vote.id)}\n",
                kind=Kind.REMINDERS,
                area=vote.area,
            )
            sent += 1
        vote.reminder_sent_at = now
        record(
            "vote.reminded",
            f"Reminders sent for {vote.title}",
            actor=None,
            area=vote.area,
            subject=vote,
            details={"organisations_waiting": len(waiting)},
        )
    db.session.flush()
    return sent
