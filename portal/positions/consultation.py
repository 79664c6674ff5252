"""A consultation that consults: who is told, when, and the officers' controls over its end.

Members who may comment on the draft are emailed when the consultation opens, when its end
moves, and once a day before it closes (``send_closing_reminders``, a worker job). A draft is
never public, so, as the publication policy says of every tier but ``public``, the email
carries no title or text: only a link to the draft.

The drafting lead or an officer may change the end, end it early (the consultation closes at
once and the draft can go to the vote) or take the draft back to drafting. A warning is given
when the end falls after the ICS proposal's own response deadline.

Services flush but never commit, write the audit entry, queue their email in the same
transaction, and raise a ``DomainError`` whose message can be shown to the user.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from portal.accounts.models import Membership, User
from portal.audit.services import record
from portal.email_kinds import Kind
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.mail import queue_email
from portal.organisations.models import Organisation
from portal.positions import permissions
from portal.positions.models import Amendment, AmendmentState, Position, PositionState
from portal.times import LONDON, london_datetime
from portal.urls import external_url

REMINDER_BEFORE_CLOSE = timedelta(days=1)


def consultees(position: Position) -> list[User]:
    """Everyone who may comment on the draft: active group members of its area who may read
    it, by email address."""
    users = db.session.execute(
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(Organisation.area_id == position.area_id, User.active.is_(True))
        .distinct()
    ).scalars()
    return sorted(
        (user for user in users if permissions.can_participate(user, position)),
        key=lambda user: user.email,
    )


def _link(position: Position) -> str:
    return external_url("positions.position", area_slug=position.area.slug, position_id=position.id)


def _tell_consultees(position: Position, subject: str, opening: str) -> int:
    """One email to each consultee: a link, never the draft's title or text."""
    link = _link(position)
    people = consultees(position)
    for user in people:
        queue_email(
            user.email,
            subject,
            f"Dear {user.name},\n\n{opening}\n\nRead it, comment and propose amendments, "
            f"signed in:\n{link}\n\nThis email does not give the draft's title or text, "
            "because only members of the group may read it.\n",
            kind=Kind.DRAFTS,
            area=position.area,
        )
    return len(people)


def deadline_warning(position: Position, ends_at: datetime) -> str | None:
    """A warning when the consultation would end after the ICS's own response deadline."""
    proposal = position.proposal
    if proposal is None or proposal.response_deadline is None:
        return None
    last_day = ends_at.astimezone(LONDON).date()
    if last_day <= proposal.response_deadline:
        return None
    deadline = proposal.response_deadline
    return (
        f"The consultation would end on {london_datetime(ends_at)}, after the ICS's deadline "
        f"for responses to “{proposal.title}” ({deadline.day} {deadline:%B %Y}): the group's "
        "answer would be late"
    )


def notify_opened(position: Position) -> int:
    """Tell the members that the draft is out to consultation, and until when."""
    ends_at = position.consultation_ends_at
    assert ends_at is not None
    return _tell_consultees(
        position,
        "A draft position is open for your comments",
        "A draft position of your GP leadership group is open for consultation until "
        f"{london_datetime(ends_at)}.",
    )


def _check_lead(actor: User, position: Position, what: str) -> None:
    if not permissions.can_lead(actor, position):
        raise NotPermitted(f"Only the drafting lead and LMC officers can {what}")
    if position.state is not PositionState.CONSULTATION:
        raise Conflict("This draft is not in consultation")


def is_open(position: Position, now: datetime) -> bool:
    """In consultation, and its end not yet reached."""
    ends_at = position.consultation_ends_at
    return position.state is PositionState.CONSULTATION and ends_at is not None and now < ends_at


def vote_refusal(position: Position, now: datetime) -> str | None:
    """Why the draft cannot go to the vote yet, or None when "Put it to the vote" can be done.
    (Who may do it is the permissions' question.)"""
    if position.state not in permissions.OPEN_FOR_CHANGES:
        return "Only a draft being written can be put to the vote"
    if is_open(position, now):
        assert position.consultation_ends_at is not None
        return (
            "The vote can open when the consultation closes, on "
            f"{london_datetime(position.consultation_ends_at)}, or once it is ended early"
        )
    undecided = undecided_amendments(position)
    if undecided:
        paragraphs = ", ".join(str(a.paragraph_index + 1) for a in undecided)
        return (
            f"Decide the open amendments first (to paragraph {paragraphs}): the vote is on "
            "the final text"
        )
    return None


