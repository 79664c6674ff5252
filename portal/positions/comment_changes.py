"""A comment's author changes or deletes it, for a short while after writing it.

For ``EDIT_WINDOW`` after a comment is added its author may change the text or delete it,
while the draft is still open for comments and nobody has resolved it. Every earlier text is
kept (``CommentChange``) and shown to the area's officers; everyone else sees that the comment
was edited, or that its author deleted it, and when. A deleted comment keeps no text of its own.

Services flush but never commit; each writes its audit entry and raises a ``DomainError``
whose message can be shown to the user.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from portal.accounts.models import User
from portal.audit.services import record
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.organisations.permissions import is_officer
from portal.positions import permissions
from portal.positions.models import Comment, CommentChange, CommentChangeKind, Position
from portal.positions.services import MAX_COMMENT

EDIT_WINDOW = timedelta(minutes=30)


def change_refusal(actor: Any, position: Position, comment: Comment, now: datetime) -> str | None:
    """Why ``actor`` may not change or delete ``comment`` now, or None if they may."""
    if not getattr(actor, "is_authenticated", False) or comment.author_id != actor.id:
        return "Only the person who wrote a comment can change or delete it"
    if comment.deleted_at is not None:
        return "This comment has been deleted"
    if comment.resolved_at is not None:
        return "This comment has been resolved, so it can no longer be changed"
    if not permissions.can_comment(actor, position):
        return "Comments are closed: the draft is no longer being written"
    if now >= comment.created_at + EDIT_WINDOW:
        minutes = int(EDIT_WINDOW.total_seconds() // 60)
        return f"A comment can be changed or deleted only within {minutes} minutes of writing it"
    return None


def may_change(actor: Any, position: Position, comment: Comment, now: datetime) -> bool:
    return change_refusal(actor, position, comment, now) is None


def can_see_history(user: Any, position: Position) -> bool:
    """The area's officers read what a comment said before it was changed or deleted."""
    return permissions.can_read_position(user, position) and is_officer(user, position.area)


def _check(actor: User, position: Position, comment: Comment, now: datetime) -> None:
    if comment.position_id != position.id:
        raise DomainError("That comment is not on this draft")
    db.session.refresh(comment, with_for_update=True)
    problem = change_refusal(actor, position, comment, now)
    if problem is None:
        return
    if comment.author_id != actor.id:
        raise NotPermitted(problem)
    if comment.deleted_at is not None or comment.resolved_at is not None:
        raise Conflict(problem)
    raise DomainError(problem)


def _where(comment: Comment) -> str:
    if comment.paragraph_index is None:
        return "the whole draft"
    return f"paragraph {comment.paragraph_index + 1}"


def edit_comment(
    actor: User, position: Position, comment: Comment, body_markdown: str, now: datetime
) -> None:
    """Replace the comment's text, keeping the earlier one for the officers."""
    _check(actor, position, comment, now)
    body = (body_markdown or "").strip()
    if not body:
        raise DomainError("Enter your comment")
    if len(body) > MAX_COMMENT:
        raise DomainError(f"The comment must be {MAX_COMMENT:,} characters or fewer")
    if body == comment.body_markdown:
        return
    comment.changes.append(
        CommentChange(
            kind=CommentChangeKind.EDITED,
            previous_markdown=comment.body_markdown,
            changed_by_id=actor.id,
            changed_at=now,
        )
    )
    comment.body_markdown = body
    comment.edited_at = now
    db.session.flush()
    record(
        "position.comment_edited",
        f"Comment on {_where(comment)} of {position.title} changed by its author",
        actor=actor,
        area=position.area,
        subject=position,
        details={"comment_id": comment.id},
    )


def delete_comment(actor: User, position: Position, comment: Comment, now: datetime) -> None:
    """Delete the comment: its place says so; its text is kept only for the officers."""
    _check(actor, position, comment, now)
    comment.changes.append(
        CommentChange(
            kind=CommentChangeKind.DELETED,
            previous_markdown=comment.body_markdown,
            changed_by_id=actor.id,
            changed_at=now,
        )
    )
    comment.body_markdown = ""
    comment.deleted_at = now
    db.session.flush()
    record(
        "position.comment_deleted",
        f"Comment on {_where(comment)} of {position.title} deleted by its author",
        actor=actor,
        area=position.area,
        subject=position,
        details={"comment_id": comment.id},
    )
