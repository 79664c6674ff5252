"""Writing a position: the draft and its numbered revisions (an edit that started from an older
revision than the latest is refused with both), the drafting lead, and members' comments.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import Membership, User
from portal.audit.services import record
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.markdown import markdown_paragraphs
from portal.organisations.models import Area, Organisation, OrganisationKind
from portal.organisations.permissions import GROUP_ROLES
from portal.positions import permissions
from portal.positions.models import Comment, Position, PositionState, Proposal, Revision, Tier
from portal.positions.services import MAX_BODY, MAX_COMMENT, MAX_TITLE, WorkflowError
from portal.templating import london_datetime

log = logging.getLogger(__name__)


class EditConflict(Conflict):
    """Someone else saved a revision after the one this edit started from."""

    def __init__(self, message: str, base: Revision, latest: Revision) -> None:
        super().__init__(message)
        self.base = base
        self.latest = latest


def _check_text(title: str, body: str) -> tuple[str, str]:
    title = (title or "").strip()
    if not title:
        raise DomainError("Enter a title")
    if len(title) > MAX_TITLE:
        raise DomainError(f"The title must be {MAX_TITLE} characters or fewer")
    if not (body or "").strip():
        raise DomainError("Enter the text of the position")
    if len(body) > MAX_BODY:
        raise DomainError("The text is too long")
    return title, body.replace("\r\n", "\n").strip()


def create_position(
    actor: User,
    area: Area,
    *,
    title: str,
    body_markdown: str,
    tier: Tier,
    proposal: Proposal | None,
    now: datetime,
) -> Position:
    if not permissions.can_create_position(actor, area):
        raise NotPermitted("Only members of the group can draft positions")
    if tier not in permissions.tiers_for_new_position(actor, area):
        raise NotPermitted("You cannot give a draft a tier you could not read yourself")
    if proposal is not None and proposal.area_id != area.id:
        raise DomainError("That proposal is not in this area")
    title, body_markdown = _check_text(title, body_markdown)
    position = Position(
        area_id=area.id,
        proposal_id=proposal.id if proposal else None,
        tier=tier,
        state=PositionState.DRAFTING,
        lead_id=actor.id,
        created_by_id=actor.id,
        created_at=now,
    )
    db.session.add(position)
    db.session.flush()
    db.session.add(
        Revision(
            position_id=position.id,
            number=1,
            title=title,
            body_markdown=body_markdown,
            author_id=actor.id,
            created_at=now,
        )
    )
    db.session.flush()
    record(
        "position.created",
        f"Position drafted: {title}",
        actor=actor,
        area=area,
        subject=position,
        details={"tier": tier.value, "proposal_id": position.proposal_id},
    )
    return position


def revision_numbered(position: Position, number: int) -> Revision | None:
    return next((r for r in position.revisions if r.number == number), None)


def refuse_unless_open_for_changes(position: Position) -> None:
    if position.state is PositionState.VOTING:
        raise WorkflowError("The text cannot change while the vote on it is open")
    if position.state not in permissions.OPEN_FOR_CHANGES:
        again = position.state is PositionState.NOT_AGREED
        raise WorkflowError(
            "The text can change only while drafting or in consultation"
            + (": return it to drafting first" if again else "")
        )


def add_revision(
    actor: User, position: Position, base: Revision, title: str, body: str, now: datetime
) -> Revision:
    """Insert the revision after ``base``; if ``base`` is no longer the latest, or another
    save took the same number a moment ago, raise ``EditConflict`` with the latest."""
    latest = position.latest
    if latest.number != base.number:
        raise EditConflict(_conflict_message(latest), base, latest)
    revision = Revision(
        position_id=position.id,
        number=base.number + 1,
        title=title,
        body_markdown=body,
        author_id=actor.id,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(revision)
    except IntegrityError:
        db.session.expire(position, ["revisions"])
        latest = position.latest
        raise EditConflict(_conflict_message(latest), base, latest) from None
    db.session.expire(position, ["revisions"])
    return revision


def _conflict_message(latest: Revision) -> str:
    author = latest.author.name if latest.author else "Someone"
    return (
        f"{author} saved revision {latest.number} while you were editing. "
        "Their changes are shown below and your text is still in the form: "
        "check it against theirs and save again."
    )


def save_revision(
    actor: User,
    position: Position,
    *,
    base_number: int,
    title: str,
    body_markdown: str,
    now: datetime,
) -> Revision:
    if not permissions.can_lead(actor, position):
        raise NotPermitted("Only the drafting lead and LMC officers can change the text")
    refuse_unless_open_for_changes(position)
    base = revision_numbered(position, base_number)
    if base is None:
        raise DomainError("The revision you started from does not exist")
    title, body_markdown = _check_text(title, body_markdown)
    latest = position.latest
    unchanged = title == latest.title and body_markdown == latest.body_markdown
    if unchanged and base.number == latest.number:
        raise DomainError("Nothing has changed since the last revision")
    revision = add_revision(actor, position, base, title, body_markdown, now)
    record(
        "position.revised",
        f"Revision {revision.number} of {title}",
        actor=actor,
        area=position.area,
        subject=position,
        details={"revision": revision.number},
    )
    return revision


def reassign_lead(actor: User, position: Position, new_lead: User) -> None:
    if not permissions.can_reassign_lead(actor, position):
        raise NotPermitted("Only LMC officers can change the drafting lead")
    if not permissions.can_participate(new_lead, position):
        raise DomainError(f"{new_lead.name} cannot read this draft, so cannot lead it")
    if new_lead.id == position.lead_id:
        raise DomainError(f"{new_lead.name} already leads this draft")
    position.lead_id = new_lead.id
    db.session.flush()
    db.session.expire(position, ["lead"])
    record(
        "position.lead_changed",
        f"{new_lead.name} now leads {position.title}",
        actor=actor,
        area=position.area,
        subject=position,
        details={"lead_id": new_lead.id},
    )


def possible_leads(position: Position) -> list[User]:
    """Active members who could lead the draft: group members who can read its tier."""
    users = db.session.execute(
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(
            Organisation.area_id == position.area_id,
            Membership.role.in_(GROUP_ROLES),
            User.active.is_(True),
        )
        .distinct()
        .order_by(User.name, User.id)
    ).scalars()
    return [user for user in users if permissions.can_participate(user, position)]


_KIND_ORDER = [
    OrganisationKind.PRACTICE,
    OrganisationKind.PCN,
    OrganisationKind.FEDERATION,
    OrganisationKind.LMC,
    OrganisationKind.ICS,
]


def speaking_for(user: User, area: Area) -> Organisation | None:
    """The organisation a member comments for: their practice first, then PCN, and so on."""
    organisations = [
        membership.organisation
        for membership in user.memberships
        if membership.organisation.area_id == area.id and membership.role in GROUP_ROLES
    ]
    organisations.sort(key=lambda org: (_KIND_ORDER.index(org.kind), org.name))
    return organisations[0] if organisations else None


def check_paragraph(revision: Revision, paragraph_index: int | None) -> None:
    if paragraph_index is None:
        return
    if not 0 <= paragraph_index < len(markdown_paragraphs(revision.body_markdown)):
        raise DomainError("Choose a paragraph of the current text")


def refuse_after_consultation(position: Position, now: datetime, what: str) -> None:
    ends_at = position.consultation_ends_at
    if position.state is PositionState.CONSULTATION and ends_at and now >= ends_at:
        raise WorkflowError(f"The consultation closed on {london_datetime(ends_at)}: {what}")


def add_comment(
    actor: User,
    position: Position,
    *,
    body_markdown: str,
    paragraph_index: int | None,
    now: datetime,
) -> Comment:
    if not permissions.can_participate(actor, position):
        raise NotPermitted("Only members of the group who can read this draft can comment")
    if position.state not in permissions.OPEN_FOR_CHANGES:
        raise WorkflowError("Comments are closed: the draft is no longer being written")
    refuse_after_consultation(position, now, "comments are closed")
    body = (body_markdown or "").strip()
    if not body:
        raise DomainError("Enter your comment")
    if len(body) > MAX_COMMENT:
        raise DomainError(f"The comment must be {MAX_COMMENT:,} characters or fewer")
    revision = position.latest
    check_paragraph(revision, paragraph_index)
    organisation = speaking_for(actor, position.area)
    comment = Comment(
        position_id=position.id,
        revision_id=revision.id,
        paragraph_index=paragraph_index,
        body_markdown=body,
        author_id=actor.id,
        organisation_id=organisation.id if organisation else None,
        created_at=now,
    )
    db.session.add(comment)
    db.session.flush()
    where = "the whole draft" if paragraph_index is None else f"paragraph {paragraph_index + 1}"
    record(
        "position.comment_added",
        f"Comment on {where} of {position.title}",
        actor=actor,
        area=position.area,
        subject=position,
        details={"comment_id": comment.id, "revision": revision.number},
    )
    return comment


def resolve_comment(actor: User, position: Position, comment: Comment, now: datetime) -> None:
    if comment.position_id != position.id:
        raise DomainError("That comment is not on this draft")
    if comment.resolved_at is not None:
        raise Conflict("This comment has already been resolved")
    if not permissions.can_lead(actor, position):
        raise NotPermitted("Only the drafting lead and LMC officers can resolve comments")
    comment.resolved_at = now
    comment.resolved_by_id = actor.id
    db.session.flush()
    record(
        "position.comment_resolved",
        f"Comment resolved on {position.title}",
        actor=actor,
        area=position.area,
        subject=position,
        details={"comment_id": comment.id},
    )
