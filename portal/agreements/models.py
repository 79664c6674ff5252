"""Shared ways of working: agreements practices sign up to, their versioned procedure, who is
signed up when, and the lead's oversight reports.

A procedure version is never edited: a change is a new version, which takes effect only when
a vote of the practices signed up at the time passes it. A signatory row is never deleted:
notice sets the day the practice leaves, so the agreement can be shown as it stood on any date.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.database import UTCDateTime, enum_column, utcnow
from portal.extensions import Model
from portal.organisations.models import Area, Organisation


class CostSharing(enum.Enum):
    PER_PATIENT = "per_patient"
    EQUAL = "equal"

    @property
    def label(self) -> str:
        if self is CostSharing.PER_PATIENT:
            return "By registered patients"
        return "Equally between practices"


class VoteWeighting(enum.Enum):
    """How the signatories' votes on a new procedure version are weighted: the rules' scheme."""

    EQUAL = "equal"
    LIST_SIZE = "list_size"
    WEIGHTED_LIST_SIZE = "weighted_list_size"

    @property
    def label(self) -> str:
        return {
            "equal": "One practice, one vote",
            "list_size": "By registered patients",
            "weighted_list_size": "By weighted list size",
        }[self.value]


class ReportFrequency(enum.Enum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SIX_MONTHLY = "six_monthly"
    YEARLY = "yearly"

    @property
    def months(self) -> int:
        return {"monthly": 1, "quarterly": 3, "six_monthly": 6, "yearly": 12}[self.value]

    @property
    def label(self) -> str:
        return {
            "monthly": "Every month",
            "quarterly": "Every three months",
            "six_monthly": "Every six months",
            "yearly": "Every year",
        }[self.value]


class VersionState(enum.Enum):
    PROPOSED = "proposed"  # written, not yet put to the signatories
    VOTING = "voting"  # the signatories' vote on it is open
    ADOPTED = "adopted"  # the agreed way (the latest adopted version is the one in force)
    NOT_ADOPTED = "not_adopted"  # the vote did not pass it

    @property
    def label(self) -> str:
        return {
            "proposed": "Proposed",
            "voting": "Being voted on",
            "adopted": "Adopted",
            "not_adopted": "Not adopted",
        }[self.value]


class RagStatus(enum.Enum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def colour(self) -> str:
        return {"red": "red", "amber": "orange", "green": "green"}[self.value]


class Agreement(Model):
    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(sa.String(200))
    # A practice, a PCN or the federation (checked by the service, which knows the kinds).
    lead_organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    gives_up: Mapped[str] = mapped_column(sa.Text())
    gets: Mapped[str] = mapped_column(sa.Text())
    who_does_what_markdown: Mapped[str] = mapped_column(sa.Text())
    oversight: Mapped[str] = mapped_column(sa.Text())  # who reports to whom
    report_frequency: Mapped[ReportFrequency] = mapped_column(
        enum_column(ReportFrequency, "report_frequency")
    )
    review_on: Mapped[date | None]
    starts_on: Mapped[date]
    minimum_term_months: Mapped[int]
    notice_period_months: Mapped[int]
    cost_sharing: Mapped[CostSharing] = mapped_column(enum_column(CostSharing, "cost_sharing"))
    # The yearly cost shared between the practices, when there is one to share.
    annual_cost: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    vote_weighting: Mapped[VoteWeighting] = mapped_column(
        enum_column(VoteWeighting, "agreement_vote_weighting")
    )
    visible_to_ics: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    area: Mapped[Area] = relationship()
    lead: Mapped[Organisation] = relationship(foreign_keys=[lead_organisation_id])
    versions: Mapped[list[ProcedureVersion]] = relationship(
        back_populates="agreement", order_by="ProcedureVersion.number"
    )
    signatories: Mapped[list[Signatory]] = relationship(
        back_populates="agreement", order_by="Signatory.id"
    )
    reports: Mapped[list[OversightReport]] = relationship(
        back_populates="agreement", order_by="OversightReport.posted_at"
    )

    __table_args__ = (
        sa.UniqueConstraint("area_id", "title"),
        sa.CheckConstraint("title <> ''", name="title_not_empty"),
        sa.CheckConstraint("gives_up <> ''", name="gives_up_not_empty"),
        sa.CheckConstraint("gets <> ''", name="gets_not_empty"),
        sa.CheckConstraint(
            "minimum_term_months >= 0 AND minimum_term_months <= 120", name="minimum_term_in_range"
        ),
        sa.CheckConstraint(
            "notice_period_months >= 1 AND notice_period_months <= 36", name="notice_in_range"
        ),
        sa.CheckConstraint("annual_cost IS NULL OR annual_cost >= 0", name="cost_not_negative"),
        sa.Index("ix_agreements_area_id", "area_id"),
    )

    @property
    def in_force(self) -> ProcedureVersion | None:
        """The version in force: the latest one adopted."""
        adopted = [v for v in self.versions if v.state is VersionState.ADOPTED]
        return adopted[-1] if adopted else None


class ProcedureVersion(Model):
    __tablename__ = "agreement_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id", ondelete="CASCADE"))
    number: Mapped[int]
    body_markdown: Mapped[str] = mapped_column(sa.Text())
    change_summary: Mapped[str] = mapped_column(sa.Text(), default="")
    state: Mapped[VersionState] = mapped_column(enum_column(VersionState, "agreement_version"))
    # The signatories' vote on this version (portal.voting), once it has been put to them.
    vote_id: Mapped[int | None] = mapped_column(sa.ForeignKey("votes.id", ondelete="SET NULL"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    adopted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    agreement: Mapped[Agreement] = relationship(back_populates="versions")
    author: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("agreement_id", "number"),
        sa.UniqueConstraint("vote_id"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
        sa.CheckConstraint("body_markdown <> ''", name="body_not_empty"),
        sa.CheckConstraint(
            "(state = 'adopted') = (adopted_at IS NOT NULL)", name="adopted_when_adopted_at"
        ),
        sa.CheckConstraint("state <> 'voting' OR vote_id IS NOT NULL", name="voting_has_vote"),
        # One vote at a time on an agreement's procedure.
        sa.Index(
            "uq_agreement_versions_one_voting",
            "agreement_id",
            unique=True,
            sqlite_where=sa.text("state = 'voting'"),
            postgresql_where=sa.text("state = 'voting'"),
        ),
    )


class Signatory(Model):
    """A practice signed up from ``joined_on``; after notice it is out from ``leaves_on``."""

    __tablename__ = "agreement_signatories"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id", ondelete="CASCADE"))
    practice_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    joined_on: Mapped[date]
    signed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The procedure version in force when the practice signed (what it agreed to).
    version_number: Mapped[int]
    notice_given_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notice_given_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    notice_reason: Mapped[str | None] = mapped_column(sa.Text())
    # The first day the practice is no longer in (the day after its last day).
    leaves_on: Mapped[date | None]

    agreement: Mapped[Agreement] = relationship(back_populates="signatories")
    practice: Mapped[Organisation] = relationship()
    signed_by: Mapped[User | None] = relationship(foreign_keys=[signed_by_id])

    __table_args__ = (
        sa.CheckConstraint("leaves_on IS NULL OR leaves_on > joined_on", name="leaves_after_join"),
        sa.CheckConstraint(
            "(notice_given_at IS NULL) = (leaves_on IS NULL)", name="leaves_only_after_notice"
        ),
        sa.CheckConstraint("version_number >= 1", name="version_positive"),
        # A practice is signed up at most once at a time; one that has left may sign again.
        sa.Index(
            "uq_agreement_signatories_current",
            "agreement_id",
            "practice_id",
            unique=True,
            sqlite_where=sa.text("leaves_on IS NULL"),
            postgresql_where=sa.text("leaves_on IS NULL"),
        ),
        sa.Index("ix_agreement_signatories_practice_id", "practice_id"),
    )

    def is_in_on(self, day: date) -> bool:
        return self.joined_on <= day and (self.leaves_on is None or day < self.leaves_on)


class OversightReport(Model):
    __tablename__ = "agreement_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id", ondelete="CASCADE"))
    status: Mapped[RagStatus] = mapped_column(enum_column(RagStatus, "rag_status"))
    working: Mapped[str] = mapped_column(sa.Text())
    not_working: Mapped[str] = mapped_column(sa.Text())
    posted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime())

    agreement: Mapped[Agreement] = relationship(back_populates="reports")
    posted_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("working <> '' OR not_working <> ''", name="says_something"),
        sa.Index("ix_agreement_reports_agreement_posted", "agreement_id", "posted_at"),
    )
