"""A comment's author changes or deletes it within 30 minutes; officers keep its history
(issue 17, point 8)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal.audit.models import AuditEntry
from portal.database import utcnow
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.positions import comment_changes, drafting
from portal.positions.models import Comment, CommentChange, CommentChangeKind, PositionState
from tests.positions.conftest import draft


def _comment(world, position, author: str = "partner2", body: str = "First thoughts.", at=None):
    comment = drafting.add_comment(
        world.people[author],
        position,
        body_markdown=body,
        paragraph_index=1,
        now=at or utcnow(),
    )
    db.session.commit()
    return comment


def _actions() -> list[str]:
    return list(
        db.session.execute(
            sa.select(AuditEntry.action)
            .where(AuditEntry.action.like("position.comment_%"))
            .order_by(AuditEntry.sequence)
        ).scalars()
    )


def test_the_author_edits_within_the_window_and_the_officers_keep_the_old_text(world):
    position = draft(world)
    comment = _comment(world, position)
    author = world.people["partner2"]
    comment_changes.edit_comment(author, position, comment, "  Second thoughts.  ", utcnow())
    db.session.commit()
    assert comment.body_markdown == "Second thoughts."
    assert comment.edited_at is not None
    (change,) = comment.changes
    assert change.kind is CommentChangeKind.EDITED
    assert change.previous_markdown == "First thoughts."
    assert change.changed_by_id == author.id
    assert _actions() == ["position.comment_added", "position.comment_edited"]
    # Saving the same text again changes nothing and records nothing.
    comment_changes.edit_comment(author, position, comment, "Second thoughts.", utcnow())
    assert len(comment.changes) == 1
    assert comment_changes.can_see_history(world.people["officer"], position)
    assert comment_changes.can_see_history(world.people["admin"], position)
    assert not comment_changes.can_see_history(author, position)
    assert not comment_changes.can_see_history(world.people["outsider"], position)


def test_a_deleted_comment_keeps_no_text_of_its_own(world):
    position = draft(world)
    comment = _comment(world, position)
    comment_changes.delete_comment(world.people["partner2"], position, comment, utcnow())
    db.session.commit()
    assert comment.body_markdown == ""
    assert comment.deleted_at is not None
    assert [c.kind for c in comment.changes] == [CommentChangeKind.DELETED]
    assert comment.changes[0].previous_markdown == "First thoughts."
    assert _actions()[-1] == "position.comment_deleted"
    with pytest.raises(Conflict, match="deleted"):
        comment_changes.edit_comment(
            world.people["partner2"], position, comment, "Back again", utcnow()
        )


def test_after_30_minutes_the_comment_stands(world):
    position = draft(world)
    written = utcnow() - timedelta(minutes=30)
    comment = _comment(world, position, at=written)
    author = world.people["partner2"]
    assert comment_changes.may_change(author, position, comment, written + timedelta(minutes=29))
    assert not comment_changes.may_change(author, position, comment, utcnow())
    with pytest.raises(DomainError, match="within 30 minutes"):
        comment_changes.delete_comment(author, position, comment, utcnow())
    db.session.rollback()
    assert db.session.get(Comment, comment.id).deleted_at is None


def test_only_the_author_changes_a_comment(world):
    position = draft(world)
    comment = _comment(world, position)
    for someone in ("partner", "officer", "admin"):
        assert not comment_changes.may_change(world.people[someone], position, comment, utcnow())
        with pytest.raises(NotPermitted):
            comment_changes.edit_comment(world.people[someone], position, comment, "Mine", utcnow())
        db.session.rollback()
    assert db.session.get(Comment, comment.id).body_markdown == "First thoughts."
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommentChange)) == 0


def test_a_resolved_comment_and_a_closed_draft_are_not_changed(world):
    position = draft(world)
    resolved = _comment(world, position)
    drafting.resolve_comment(world.people["officer"], position, resolved, utcnow())
    db.session.commit()
    author = world.people["partner2"]
    with pytest.raises(Conflict, match="resolved"):
        comment_changes.edit_comment(author, position, resolved, "Changed", utcnow())
    db.session.rollback()
    other = _comment(world, position, body="Another.")
    with pytest.raises(DomainError, match="Enter your comment"):
        comment_changes.edit_comment(author, position, other, "   ", utcnow())
    db.session.rollback()
    with pytest.raises(DomainError, match="10,000 characters"):
        comment_changes.edit_comment(author, position, other, "x" * 10_001, utcnow())
    db.session.rollback()
    position.state = PositionState.VOTING  # in memory: as while the group votes on it
    with pytest.raises(DomainError, match="Comments are closed"):
        comment_changes.edit_comment(author, position, other, "Changed", utcnow())
    db.session.rollback()
    other_position = draft(world, title="Another draft")
    with pytest.raises(DomainError, match="not on this draft"):
        comment_changes.delete_comment(author, other_position, other, utcnow())


def test_the_schema_refuses_a_deleted_comment_with_text(world):
    comment = _comment(world, draft(world))
    with pytest.raises(IntegrityError):
        _write(comment, deleted_at=utcnow())


def _write(comment: Comment, **values) -> None:
    db.session.execute(sa.update(Comment).where(Comment.id == comment.id).values(values))
    db.session.flush()
