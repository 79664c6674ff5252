"""Needs raised for a practice or for a PCN, their support, comments, triage and the people a
PCN authorises to speak for it.

The two channels share one table but never one list: every query names its channel, the
category must belong to the channel and only practice needs can be "LMC only" (both checked
by the database as well as by the services).
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.database import UTCDateTime, enum_column, utcnow
from portal.extensions import Model
from portal.organisations.models import Area, Organisation, OrganisationKind


class NeedChannel(enum.Enum):
    PRACTICE = "practice"
    PCN = "pcn"

    @property
    def label(self) -> str:
        return {"practice": "Practice needs", "pcn": "PCN needs"}[self.value]

    @property
    def organisation_kind(self) -> OrganisationKind:
        """The kind of organisation that raises and supports needs in this channel."""
        return {"practice": OrganisationKind.PRACTICE, "pcn": OrganisationKind.PCN}[self.value]

    @property
    def categories(self) -> tuple[NeedCategory, ...]:
        return CHANNEL_CATEGORIES[self]


class NeedCategory(enum.Enum):
    WORKFORCE = "workforce"
    ESTATES = "estates"
    IT_AND_DIGITAL = "it_and_digital"
    PRESCRIBING = "prescribing"
    ENHANCED_SERVICES = "enhanced_services"
    CONTRACT_AND_FUNDING = "contract_and_funding"
    RELATIONSHIP_WITH_PCN = "relationship_with_pcn"
    ARRS_WORKFORCE = "arrs_workforce"
    PCN_DES_REQUIREMENTS = "pcn_des_requirements"
    FUNDING = "funding"
    RELATIONSHIP_WITH_PRACTICES = "relationship_with_practices"
    OTHER = "other"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS = {
    NeedCategory.WORKFORCE: "Workforce",
    NeedCategory.ESTATES: "Estates",
    NeedCategory.IT_AND_DIGITAL: "IT and digital",
    NeedCategory.PRESCRIBING: "Prescribing",
    NeedCategory.ENHANCED_SERVICES: "Enhanced services",
    NeedCategory.CONTRACT_AND_FUNDING: "Contract and funding",
    NeedCategory.RELATIONSHIP_WITH_PCN: "Relationship with the PCN",
    NeedCategory.ARRS_WORKFORCE: "ARRS workforce",
    NeedCategory.PCN_DES_REQUIREMENTS: "PCN DES requirements",
    NeedCategory.FUNDING: "Funding",
    NeedCategory.RELATIONSHIP_WITH_PRACTICES: "Relationship with practices",
    NeedCategory.OTHER: "Other",
}

CHANNEL_CATEGORIES = {
    NeedChannel.PRACTICE: (
        NeedCategory.WORKFORCE,
        NeedCategory.ESTATES,
        NeedCategory.IT_AND_DIGITAL,
        NeedCategory.PRESCRIBING,
        NeedCategory.ENHANCED_SERVICES,
        NeedCategory.CONTRACT_AND_FUNDING,
        NeedCategory.RELATIONSHIP_WITH_PCN,
        NeedCategory.OTHER,
    ),
    NeedChannel.PCN: (
        NeedCategory.ARRS_WORKFORCE,
        NeedCategory.ESTATES,
        NeedCategory.PCN_DES_REQUIREMENTS,
        NeedCategory.FUNDING,
        NeedCategory.RELATIONSHIP_WITH_PRACTICES,
        NeedCategory.OTHER,
    ),
}


def _category_fits_channel_sql() -> str:
    alternatives = []
    for channel, categories in CHANNEL_CATEGORIES.items():
        values = ", ".join(f"'{category.value}'" for category in categories)
        alternatives.append(f"(channel = '{channel.value}' AND category IN ({values}))")
    return " OR ".join(alternatives)


class NeedUrgency(enum.Enum):
    ROUTINE = "routine"
    SOON = "soon"
    URGENT = "urgent"

    @property
    def label(self) -> str:
        return {"routine": "Routine", "soon": "Soon", "urgent": "Urgent"}[self.value]


class NeedStatus(enum.Enum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_NEGOTIATION = "in_negotiation"
    RESOLVED = "resolved"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return {
            "new": "New",
            "acknowledged": "Acknowledged",
            "in_negotiation": "In negotiation",
            "resolved": "Resolved",
            "declined": "Declined",
        }[self.value]

    @property
    def is_closed(self) -> bool:
        return self in CLOSED_STATUSES


CLOSED_STATUSES = frozenset({NeedStatus.RESOLVED, NeedStatus.DECLINED})


class Need(Model):
    """One need, raised by a person speaking for one organisation (practice or PCN)."""

    __tablename__ = "needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id", ondelete="RESTRICT"))
    channel: Mapped[NeedChannel] = mapped_column(enum_column(NeedChannel, "need_channel"))
    # The organisation the need is raised for: the need speaks for it, not for the person.
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    raised_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(sa.String(200))
    description_markdown: Mapped[str] = mapped_column(sa.Text)
    category: Mapped[NeedCategory] = mapped_column(enum_column(NeedCategory, "need_category"))
    urgency: Mapped[NeedUrgency] = mapped_column(enum_column(NeedUrgency, "need_urgency"))
    lmc_only: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    status: Mapped[NeedStatus] = mapped_column(
        enum_column(NeedStatus, "need_status"), default=NeedStatus.NEW
    )
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    # NO ACTION rather than RESTRICT: SQLite applies RESTRICT row by row, which would refuse
    # even a statement that deletes the kept need together with its duplicates.
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("needs.id"))
    # What the LMC is negotiating it through: an ICS proposal and/or a position draft.
    proposal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="SET NULL")
    )
    position_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("positions.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    area: Mapped[Area] = relationship()
    organisation: Mapped[Organisation] = relationship()
    raised_by: Mapped[User] = relationship()
    merged_into: Mapped[Need | None] = relationship(remote_side=[id])
    proposal = relationship("Proposal")
    position = relationship("Position")
    supports: Mapped[list[NeedSupport]] = relationship(
        back_populates="need", order_by="NeedSupport.created_at, NeedSupport.id"
    )
    comments: Mapped[list[NeedComment]] = relationship(
        back_populates="need", order_by="NeedComment.created_at, NeedComment.id"
    )
    status_changes: Mapped[list[NeedStatusChange]] = relationship(
        back_populates="need", order_by="NeedStatusChange.changed_at, NeedStatusChange.id"
    )

    __table_args__ = (
        sa.CheckConstraint(_category_fits_channel_sql(), name="category_fits_channel"),
        sa.CheckConstraint("channel = 'practice' OR NOT lmc_only", name="lmc_only_practice_only"),
        sa.CheckConstraint(
            "status <> 'declined' OR (status_reason IS NOT NULL AND status_reason <> '')",
            name="declined_has_reason",
        ),
        sa.CheckConstraint(
            "merged_into_id IS NULL OR merged_into_id <> id", name="not_merged_into_itself"
        ),
        sa.CheckConstraint("title <> ''", name="title_not_empty"),
        sa.Index("ix_needs_area_channel_status", "area_id", "channel", "status"),
        sa.Index("ix_needs_organisation_id", "organisation_id"),
        sa.Index("ix_needs_merged_into_id", "merged_into_id"),
    )

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    @property
    def is_open(self) -> bool:
        """Open to support and comments: not resolved, declined or merged into another."""
        return not self.status.is_closed and not self.is_merged

    def __repr__(self) -> str:
        return f"<Need {self.id} {self.channel.value}>"


class NeedSupport(Model):
    """Another organisation of the same channel saying "this affects us too"."""

    __tablename__ = "need_supports"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    need: Mapped[Need] = relationship(back_populates="supports")
    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("need_id", "organisation_id"),
        sa.Index("ix_need_supports_organisation_id", "organisation_id"),
    )


class NeedComment(Model):
    __tablename__ = "need_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id", ondelete="CASCADE"))
    # The organisation the author speaks for: a practice, a PCN or the LMC.
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    body_markdown: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    need: Mapped[Need] = relationship(back_populates="comments")
    organisation: Mapped[Organisation] = relationship()
    author: Mapped[User] = relationship()

    __table_args__ = (
        sa.CheckConstraint("body_markdown <> ''", name="body_not_empty"),
        sa.Index("ix_need_comments_need_id", "need_id"),
    )


class NeedStatusChange(Model):
    """Every triage decision, kept so that everyone who can see the need can see its history."""

    __tablename__ = "need_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id", ondelete="CASCADE"))
    # Each enum's CHECK constraint is named after it, so the two columns need different names.
    from_status: Mapped[NeedStatus] = mapped_column(enum_column(NeedStatus, "from_status"))
    to_status: Mapped[NeedStatus] = mapped_column(enum_column(NeedStatus, "to_status"))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    changed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    need: Mapped[Need] = relationship(back_populates="status_changes")
    changed_by: Mapped[User] = relationship()

    __table_args__ = (
        sa.CheckConstraint("from_status <> to_status", name="status_changes"),
        sa.CheckConstraint(
            "to_status <> 'declined' OR (reason IS NOT NULL AND reason <> '')",
            name="declined_has_reason",
        ),
        sa.Index("ix_need_status_changes_need_id", "need_id"),
    )


class PcnNeedAuthorisation(Model):
    """A PCN clinical director lets a member of one of the PCN's practices speak for the PCN
    in the PCN channel. It lapses when revoked, or when the person's practice leaves the PCN."""

    __tablename__ = "pcn_need_authorisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    pcn_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    granted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    pcn: Mapped[Organisation] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    granted_by: Mapped[User] = relationship(foreign_keys=[granted_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    __table_args__ = (
        # At most one live authorisation for a person in a PCN.
        sa.Index(
            "uq_pcn_need_authorisations_live",
            "pcn_id",
            "user_id",
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        ),
        sa.Index("ix_pcn_need_authorisations_user_id", "user_id"),
    )
