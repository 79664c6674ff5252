"""A position's way to a decision: drafting -> consultation -> voting -> agreed or not agreed,
and back to drafting after a vote that did not pass; amendments put to a vote of their own.
Votes are created and opened through ``portal.voting.services``, never by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from portal.accounts.models import User
from portal.audit.services import record
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.organisations.models import Organisation, OrganisationKind
from portal.positions import consultation, permissions
from portal.positions.amendments import check_amendment, original_paragraph
from portal.positions.models import Amendment, AmendmentState, Position, PositionState
from portal.positions.services import MAX_QUESTION, MAX_TITLE, WorkflowError
from portal.times import london_datetime
from portal.voting import rules as counting
from portal.voting import services as voting
from portal.voting.models import BallotSecrecy, Vote, VoteKind
from portal.voting.signals import vote_cancelled, vote_closed


@dataclass(frozen=True)
class VoteSettings:
    """What the lead chooses when putting something to the vote; the rest follows from it."""

    secrecy: BallotSecrecy
    voting_kinds: list[str]
    closes_at: datetime
    rules: dict[str, Any]


def open_consultation(actor: User, position: Position, ends_at: datetime, now: datetime) -> None:
    if not permissions.can_lead(actor, position):
        raise NotPermitted("Only the drafting lead and LMC officers can open the consultation")
    if position.state is not PositionState.DRAFTING:
        raise WorkflowError("Only a draft being written can go out to consultation")
    if ends_at <= now:
        raise DomainError("The consultation must end in the future")
    position.state = PositionState.CONSULTATION
    position.consultation_ends_at = ends_at
    position.consultation_reminded_at = None
    db.session.flush()
    record(
        "position.consultation_opened",
        f"Consultation opened on {position.title}",
        actor=actor,
        area=position.area,
        subject=position,
        details={"ends_at": ends_at.isoformat(), "revision": position.latest.number},
    )
    consultation.notify_opened(position)


def voting_organisations(position: Position, voting_kinds: list[str]) -> int:
    """How many organisations of these kinds a vote of the position's area would email."""
    kinds = [OrganisationKind(kind) for kind in voting_kinds]
    return int(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Organisation)
            .where(
                Organisation.area_id == position.area_id,
                Organisation.kind.in_(kinds),
                Organisation.closed_on.is_(None),
            )
        )
        or 0
    )


def _undecided_amendments(position: Position) -> list[Amendment]:
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


def _vote_details(
    settings: VoteSettings,
    position: Position,
    *,
    title: str,
    question: str,
    body: str,
    now: datetime,
    proposal_id: int | None,
) -> voting.VoteDetails:
    """The vote takes the draft's tier: only the draft's readers see it or its emails' text."""
    return voting.VoteDetails(
        title=title[:MAX_TITLE],
        question=question,
        body_markdown=body,
        kind=VoteKind.MOTION,
        secrecy=settings.secrecy,
        options=[],
        voting_kinds=list(settings.voting_kinds),
        pcn_codes=None,
        opens_at=now,
        closes_at=settings.closes_at,
        rules=settings.rules,
        proposal_id=proposal_id,
        tier=position.tier.value,
    )


def open_position_vote(
    actor: User, position: Position, settings: VoteSettings, now: datetime
) -> Vote:
    """Freeze the latest revision and put it to a weighted vote of the group."""
    if not permissions.can_lead(actor, position):
        raise NotPermitted("Only the drafting lead and LMC officers can open the vote")
    if position.state not in permissions.OPEN_FOR_CHANGES:
        raise WorkflowError("Only a draft being written can be put to the vote")
    ends_at = position.consultation_ends_at
    if position.state is PositionState.CONSULTATION and ends_at and now < ends_at:
        raise WorkflowError(
            f"Members may comment until {london_datetime(ends_at)}: "
            "the vote can open when the consultation has closed"
        )
    undecided = _undecided_amendments(position)
    if undecided:
        paragraphs = ", ".join(str(a.paragraph_index + 1) for a in undecided)
        raise WorkflowError(
            f"Decide the open amendments first (to paragraph {paragraphs}): the vote is on "
            "the final text"
        )
    revision = position.latest
    vote = voting.create_vote(
        actor,
        position.area,
        _vote_details(
            settings,
            position,
            title=revision.title,
            question=f"Should the group agree this position: {revision.title}?",
            body=revision.body_markdown,
            now=now,
            proposal_id=position.proposal_id,
        ),
        authorised=True,
    )
    voting.open_vote(actor, vote, now, authorised=True)
    position.vote_id = vote.id
    position.voted_revision_number = revision.number
    position.state = PositionState.VOTING
    db.session.flush()
    record(
        "position.vote_opened",
        f"Vote opened on revision {revision.number} of {revision.title}",
        actor=actor,
        area=position.area,
        subject=position,
        details={"vote_id": vote.id, "revision": revision.number},
    )
    return vote


