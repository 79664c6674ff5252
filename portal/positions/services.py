"""ICS proposals and their documents; position drafts, revisions, comments, amendments and the
workflow drafting -> consultation -> voting -> agreed or not agreed.

Services flush but never commit; each checks its own permission, writes its audit entry and
raises a ``DomainError`` subclass whose message can be shown to the user. Votes are created and
opened through ``portal.voting.services``, never by hand.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import Membership, User
from portal.audit.services import record
from portal.database import utcnow
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.markdown import markdown_paragraphs
from portal.organisations.models import Area, Organisation, OrganisationKind
from portal.organisations.permissions import GROUP_ROLES
from portal.positions import permissions
from portal.positions.models import (
    Amendment,
    AmendmentState,
    Comment,
    Position,
    PositionState,
    Proposal,
    ProposalDocument,
    Revision,
    Tier,
)
from portal.tiers import can_read, readable_tiers
from portal.voting import rules as counting
from portal.voting import services as voting
from portal.voting.models import BallotSecrecy, Vote, VoteKind, VoteState

log = logging.getLogger(__name__)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
EXTENSIONS = {PDF: ".pdf", DOCX: ".docx", ODT: ".odt"}
TYPE_LABELS = {PDF: "PDF", DOCX: "Word document", ODT: "OpenDocument text"}
DEFAULT_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
MAX_DOCUMENTS_PER_UPLOAD = 10
# A "mimetype" entry longer than this is not the one ODF describes; never read a big entry.
_MAX_MIMETYPE_ENTRY = 200
_STORAGE_KEY = re.compile(r"^[0-9a-f]{64}$")
MAX_TITLE = 200
MAX_BODY = 100_000
MAX_COMMENT = 10_000
MAX_QUESTION = 500


class DocumentRefused(DomainError):
    """An upload that is not a PDF, DOCX or ODT by its content, or is too big."""


class EditConflict(Conflict):
    """Someone else saved a revision after the one this edit started from."""

    def __init__(self, message: str, base: Revision, latest: Revision) -> None:
        super().__init__(message)
        self.base = base
        self.latest = latest


class WorkflowError(DomainError):
    """The position is not in a state that allows this."""


# ----------------------------------------------------------------------------------------------
# Documents
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """A file as received: the name the browser gave and at most ``limit + 1`` bytes of it."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class CheckedDocument:
    filename: str
    media_type: str
    content: bytes
    sha256: str


def document_max_bytes() -> int:
    return int(current_app.config.get("PROPOSAL_DOCUMENT_MAX_BYTES", DEFAULT_DOCUMENT_MAX_BYTES))


def upload_directory() -> Path:
    """Outside the web root: ``UPLOAD_DIR`` when set, else ``instance/uploads``."""
    configured = current_app.config.get("UPLOAD_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def read_upload(stream: IO[bytes], filename: str | None) -> Upload:
    """Read no more than one byte past the limit, so an oversized file is refused without
    holding all of it."""
    return Upload(filename or "", stream.read(document_max_bytes() + 1))


def detect_media_type(content: bytes) -> str | None:
    """PDF, DOCX or ODT by content alone (magic bytes and the ZIP's entries), else None."""
    if content.startswith(b"%PDF-"):
        return PDF
    if not content.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = {info.filename: info for info in archive.infolist()}
            if "[Content_Types].xml" in entries and "word/document.xml" in entries:
                return DOCX
            mimetype = entries.get("mimetype")
            if (
                mimetype is not None
                and mimetype.file_size <= _MAX_MIMETYPE_ENTRY
                and archive.read(mimetype) == ODT.encode()
            ):
                return ODT
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, ValueError):
        return None
    return None


