"""Amendments to a position's text: proposed by members during drafting or consultation, then
accepted or rejected by the drafting lead, or after a vote on them.
"""

from __future__ import annotations

import logging
from datetime import datetime

from portal.accounts.models import User
from portal.audit.services import record
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.markdown import markdown_paragraphs
from portal.positions import permissions
from portal.positions.drafting import (
    add_revision,
    check_paragraph,
    refuse_after_consultation,
    refuse_unless_open_for_changes,
)
from portal.positions.models import Amendment, AmendmentState, Position, Revision
from portal.positions.services import MAX_BODY, MAX_COMMENT, WorkflowError
from portal.voting import public as voting_public
from portal.voting.models import Vote, VoteState

log = logging.getLogger(__name__)


def propose_amendment(
    actor: User,
    position: Position,
    *,
    paragraph_index: int,
    replacement_markdown: str,
    reason: str,
    now: datetime,
) -> Amendment:
    if not permissions.can_participate(actor, position):
        raise NotPermitted("Only members of the group who can read this draft can propose changes")
    if position.state not in permissions.OPEN_FOR_CHANGES:
        raise WorkflowError("Amendments are closed: the draft is no longer being written")
    refuse_after_consultation(position, now, "amendments are closed")
    revision = position.latest
    check_paragraph(revision, paragraph_index)
    replacement = (replacement_markdown or "").replace("\r\n", "\n").strip()
    if not replacement:
        raise DomainError("Enter the text that should replace the paragraph")
    if len(replacement) > MAX_BODY:
        raise DomainError("The replacement text is too long")
    if replacement == markdown_paragraphs(revision.body_markdown)[paragraph_index]:
        raise DomainError("The replacement is the same as the paragraph")
    if not (reason or "").strip():
        raise DomainError("Give a reason for the change")
    amendment = Amendment(
        position_id=position.id,
        revision_id=revision.id,
        paragraph_index=paragraph_index,
        replacement_markdown=replacement,
        reason=reason.strip()[:MAX_COMMENT],
        proposer_id=actor.id,
        created_at=now,
        state=AmendmentState.PROPOSED,
    )
    db.session.add(amendment)
    db.session.flush()
    record(
        "position.amendment_proposed",
        f"Amendment proposed to paragraph {paragraph_index + 1} of {position.title}",
        actor=actor,
        area=position.area,
        subject=position,
        details={"amendment_id": amendment.id, "revision": revision.number},
    )
    return amendment


def original_paragraph(amendment: Amendment) -> str:
    paragraphs = markdown_paragraphs(amendment.revision.body_markdown)
    return paragraphs[amendment.paragraph_index]


def amended_body(amendment: Amendment, latest: Revision) -> str:
    """The latest text with the amendment's paragraph replaced.

    Against a later revision than the one the amendment was proposed on, the paragraph is
    found by its text: exactly one paragraph must still read as it did.
    """
    paragraphs = markdown_paragraphs(latest.body_markdown)
    original = original_paragraph(amendment)
    if latest.id == amendment.revision_id:
        index = amendment.paragraph_index
    else:
        matches = [i for i, paragraph in enumerate(paragraphs) if paragraph == original]
        if len(matches) != 1:
            raise Conflict(
                f"Paragraph {amendment.paragraph_index + 1} has changed since this amendment "
                "was proposed: reject it, or ask for a new one on the current text"
            )
        index = matches[0]
    paragraphs[index] = amendment.replacement_markdown
    return "\n\n".join(paragraphs)


def check_amendment(actor: User, position: Position, amendment: Amendment) -> None:
    if amendment.position_id != position.id:
        raise DomainError("That amendment is not on this draft")
    if not permissions.can_lead(actor, position):
        raise NotPermitted("Only the drafting lead and LMC officers can decide amendments")
    if amendment.state not in (AmendmentState.PROPOSED, AmendmentState.PUT_TO_VOTE):
        raise Conflict("This amendment has already been decided")


def amendment_vote_outcome(amendment: Amendment) -> str | None:
    """The outcome of the vote on the amendment once it has closed (``cancelled`` for a vote
    called off), else None."""
    if amendment.vote_id is None:
        return None
    vote = db.session.get(Vote, amendment.vote_id)
    if vote is not None and vote.state is VoteState.CANCELLED:
        return "cancelled"
    return voting_public.outcome(vote)


def accept_amendment(
    actor: User, position: Position, amendment: Amendment, now: datetime
) -> Revision:
    check_amendment(actor, position, amendment)
    refuse_unless_open_for_changes(position)
    if amendment.state is AmendmentState.PUT_TO_VOTE:
        outcome = amendment_vote_outcome(amendment)
        if outcome is None:
            raise WorkflowError("The vote on this amendment has not closed yet")
        if outcome != "passed":
            raise WorkflowError("The vote on this amendment did not pass: reject it instead")
    latest = position.latest
    body = amended_body(amendment, latest)
    revision = add_revision(actor, position, latest, latest.title, body, now)
    amendment.state = AmendmentState.ACCEPTED
    amendment.decided_by_id = actor.id
    amendment.decided_at = now
    amendment.resulting_revision_id = revision.id
    db.session.flush()
    record(
        "position.amendment_accepted",
        f"Amendment to paragraph {amendment.paragraph_index + 1} of {position.title} accepted "
        f"as revision {revision.number}",
        actor=actor,
        area=position.area,
        subject=position,
        details={"amendment_id": amendment.id, "revision": revision.number},
    )
    return revision


def reject_amendment(
    actor: User, position: Position, amendment: Amendment, reason: str, now: datetime
) -> None:
    check_amendment(actor, position, amendment)
    if not (reason or "").strip():
        raise DomainError("Give the reason for rejecting the amendment")
    if amendment.state is AmendmentState.PUT_TO_VOTE:
        vote = db.session.get(Vote, amendment.vote_id) if amendment.vote_id else None
        if vote is not None and vote.state is VoteState.OPEN:
            raise WorkflowError("The vote on this amendment is still open")
    amendment.state = AmendmentState.REJECTED
    amendment.decision_reason = reason.strip()[:MAX_COMMENT]
    amendment.decided_by_id = actor.id
    amendment.decided_at = now
    db.session.flush()
    record(
        "position.amendment_rejected",
        f"Amendment to paragraph {amendment.paragraph_index + 1} of {position.title} rejected",
        actor=actor,
        area=position.area,
        subject=position,
        details={"amendment_id": amendment.id},
    )