def _single_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())


def amendment_question(amendment: Amendment) -> str:
    """'Should paragraph N be replaced by: "..."?', shortened to fit a vote's question."""
    start = f"Should paragraph {amendment.paragraph_index + 1} be replaced by: \u201c"
    replacement = _single_line(amendment.replacement_markdown)
    end = "\u201d?"
    if len(start) + len(replacement) + len(end) > MAX_QUESTION:
        end = "\u2026\u201d (in full below)?"
        replacement = replacement[: MAX_QUESTION - len(start) - len(end)].rstrip()
    return f"{start}{replacement}{end}"


def put_amendment_to_vote(
    actor: User, position: Position, amendment: Amendment, settings: VoteSettings, now: datetime
) -> Vote:
    check_amendment(actor, position, amendment)
    if amendment.state is not AmendmentState.PROPOSED:
        raise Conflict("This amendment has already been put to the vote")
    if position.state not in permissions.OPEN_FOR_CHANGES:
        raise WorkflowError("Amendments can be voted on only while the draft is being written")
    number = amendment.paragraph_index + 1
    proposer = amendment.proposer.name if amendment.proposer else "A member"
    body = (
        f"An amendment to paragraph {number} of the draft position "
        f"**{_single_line(position.title)}** (revision {amendment.revision.number}).\n\n"
        f"The paragraph now reads:\n\n{_quoted(original_paragraph(amendment))}\n\n"
        f"The amendment would replace it with:\n\n{_quoted(amendment.replacement_markdown)}\n\n"
        f"{proposer} gave this reason:\n\n{_quoted(amendment.reason)}"
    )
    vote = voting.create_vote(
        actor,
        position.area,
        _vote_details(
            settings,
            position,
            title=f"Amendment to paragraph {number}: {position.title}",
            question=amendment_question(amendment),
            body=body,
            now=now,
            proposal_id=position.proposal_id,
        ),
        authorised=True,
    )
    voting.open_vote(actor, vote, now, authorised=True)
    amendment.state = AmendmentState.PUT_TO_VOTE
    amendment.vote_id = vote.id
    db.session.flush()
    record(
        "position.amendment_put_to_vote",
        f"Amendment to paragraph {number} of {position.title} put to the vote",
        actor=actor,
        area=position.area,
        subject=position,
        details={"amendment_id": amendment.id, "vote_id": vote.id},
    )
    return vote


def _position_voted_on(vote: Vote) -> Position | None:
    """The position whose vote this is, while it waits for the outcome."""
    return db.session.execute(
        sa.select(Position).where(
            Position.vote_id == vote.id, Position.state == PositionState.VOTING
        )
    ).scalar_one_or_none()


def _follow_outcome(position: Position, vote: Vote, outcome: str) -> None:
    """A passed motion makes the position agreed; any other outcome, or a cancelled vote,
    makes it not agreed."""
    agreed = outcome == "passed"
    position.state = PositionState.AGREED if agreed else PositionState.NOT_AGREED
    db.session.flush()
    record(
        "position.agreed" if agreed else "position.not_agreed",
        f"{position.title} {'agreed' if agreed else 'not agreed'} (vote outcome: {outcome})",
        actor=None,
        area=position.area,
        subject=position,
        details={"vote_id": vote.id, "revision": position.voted_revision_number},
    )


# Voting tells positions, in the transaction that counts or cancels the vote, so a position
# follows its vote however the vote was closed (the worker, cron) and no page view writes.
@vote_closed.connect
def follow_closed_vote(vote: Vote, *, result: counting.Result, **_: Any) -> None:
    position = _position_voted_on(vote)
    if position is not None:
        _follow_outcome(position, vote, result.outcome)


@vote_cancelled.connect
def follow_cancelled_vote(vote: Vote, **_: Any) -> None:
    position = _position_voted_on(vote)
    if position is not None:
        _follow_outcome(position, vote, "cancelled")


def return_to_drafting(actor: User, position: Position, now: datetime) -> None:
    """After a vote that did not pass, another round of drafting on the same position."""
    if not permissions.can_lead(actor, position):
        raise NotPermitted("Only the drafting lead and LMC officers can reopen drafting")
    if position.state is not PositionState.NOT_AGREED:
        raise WorkflowError("Only a position that was not agreed can go back to drafting")
    position.state = PositionState.DRAFTING
    position.consultation_ends_at = None
    db.session.flush()
    record(
        "position.returned_to_drafting",
        f"{position.title} returned to drafting for another round",
        actor=actor,
        area=position.area,
        subject=position,
        details={"previous_vote_id": position.vote_id, "at": now.isoformat()},
    )
