"""Chasing a live vote: how many have voted so far (counts only, never how), which
organisations have not voted with the people who cast their ballot, and a reminder to them.

Who has voted is not secret, even in a secret ballot; how they voted is, so nothing here
reads a ballot's choice. A reminder may be sent once per ``CHASE_COOLDOWN`` for each vote,
so a busy partner is not emailed again and again; each is kept in ``vote_chases``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Membership, User
from portal.audit.services import record
from portal.database import UTCDateTime, utcnow
from portal.email_kinds import Kind
from portal.errors import Conflict, NotPermitted
from portal.extensions import Model, db
from portal.mail import queue_email
from portal.names import display_name
from portal.organisations.models import Organisation
from portal.timewords import clock, moment_in_words
from portal.urls import external_url
from portal.voting import mail_text
from portal.voting.models import Ballot, ElectorateMember, Vote, VoteState
from portal.voting.permissions import CASTING_ROLE, can_manage_votes

CHASE_COOLDOWN = timedelta(hours=1)


class VoteChase(Model):
    """A reminder an officer sent to the organisations that had not voted yet."""

    __tablename__ = "vote_chases"

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("votes.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    organisations: Mapped[int]
    recipients: Mapped[int]

    sent_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("organisations >= 0", name="organisations_not_negative"),
        sa.CheckConstraint("recipients >= 0", name="recipients_not_negative"),
        sa.Index("ix_vote_chases_vote_sent", "vote_id", "sent_at"),
    )


@dataclass(frozen=True)
class KindTurnout:
    kind: str
    eligible: int
    voted: int


@dataclass(frozen=True)
class Waiting:
    member: ElectorateMember
    organisation: Organisation
    casters: list[User]


@dataclass(frozen=True)
class ChaseList:
    eligible: int
    voted: int
    by_kind: list[KindTurnout]
    waiting: list[Waiting]
    last_chase: VoteChase | None

    def next_chase_at(self) -> datetime | None:
        return self.last_chase.sent_at + CHASE_COOLDOWN if self.last_chase else None


def chase_list(vote: Vote) -> ChaseList:
    """Turnout so far as counts, and who has not voted with the people who cast for them."""
    voted_ids = set(
        db.session.execute(
            sa.select(Ballot.organisation_id).where(Ballot.vote_id == vote.id)
        ).scalars()
    )
    members = [member for member in vote.electorate if not member.recused]
    kinds = sorted({member.kind for member in members})
    by_kind = [
        KindTurnout(
            kind,
            sum(1 for m in members if m.kind == kind),
            sum(1 for m in members if m.kind == kind and m.organisation_id in voted_ids),
        )
        for kind in kinds
    ]
    not_voted = [m for m in members if m.organisation_id not in voted_ids]
    casters = _casters({member.organisation_id for member in not_voted})
    waiting = [
        Waiting(member, member.organisation, casters.get(member.organisation_id, []))
        for member in sorted(not_voted, key=lambda m: (m.kind, m.name))
    ]
    return ChaseList(
        len(members),
        sum(1 for m in members if m.organisation_id in voted_ids),
        by_kind,
        waiting,
        last_chase(vote),
    )


def last_chase(vote: Vote) -> VoteChase | None:
    return db.session.execute(
        sa.select(VoteChase)
        .where(VoteChase.vote_id == vote.id)
        .order_by(VoteChase.sent_at.desc(), VoteChase.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _casters(organisation_ids: set[int]) -> dict[int, list[User]]:
    """The active people who cast each organisation's ballot (its GP partners, a PCN's
    clinical directors), by name."""
    found: dict[int, list[User]] = {}
    if not organisation_ids:
        return found
    memberships = db.session.execute(
        sa.select(Membership)
        .join(Membership.user)
        .where(Membership.organisation_id.in_(organisation_ids), User.active.is_(True))
        .order_by(User.name, User.id)
    ).scalars()
    for membership in memberships:
        if CASTING_ROLE.get(membership.organisation.kind) is membership.role:
            found.setdefault(membership.organisation_id, []).append(membership.user)
    return found


def send_chase(actor: User, vote: Vote, now: datetime) -> VoteChase:
    """Email everyone who casts a ballot for an organisation that has not voted yet."""
    if not can_manage_votes(actor, vote.area):
        raise NotPermitted("Only LMC officers and area administrators can send reminders")
    # One reminder at a time per vote: the vote row is locked until the request commits.
    db.session.execute(sa.select(Vote.id).where(Vote.id == vote.id).with_for_update())
    db.session.refresh(vote)
    if vote.state is not VoteState.OPEN or now >= vote.closes_at:
        raise Conflict("Reminders can only be sent while the vote is open")
    previous = last_chase(vote)
    if previous is not None and now < previous.sent_at + CHASE_COOLDOWN:
        raise Conflict(
            f"A reminder was sent at {clock(previous.sent_at)}. The next can be sent at "
            f"{clock(previous.sent_at + CHASE_COOLDOWN)}, so nobody is emailed too often."
        )
    waiting = chase_list(vote).waiting
    if not waiting:
        raise Conflict("Every organisation has voted: there is nobody to remind")
    link = external_url("voting.vote", area_slug=vote.area.slug, vote_id=vote.id)
    organisations_of: dict[str, list[str]] = {}
    people: dict[str, User] = {}
    for item in waiting:
        for person in item.casters:
            people[person.email] = person
            organisations_of.setdefault(person.email, []).append(display_name(item.member.name))
    closing = moment_in_words(vote.closes_at, now)
    for email, names in sorted(organisations_of.items()):
        queue_email(
            email,
            f"Reminder: {mail_text.named(vote)} {closing}",
            f"Dear {people[email].name},\n\n{' and '.join(names)} "
            f"{'has' if len(names) == 1 else 'have'} not voted yet on:\n\n"
            f"{mail_text.text(vote, vote.question)}\n\n"
            f"Voting {closing} (London time). Cast the ballot here:\n{link}\n",
            kind=Kind.REMINDERS,
            area=vote.area,
        )
    emailed = organisations_of.keys()
    chase = VoteChase(
        vote_id=vote.id,
        sent_at=now,
        sent_by_id=actor.id,
        organisations=len(waiting),
        recipients=len(emailed),
    )
    db.session.add(chase)
    record(
        "vote.chased",
        f"Reminder sent for {vote.title} to {len(waiting)} organisations not yet voted",
        actor=actor,
        area=vote.area,
        subject=vote,
        details={"organisations_waiting": len(waiting), "people_emailed": len(emailed)},
    )
    db.session.flush()
    return chase