def clean_filename(name: str, media_type: str) -> str:
    """A name safe to show and to offer as the download's name, ending in the extension of
    what the file really is."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if ch.isprintable())
    base = re.sub(r"\s+", " ", base).strip().strip(".")
    extension = EXTENSIONS[media_type]
    stem = base[: -len(extension)] if base.lower().endswith(extension) else base
    stem = stem[:150].strip() or "document"
    return f"{stem}{extension}"


def check_document(upload: Upload) -> CheckedDocument:
    label = clean_filename(upload.filename, PDF)[: -len(".pdf")] if upload.filename else "The file"
    limit = document_max_bytes()
    if not upload.content:
        raise DocumentRefused(f"{label} is empty")
    if len(upload.content) > limit:
        raise DocumentRefused(f"{label} is larger than {limit // (1024 * 1024)} MB")
    media_type = detect_media_type(upload.content)
    if media_type is None:
        raise DocumentRefused(f"{label} is not a PDF, Word (DOCX) or OpenDocument (ODT) file")
    return CheckedDocument(
        filename=clean_filename(upload.filename, media_type),
        media_type=media_type,
        content=upload.content,
        sha256=hashlib.sha256(upload.content).hexdigest(),
    )


def document_path(document: ProposalDocument) -> Path:
    if not _STORAGE_KEY.fullmatch(document.storage_key):
        raise ValueError("not a storage key")
    return upload_directory() / document.storage_key


def _store(documents: list[CheckedDocument]) -> list[tuple[CheckedDocument, str, Path]]:
    directory = upload_directory()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    written: list[tuple[CheckedDocument, str, Path]] = []
    try:
        for document in documents:
            key = secrets.token_hex(32)
            path = directory / key
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(document.content)
            written.append((document, key, path))
    except OSError:
        _remove([path for _, _, path in written])
        raise
    return written


def _remove(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _attach(actor: User, proposal: Proposal, uploads: list[Upload], now: datetime) -> None:
    """Check every file first: one refusal and nothing at all is written."""
    if len(uploads) > MAX_DOCUMENTS_PER_UPLOAD:
        raise DocumentRefused(f"Attach at most {MAX_DOCUMENTS_PER_UPLOAD} documents at a time")
    checked = [check_document(upload) for upload in uploads]
    if not checked:
        return
    written = _store(checked)
    try:
        for document, key, _ in written:
            row = ProposalDocument(
                proposal_id=proposal.id,
                filename=document.filename,
                media_type=document.media_type,
                size_bytes=len(document.content),
                sha256=document.sha256,
                storage_key=key,
                uploaded_by_id=actor.id,
                uploaded_at=now,
            )
            db.session.add(row)
            db.session.flush()
            record(
                "proposal.document_added",
                f"Document attached to proposal {proposal.title}: {document.filename}",
                actor=actor,
                area=proposal.area,
                subject=proposal,
                details={"document_id": row.id, "sha256": document.sha256},
            )
    except Exception:
        _remove([path for _, _, path in written])
        raise
    db.session.expire(proposal, ["documents"])


def attach_documents(actor: User, proposal: Proposal, uploads: list[Upload], now: datetime) -> None:
    if not permissions.can_add_documents(actor, proposal.area):
        raise NotPermitted("Only LMC officers and area administrators can attach documents")
    if not uploads:
        raise DocumentRefused("Choose a file to attach")
    _attach(actor, proposal, uploads, now)


# ----------------------------------------------------------------------------------------------
# Proposals
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalDetails:
    title: str
    ics_reference: str | None
    owning_body: str
    summary_markdown: str
    source_links: list[str]
    response_deadline: date | None


def _check_link(link: str) -> str:
    link = link.strip()
    if not re.fullmatch(r"https?://[^\s<>\"]+", link, flags=re.IGNORECASE) or len(link) > 2000:
        raise DomainError(f"{link[:80]} is not a web address starting with https:// or http://")
    return link


def create_proposal(
    actor: User, area: Area, details: ProposalDetails, uploads: list[Upload], now: datetime
) -> Proposal:
    if not permissions.can_create_proposal(actor, area):
        raise NotPermitted("Only LMC officers and area administrators can record ICS proposals")
    if not details.title.strip() or not details.owning_body.strip():
        raise DomainError("Enter the title and the body that owns the proposal")
    proposal = Proposal(
        area_id=area.id,
        title=details.title.strip()[:MAX_TITLE],
        ics_reference=(details.ics_reference or "").strip() or None,
        owning_body=details.owning_body.strip(),
        summary_markdown=details.summary_markdown or "",
        source_links=[_check_link(link) for link in details.source_links if link.strip()],
        response_deadline=details.response_deadline,
        created_by_id=actor.id,
        created_at=now,
    )
    db.session.add(proposal)
    db.session.flush()
    record(
        "proposal.created",
        f"ICS proposal recorded: {proposal.title}",
        actor=actor,
        area=area,
        subject=proposal,
        details={"deadline": str(proposal.response_deadline or "")},
    )
    _attach(actor, proposal, uploads, now)
    return proposal


NO_DRAFT = "no_draft"
RESPONSE_LABELS = {
    NO_DRAFT: ("No draft", "grey"),
    PositionState.DRAFTING.value: ("Drafting", "blue"),
    PositionState.CONSULTATION.value: ("Consultation", "purple"),
    PositionState.VOTING.value: ("Voting", "orange"),
    PositionState.AGREED.value: ("Agreed", "green"),
    PositionState.NOT_AGREED.value: ("Not agreed", "red"),
    PositionState.PUBLISHED.value: ("Published", "green"),
}
# When several drafts answer one proposal, the one furthest along speaks for the group.
_PROGRESS = [
    PositionState.NOT_AGREED,
    PositionState.DRAFTING,
    PositionState.CONSULTATION,
    PositionState.VOTING,
    PositionState.AGREED,
    PositionState.PUBLISHED,
]


def readable_positions(user: Any, area: Area) -> sa.Select[tuple[Position]]:
    """Every draft of the area the user may read: the one query lists start from."""
    tiers = readable_tiers(user, area, published=False)
    return sa.select(Position).where(Position.area_id == area.id, Position.tier.in_(tiers))


def response_state(user: Any, proposal: Proposal) -> str:
    """Where the group's answer stands, from the drafts this user may read (so a confidential
    draft does not show through)."""
    states = [
        position.state
        for position in proposal.positions
        if can_read(user, proposal.area, position.tier, published=False)
    ]
    if not states:
        return NO_DRAFT
    return max(states, key=_PROGRESS.index).value


def days_left(deadline: date | None, today: date) -> int | None:
    return None if deadline is None else (deadline - today).days


# ----------------------------------------------------------------------------------------------
# Drafts and revisions
# ----------------------------------------------------------------------------------------------


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


def _refuse_unless_open_for_changes(position: Position) -> None:
    if position.state is PositionState.VOTING:
        raise WorkflowError("The text cannot change while the vote on it is open")
    if position.state not in permissions.OPEN_FOR_CHANGES:
        again = position.state is PositionState.NOT_AGREED
        raise WorkflowError(
            "The text can change only while drafting or in consultation"
            + (": return it to drafting first" if again else "")
        )


def _add_revision(
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
    _refuse_unless_open_for_changes(position)
    base = revision_numbered(position, base_number)
    if base is None:
        raise DomainError("The revision you started from does not exist")
    title, body_markdown = _check_text(title, body_markdown)
    latest = position.latest
    unchanged = title == latest.title and body_markdown == latest.body_markdown
    if unchanged and base.number == latest.number:
        raise DomainError("Nothing has changed since the last revision")
    revision = _add_revision(actor, position, base, title, body_markdown, now)
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


# ----------------------------------------------------------------------------------------------
# Comments and amendments
# ----------------------------------------------------------------------------------------------


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


def _check_paragraph(revision: Revision, paragraph_index: int | None) -> None:
    if paragraph_index is None:
        return
    if not 0 <= paragraph_index < len(markdown_paragraphs(revision.body_markdown)):
        raise DomainError("Choose a paragraph of the current text")


def _london(moment: datetime) -> str:
    from portal.times import london_datetime

    return london_datetime(moment)


def _refuse_after_consultation(position: Position, now: datetime, what: str) -> None:
    ends_at = position.consultation_ends_at
    if position.state is PositionState.CONSULTATION and ends_at and now >= ends_at:
        raise WorkflowError(f"The consultation closed on {_london(ends_at)}: {what}")


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
    _refuse_after_consultation(position, now, "comments are closed")
    body = (body_markdown or "").strip()
    if not body:
        raise DomainError("Enter your comment")
    if len(body) > MAX_COMMENT:
        raise DomainError(f"The comment must be {MAX_COMMENT:,} characters or fewer")
    revision = position.latest
    _check_paragraph(revision, paragraph_index)
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
    _refuse_after_consultation(position, now, "amendments are closed")
    revision = position.latest
    _check_paragraph(revision, paragraph_index)
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


def _check_amendment(actor: User, position: Position, amendment: Amendment) -> None:
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
    if vote is None or vote.state is not VoteState.CLOSED:
        return None
    return str((vote.result or {}).get("outcome"))


def accept_amendment(
    actor: User, position: Position, amendment: Amendment, now: datetime
) -> Revision:
    _check_amendment(actor, position, amendment)
    _refuse_unless_open_for_changes(position)
    if amendment.state is AmendmentState.PUT_TO_VOTE:
        outcome = amendment_vote_outcome(amendment)
        if outcome is None:
            raise WorkflowError("The vote on this amendment has not closed yet")
        if outcome != "passed":
            raise WorkflowError("The vote on this amendment did not pass: reject it instead")
    latest = position.latest
    body = amended_body(amendment, latest)
    revision = _add_revision(actor, position, latest, latest.title, body, now)
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
    _check_amendment(actor, position, amendment)
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


# ----------------------------------------------------------------------------------------------
# Workflow: consultation, the vote, agreed or not agreed
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VoteSettings:
    """What the lead chooses when putting something to the vote; the rest follows from it."""

    secrecy: BallotSecrecy
    voting_kinds: list[str]
    closes_at: datetime
    rules: dict[str, Any]


DEFAULT_RULES: dict[str, Any] = {
    "weighting": {"scheme": "list_size"},
    "blocks": None,
    "cap": "1/4",
    "quorum": {"members": "1/2", "weight": None},
    "threshold": {"rule": "simple_majority"},
    "tie": "fails",
}


def open_consultation(actor: User, position: Position, ends_at: datetime, now: datetime) -> None:
    if not permissions.can_lead(actor, position):
        raise NotPermitted("Only the drafting lead and LMC officers can open the consultation")
    if position.state is not PositionState.DRAFTING:
        raise WorkflowError("Only a draft being written can go out to consultation")
    if ends_at <= now:
        raise DomainError("The consultation must end in the future")
    position.state = PositionState.CONSULTATION
    position.consultation_ends_at = ends_at
    db.session.flush()
    record(
        "position.consultation_opened",
        f"Consultation opened on {position.title}",
        actor=actor,
        area=position.area,
        subject=position,
        details={"ends_at": ends_at.isoformat(), "revision": position.latest.number},
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
    settings: VoteSettings, *, title: str, question: str, body: str, now: datetime
) -> voting.VoteDetails:
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
            f"Members may comment until {_london(ends_at)}: "
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
            title=revision.title,
            question=f"Should the group agree this position: {revision.title}?",
            body=revision.body_markdown,
            now=now,
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
    actor: User,
    position: Position,
    amendment: Amendment,
    settings: VoteSettings,
    now: datetime,
) -> Vote:
    _check_amendment(actor, position, amendment)
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
            title=f"Amendment to paragraph {number}: {position.title}",
            question=amendment_question(amendment),
            body=body,
            now=now,
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


def _close_if_due(vote: Vote, now: datetime) -> None:
    try:
        voting.close_if_due(vote, now)
    except counting.RecordError as error:  # left for officers, as the vote pages do
        log.error("Vote %s cannot be counted: %s", vote.id, error)


def sync_with_vote(position: Position, now: datetime | None = None) -> bool:
    """Bring the position up to date with its votes; return whether its state changed.

    Closes (and counts) any of its votes whose time has come. When the vote on the position
    has closed, a passed motion makes the position agreed; any other outcome, or a cancelled
    vote, makes it not agreed.
    """
    now = now or utcnow()
    for amendment in position_amendments(position):
        if amendment.state is AmendmentState.PUT_TO_VOTE and amendment.vote_id:
            vote = db.session.get(Vote, amendment.vote_id)
            if vote is not None:
                _close_if_due(vote, now)
    if position.state is not PositionState.VOTING or position.vote_id is None:
        return False
    vote = db.session.get(Vote, position.vote_id)
    if vote is None:
        return False
    _close_if_due(vote, now)
    if vote.state is VoteState.CLOSED:
        outcome = str((vote.result or {}).get("outcome"))
        position.state = PositionState.AGREED if outcome == "passed" else PositionState.NOT_AGREED
    elif vote.state is VoteState.CANCELLED:
        outcome = "cancelled"
        position.state = PositionState.NOT_AGREED
    else:
        return False
    db.session.flush()
    agreed = position.state is PositionState.AGREED
    record(
        "position.agreed" if agreed else "position.not_agreed",
        f"{position.title} {'agreed' if agreed else 'not agreed'} (vote outcome: {outcome})",
        actor=None,
        area=position.area,
        subject=position,
        details={"vote_id": vote.id, "revision": position.voted_revision_number},
    )
    return True


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


# ----------------------------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------------------------


def position_comments(position: Position) -> list[Comment]:
    return list(
        db.session.execute(
            sa.select(Comment)
            .where(Comment.position_id == position.id)
            .order_by(Comment.created_at, Comment.id)
        ).scalars()
    )


def position_amendments(position: Position) -> list[Amendment]:
    return list(
        db.session.execute(
            sa.select(Amendment)
            .where(Amendment.position_id == position.id)
            .order_by(Amendment.created_at, Amendment.id)
        ).scalars()
    )
