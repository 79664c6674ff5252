"""ICS proposals, position drafts with their revisions, comments and amendments.

A position moves drafting -> consultation -> voting -> agreed or not agreed -> published
(see ``portal.statements``). Revisions are never edited: every save makes a new one.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.database import UTCDateTime, enum_column, utcnow
from portal.extensions import Model
from portal.organisations.models import Area
from portal.tiers import Tier


class PositionState(enum.Enum):
    DRAFTING = "drafting"
    CONSULTATION = "consultation"
    VOTING = "voting"
    AGREED = "agreed"
    NOT_AGREED = "not_agreed"
    PUBLISHED = "published"


class AmendmentState(enum.Enum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PUT_TO_VOTE = "put_to_vote"


class Proposal(Model):
    """Something the ICS has proposed, which the group responds to."""

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(sa.String(200))
    ics_reference: Mapped[str | None] = mapped_column(sa.String(100))
    owning_body: Mapped[str] = mapped_column(sa.String(200))
    summary_markdown: Mapped[str] = mapped_column(sa.Text(), default="")
    source_links: Mapped[list[str]] = mapped_column(sa.JSON(), default=list)
    response_deadline: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    area: Mapped[Area] = relationship()
    documents: Mapped[list[ProposalDocument]] = relationship(
        back_populates="proposal", order_by="ProposalDocument.id", cascade="all, delete-orphan"
    )
    positions: Mapped[list[Position]] = relationship(back_populates="proposal")

    __table_args__ = (sa.Index("ix_proposals_area_id_deadline", "area_id", "response_deadline"),)


class ProposalDocument(Model):
    """An attached PDF, DOCX or ODT, its bytes in ``content`` (never in a local folder)."""

    __tablename__ = "proposal_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(sa.String(255))
    media_type: Mapped[str] = mapped_column(sa.String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage_key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    # The file itself, loaded only when it is downloaded (see portal/positions/documents.py).
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary(), deferred=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="documents")

    __table_args__ = (
        sa.CheckConstraint("size_bytes > 0", name="size_positive"),
        sa.CheckConstraint(
            "media_type IN ('application/pdf', "
            "'application/vnd.openxmlformats-officedocument.wordprocessingml.document', "
            "'application/vnd.oasis.opendocument.text')",
            name="allowed_media_type",
        ),
    )


class Position(Model):
    """A draft position of the group, answering a proposal or standing alone."""

    __tablename__ = "positions"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id", ondelete="RESTRICT"))
    proposal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="SET NULL")
    )
    tier: Mapped[Tier] = mapped_column(enum_column(Tier, "tier"))
    state: Mapped[PositionState] = mapped_column(
        enum_column(PositionState, "position_state"), default=PositionState.DRAFTING
    )
    lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    consultation_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When members were told the consultation closes within a day (sent once per end date).
    consultation_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The vote on the frozen revision, and that revision's number.
    vote_id: Mapped[int | None] = mapped_column(sa.ForeignKey("votes.id", ondelete="SET NULL"))
    voted_revision_number: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    area: Mapped[Area] = relationship()
    proposal: Mapped[Proposal | None] = relationship(back_populates="positions")
    lead = relationship("User", foreign_keys=[lead_id])
    vote = relationship("Vote")
    revisions: Mapped[list[Revision]] = relationship(
        back_populates="position",
        order_by="Revision.number",
        cascade="all, delete-orphan",
    )

    @property
    def latest(self) -> Revision:
        return self.revisions[-1]

    @property
    def voted_revision(self) -> Revision | None:
        return next((r for r in self.revisions if r.number == self.voted_revision_number), None)

    @property
    def title(self) -> str:
        return self.latest.title


class Revision(Model):
    """One saved version of a position; ``number`` counts from 1 within the position."""

    __tablename__ = "revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(sa.ForeignKey("positions.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    body_markdown: Mapped[str] = mapped_column(sa.Text())
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    position: Mapped[Position] = relationship(back_populates="revisions")
    author = relationship("User")

    __table_args__ = (
        sa.UniqueConstraint("position_id", "number"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
    )


class Comment(Model):
    """A member's comment on a revision, on the whole or on one paragraph (counted from 0)."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(sa.ForeignKey("positions.id", ondelete="CASCADE"))
    revision_id: Mapped[int] = mapped_column(sa.ForeignKey("revisions.id", ondelete="CASCADE"))
    paragraph_index: Mapped[int | None]
    body_markdown: Mapped[str] = mapped_column(sa.Text())
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # The author may change or delete their comment for a short while
    # (portal/positions/comment_changes.py); each earlier text is kept in ``changes``.
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    revision: Mapped[Revision] = relationship()
    author = relationship("User", foreign_keys=[author_id])
    organisation = relationship("Organisation")
    changes: Mapped[list[CommentChange]] = relationship(
        back_populates="comment", cascade="all, delete-orphan", order_by="CommentChange.id"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "paragraph_index IS NULL OR paragraph_index >= 0", name="paragraph_not_negative"
        ),
        # A deleted comment's text is kept only in its history, which officers read.
        sa.CheckConstraint(
            "deleted_at IS NULL OR body_markdown = ''", name="deleted_keeps_no_text"
        ),
    )


class CommentChangeKind(enum.Enum):
    EDITED = "edited"
    DELETED = "deleted"


class CommentChange(Model):
    """A comment's text before its author changed or deleted it, for the officers."""

    __tablename__ = "comment_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comments.id", ondelete="CASCADE"))
    kind: Mapped[CommentChangeKind] = mapped_column(
        enum_column(CommentChangeKind, "comment_change_kind")
    )
    previous_markdown: Mapped[str] = mapped_column(sa.Text())
    changed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    comment: Mapped[Comment] = relationship(back_populates="changes")


class Amendment(Model):
    """Replacement text for one paragraph of a revision, with the proposer's reason."""

    __tablename__ = "amendments"

    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(sa.ForeignKey("positions.id", ondelete="CASCADE"))
    revision_id: Mapped[int] = mapped_column(sa.ForeignKey("revisions.id", ondelete="CASCADE"))
    paragraph_index: Mapped[int]
    replacement_markdown: Mapped[str] = mapped_column(sa.Text())
    reason: Mapped[str] = mapped_column(sa.Text())
    proposer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    state: Mapped[AmendmentState] = mapped_column(
        enum_column(AmendmentState, "amendment_state"), default=AmendmentState.PROPOSED
    )
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(sa.Text())
    vote_id: Mapped[int | None] = mapped_column(sa.ForeignKey("votes.id", ondelete="SET NULL"))
    # The revision made by accepting it.
    resulting_revision_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("revisions.id", ondelete="SET NULL")
    )

    revision: Mapped[Revision] = relationship(foreign_keys=[revision_id])
    proposer = relationship("User", foreign_keys=[proposer_id])

    __table_args__ = (
        sa.CheckConstraint("paragraph_index >= 0", name="paragraph_not_negative"),
        sa.CheckConstraint(
            "state <> 'rejected' OR decision_reason IS NOT NULL", name="rejection_has_reason"
        ),
    )
