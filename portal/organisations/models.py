"""Areas, the organisations in them, their list sizes and dated PCN membership."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.database import UTCDateTime, enum_column, utcnow
from portal.extensions import Model


class OrganisationKind(enum.Enum):
    PRACTICE = "practice"
    PCN = "pcn"
    FEDERATION = "federation"
    LMC = "lmc"
    ICS = "ics"

    @property
    def label(self) -> str:
        return {
            "practice": "GP practice",
            "pcn": "Primary care network",
            "federation": "GP federation",
            "lmc": "Local medical committee",
            "ics": "Integrated care system",
        }[self.value]


class ListSizeMeasure(enum.Enum):
    REGISTERED = "registered"
    WEIGHTED = "weighted"


class Area(Model):
    """One place's leadership group: the practices, PCNs, federation and LMC of an ICB."""

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    icb_code: Mapped[str | None] = mapped_column(sa.String(8))
    sub_icb_code: Mapped[str | None] = mapped_column(sa.String(8))
    max_proxies_per_holder: Mapped[int] = mapped_column(default=2, server_default="2")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organisations: Mapped[list[Organisation]] = relationship(back_populates="area")

    __table_args__ = (
        sa.CheckConstraint("max_proxies_per_holder >= 0", name="max_proxies_not_negative"),
        sa.CheckConstraint("slug <> ''", name="slug_not_empty"),
    )

    def __repr__(self) -> str:
        return f"<Area {self.slug}>"


class Organisation(Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id", ondelete="RESTRICT"))
    kind: Mapped[OrganisationKind] = mapped_column(enum_column(OrganisationKind, "org_kind"))
    ods_code: Mapped[str] = mapped_column(sa.String(12))
    name: Mapped[str] = mapped_column(sa.String(200))
    postcode: Mapped[str | None] = mapped_column(sa.String(10))
    # Registered patients and the date of the publication they come from.
    list_size: Mapped[int | None]
    list_size_date: Mapped[date | None]
    # Carr-Hill weighted list size from "NHS Payments to General Practice" and its date.
    weighted_list_size: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    weighted_list_size_date: Mapped[date | None]
    # A practice missing from a later mapping file has closed or merged; it is kept for history.
    closed_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    area: Mapped[Area] = relationship(back_populates="organisations")
    pcn_memberships: Mapped[list[PcnMembership]] = relationship(
        foreign_keys="PcnMembership.practice_id",
        back_populates="practice",
        order_by="PcnMembership.valid_from",
    )

    __table_args__ = (
        sa.UniqueConstraint("area_id", "kind", "ods_code"),
        sa.CheckConstraint("list_size IS NULL OR list_size >= 0", name="list_size_not_negative"),
        sa.CheckConstraint(
            "weighted_list_size IS NULL OR weighted_list_size >= 0",
            name="weighted_list_size_not_negative",
        ),
        sa.Index("ix_organisations_area_kind", "area_id", "kind"),
    )

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    @property
    def current_pcn(self) -> Organisation | None:
        for membership in self.pcn_memberships:
            if membership.valid_to is None:
                return membership.pcn
        return None

    def __repr__(self) -> str:
        return f"<Organisation {self.kind.value} {self.ods_code}>"


class PcnMembership(Model):
    """A practice belongs to a PCN from one date until another; the open row is current."""

    __tablename__ = "pcn_memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    pcn_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]

    practice: Mapped[Organisation] = relationship(
        foreign_keys=[practice_id], back_populates="pcn_memberships"
    )
    pcn: Mapped[Organisation] = relationship(foreign_keys=[pcn_id])

    __table_args__ = (
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="dates_in_order"),
        sa.CheckConstraint("practice_id <> pcn_id", name="not_own_pcn"),
        # At most one current PCN for a practice.
        sa.Index(
            "uq_pcn_memberships_current",
            "practice_id",
            unique=True,
            sqlite_where=sa.text("valid_to IS NULL"),
            postgresql_where=sa.text("valid_to IS NULL"),
        ),
        sa.Index("ix_pcn_memberships_pcn_id", "pcn_id"),
    )


class ListSizeRecord(Model):
    """Every list size ever imported for an organisation, so a vote can cite its snapshot."""

    __tablename__ = "list_size_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE")
    )
    measure: Mapped[ListSizeMeasure] = mapped_column(enum_column(ListSizeMeasure, "list_measure"))
    as_of: Mapped[date]
    value: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    source: Mapped[str] = mapped_column(sa.String(200))

    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "measure", "as_of"),
        sa.CheckConstraint("value >= 0", name="value_not_negative"),
    )