def undecided_amendments(position: Position) -> list[Amendment]:
    return list(
        db.session.execute(
            sa.select(Amendment)
            .where(
                Amendment.position_id == position.id,
                Amendment.state.in_([AmendmentState.PROPOSED, AmendmentState.PUT_TO_VOTE]),
            )
            .order_by(Amendment.id)
        ).scalars()
    )


def change_end(actor: User, position: Position, ends_at: datetime, now: datetime) -> None:
    """Move the end of a consultation (earlier or later); the members are told."""
    _check_lead(actor, position, "change the end of the consultation")
    if not is_open(position, now):
        raise Conflict("The consultation has closed: its end can no longer change")
    if ends_at <= now:
        raise DomainError("The consultation must end in the future: to end it now, end it early")
    previous = position.consultation_ends_at
    if previous == ends_at:
        raise DomainError("That is already when the consultation ends")
    position.consultation_ends_at = ends_at
    position.consultation_reminded_at = None  # a new end earns its own reminder
    db.session.flush()
    record(
        "position.consultation_end_changed",
        f"Consultation on {position.title} now ends {london_datetime(ends_at)}",
        actor=actor,
        area=position.area,
        subject=position,
        details={
            "from": previous.isoformat() if previous else None,
            "to": ends_at.isoformat(),
        },
    )
    _tell_consultees(
        position,
        "A consultation's closing time has changed",
        "The consultation on a draft position of your GP leadership group now closes on "
        f"{london_datetime(ends_at)}.",
    )


def end_early(actor: User, position: Position, now: datetime) -> None:
    """Close the consultation now: comments and amendments stop; the draft can go to the vote."""
    _check_lead(actor, position, "end the consultation")
    if not is_open(position, now):
        raise Conflict("The consultation has already closed")
    planned = position.consultation_ends_at
    assert planned is not None
    position.consultation_ends_at = now
    db.session.flush()
    record(
        "position.consultation_ended_early",
        f"Consultation on {position.title} ended early",
        actor=actor,
        area=position.area,
        subject=position,
        details={"planned_end": planned.isoformat(), "ended_at": now.isoformat()},
    )
    _tell_consultees(
        position,
        "A consultation has closed early",
        "The consultation on a draft position of your GP leadership group was closed early, "
        f"on {london_datetime(now)}, instead of {london_datetime(planned)}.",
    )


def back_to_drafting(actor: User, position: Position, now: datetime) -> None:
    """Take the draft out of consultation, back to drafting; comments made so far stay."""
    _check_lead(actor, position, "take the draft back to drafting")
    position.state = PositionState.DRAFTING
    position.consultation_ends_at = None
    position.consultation_reminded_at = None
    db.session.flush()
    record(
        "position.consultation_withdrawn",
        f"{position.title} taken out of consultation, back to drafting",
        actor=actor,
        area=position.area,
        subject=position,
        details={"at": now.isoformat()},
    )


def send_closing_reminders(now: datetime) -> int:
    """Once per end date, a day before a consultation closes, remind the members; the
    number of emails queued."""
    due = db.session.execute(
        sa.select(Position)
        .where(
            Position.state == PositionState.CONSULTATION,
            Position.consultation_reminded_at.is_(None),
            Position.consultation_ends_at > now,
            Position.consultation_ends_at <= now + REMINDER_BEFORE_CLOSE,
        )
        .order_by(Position.id)
    ).scalars()
    sent = 0
    for position in list(due):
        ends_at = position.consultation_ends_at
        assert ends_at is not None
        sent += _tell_consultees(
            position,
            "A consultation closes within a day",
            "The consultation on a draft position of your GP leadership group closes on "
            f"{london_datetime(ends_at)}. After that, nobody can comment or propose amendments.",
        )
        position.consultation_reminded_at = now
        record(
            "position.consultation_reminded",
            f"Members reminded that the consultation on {position.title} closes soon",
            actor=None,
            area=position.area,
            subject=position,
            details={"ends_at": ends_at.isoformat()},
        )
    db.session.flush()
    return sent
