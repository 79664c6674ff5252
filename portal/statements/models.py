"""Published statements of the group, their signatories and the ICS's responses."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.audit.models import ChainHeadStamped
from portal.database import UTCDateTime, enum_column, utcnow
from portal.extensions import Model
from portal.organisations.models import Area, Organisation
from portal.positions.models import Position, Revision
from portal.tiers import Tier


class StatementState(enum.Enum):
    PUBLISHED = "published"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"


class SignatoryChoice(enum.Enum):
    """Which organisations sign, as the publication policy allows: never one that did not vote
    for it. ``VOTED_FOR``: every organisation that voted for (open ballot). ``CHOSEN``: some of
    them, chosen by the officer. ``ENDORSERS``: only those that endorse it after publication
    (the only choice for a secret ballot, where nobody may be shown to have voted for it)."""

    VOTED_FOR = "voted_for"
    CHOSEN = "chosen"
    ENDORSERS = "endorsers"


class StatementSource(enum.Enum):
    """What a statement publishes: an agreed position's revision, or an election's result."""

    POSITION = "position"
    ELECTION = "election"


class Statement(ChainHeadStamped, Model):
    """An agreed revision, or an election's result, made public with a permanent reference
    such as ``GPV-2026-014``."""

    __tablename__ = "statements"
    # The audit chain's head as it stood at this action is kept and shown (portal/audit).
    audit_head_actions = frozenset({"statement.published"})

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id", ondelete="RESTRICT"))
    reference: Mapped[str] = mapped_column(sa.String(20), unique=True)
    source: Mapped[StatementSource] = mapped_column(
        enum_column(StatementSource, "statement_source"),
        default=StatementSource.POSITION,
        server_default=StatementSource.POSITION.value,
    )
    position_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("positions.id", ondelete="RESTRICT")
    )
    revision_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("revisions.id", ondelete="RESTRICT")
    )
    # An election's result is published at most once.
    election_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("elections.id", ondelete="RESTRICT"), unique=True
    )
    vote_id: Mapped[int | None] = mapped_column(sa.ForeignKey("votes.id", ondelete="RESTRICT"))
    proposal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="SET NULL")
    )
    # Copies, so the statement reads the same forever whatever happens to the draft.
    title: Mapped[str] = mapped_column(sa.String(200))
    body_markdown: Mapped[str] = mapped_column(sa.Text())
    provenance: Mapped[str] = mapped_column(sa.Text())
    tier: Mapped[Tier] = mapped_column(enum_column(Tier, "tier"))
    # An election's result is declared, not signed: it has no signatories.
    signatories_choice: Mapped[SignatoryChoice | None] = mapped_column(
        enum_column(SignatoryChoice, "signatory_choice")
    )
    # The election's result as published (portal.statements.election_results.ElectionResult):
    # a copy, so the statement reads the same whatever happens to the election afterwards.
    election_result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON(none_as_null=True))
    state: Mapped[StatementState] = mapped_column(
        enum_column(StatementState, "statement_state"), default=StatementState.PUBLISHED
    )
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    superseded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("statements.id", ondelete="SET NULL")
    )
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(sa.Text())

    area: Mapped[Area] = relationship()
    position: Mapped[Position | None] = relationship()
    revision: Mapped[Revision | None] = relationship()
    vote = relationship("Vote")
    proposal = relationship("Proposal")
    superseded_by: Mapped[Statement | None] = relationship(remote_side=[id])
    signatories: Mapped[list[StatementSignatory]] = relationship(
        back_populates="statement", cascade="all, delete-orphan", order_by="StatementSignatory.id"
    )
    responses: Mapped[list[IcsResponse]] = relationship(
        back_populates="statement", cascade="all, delete-orphan", order_by="IcsResponse.id"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "state = 'published' OR (ended_at IS NOT NULL AND end_reason IS NOT NULL)",
            name="ending_has_reason",
        ),
        sa.CheckConstraint(
            "state <> 'superseded' OR superseded_by_id IS NOT NULL",
            name="superseded_names_successor",
        ),
        sa.CheckConstraint(
            "(source = 'position' AND position_id IS NOT NULL AND revision_id IS NOT NULL"
            " AND signatories_choice IS NOT NULL AND election_id IS NULL"
            " AND election_result IS NULL)"
            " OR (source = 'election' AND election_id IS NOT NULL AND election_result IS NOT NULL"
            " AND position_id IS NULL AND revision_id IS NULL AND vote_id IS NULL"
            " AND signatories_choice IS NULL)",
            name="exactly_one_source",
        ),
        sa.Index("ix_statements_area_id_published_at", "area_id", "published_at"),
    )

    @property
    def from_election(self) -> bool:
        return self.source is StatementSource.ELECTION


class StatementSignatory(Model):
    __tablename__ = "statement_signatories"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(sa.ForeignKey("statements.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    # Copies at publication, as a letter's signature block would be.
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(12))
    ods_code: Mapped[str] = mapped_column(sa.String(12))

    statement: Mapped[Statement] = relationship(back_populates="signatories")
    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (sa.UniqueConstraint("statement_id", "organisation_id"),)


class StatementEndorsement(Model):
    """An organisation signing a statement after it was published: who signed for it, when."""

    __tablename__ = "statement_endorsements"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(sa.ForeignKey("statements.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    endorsed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    endorsed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    statement: Mapped[Statement] = relationship()
    organisation: Mapped[Organisation] = relationship()
    endorsed_by = relationship("User")

    __table_args__ = (sa.UniqueConstraint("statement_id", "organisation_id"),)


class IcsResponse(Model):
    """What the ICS did in answer to a statement ("you said, we did")."""

    __tablename__ = "ics_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(sa.ForeignKey("statements.id", ondelete="CASCADE"))
    body_markdown: Mapped[str] = mapped_column(sa.Text())
    responded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    statement: Mapped[Statement] = relationship(back_populates="responses")
