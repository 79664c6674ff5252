"""Mandates: what named leaders may agree on behalf of practices, granted by a vote.

A mandate is attached to a draft motion and comes into force only if that motion passes. It
then stays on the register with its whole history: in force, suspended by an LMC officer,
ended on its date, revoked by a vote of the same electorate, or superseded by a later
mandate on the same subject. Holders report each commitment they make under it.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Role, User
from portal.database import UTCDateTime, enum_column, utcnow
from portal.extensions import Model
from portal.organisations.models import Area, Organisation
from portal.positions.models import Proposal
from portal.tiers import Tier
from portal.voting.models import Vote


class MandateState(enum.Enum):
    """The stored state. ``ended`` is also what an in-force or suspended mandate reads as once
    its end date has passed, before the worker has written it (see ``Mandate.state_on``)."""

    PROPOSED = "proposed"  # attached to a motion that has not been decided yet
    NOT_GRANTED = "not_granted"  # the motion did not pass, or was called off
    IN_FORCE = "in_force"
    SUSPENDED = "suspended"
    ENDED = "ended"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS = {
    MandateState.PROPOSED: "Proposed: awaiting the vote",
    MandateState.NOT_GRANTED: "Not granted",
    MandateState.IN_FORCE: "In force",
    MandateState.SUSPENDED: "Suspended",
    MandateState.ENDED: "Ended",
    MandateState.REVOKED: "Revoked",
    MandateState.SUPERSEDED: "Superseded",
}
# States a mandate is in once its motion passed: what the register lists.
GRANTED_STATES = frozenset(
    {
        MandateState.IN_FORCE,
        MandateState.SUSPENDED,
        MandateState.ENDED,
        MandateState.REVOKED,
        MandateState.SUPERSEDED,
    }
)
# The tiers an officer may choose: every member sees the register, so never LMC only.
MANDATE_TIERS = (Tier.GROUP, Tier.ICS, Tier.PUBLIC)


class Ratification(enum.Enum):
    NOT_NEEDED = "not_needed"
    AWAITING = "awaiting"  # a draft or open motion to ratify it exists
    RATIFIED = "ratified"
    NOT_RATIFIED = "not_ratified"

    @property
    def label(self) -> str:
        return {
            "not_needed": "Within the bounds",
            "awaiting": "Needs ratification: not yet ratified by members",
            "ratified": "Went beyond the bounds: ratified by members",
            "not_ratified": "Went beyond the bounds: not ratified by members",
        }[self.value]


_GRANTED = "state IN ('in_force', 'suspended', 'ended', 'revoked', 'superseded')"


class Mandate(Model):
    __tablename__ = "mandates"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id", ondelete="RESTRICT"))
    # The motion that grants it: one mandate per motion.
    grant_vote_id: Mapped[int] = mapped_column(
        sa.ForeignKey("votes.id", ondelete="RESTRICT"), unique=True
    )
    # The subject: a short name, and the ICS proposal it is about when there is one.
    title: Mapped[str] = mapped_column(sa.String(200))
    proposal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="RESTRICT")
    )
    # Two mandates with the same key in an area are on the same subject: the later supersedes.
    subject_key: Mapped[str] = mapped_column(sa.String(220))
    may_agree: Mapped[str] = mapped_column(sa.Text())
    may_not_agree: Mapped[str] = mapped_column(sa.Text())
    come_back_when: Mapped[str] = mapped_column(sa.Text())
    # The last day it is in force (London date).
    ends_on: Mapped[date] = mapped_column(sa.Date())
    tier: Mapped[Tier] = mapped_column(enum_column(Tier, "tier"))
    state: Mapped[MandateState] = mapped_column(
        enum_column(MandateState, "mandate_state"), default=MandateState.PROPOSED
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The granting motion's result in one sentence, kept as it was when the vote closed.
    provenance: Mapped[str | None] = mapped_column(sa.Text())
    granted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    not_granted_reason: Mapped[str | None] = mapped_column(sa.String(200))
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspended_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    suspension_reason: Mapped[str | None] = mapped_column(sa.Text())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoke_vote_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("votes.id", ondelete="RESTRICT")
    )
    revocation_provenance: Mapped[str | None] = mapped_column(sa.Text())
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    superseded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("mandates.id", ondelete="RESTRICT")
    )
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    area: Mapped[Area] = relationship()
    grant_vote: Mapped[Vote] = relationship(foreign_keys=[grant_vote_id])
    proposal: Mapped[Proposal | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    suspended_by: Mapped[User | None] = relationship(foreign_keys=[suspended_by_id])
    superseded_by: Mapped[Mandate | None] = relationship(remote_side=[id])
    holders: Mapped[list[MandateHolder]] = relationship(
        back_populates="mandate", order_by="MandateHolder.id", cascade="all, delete-orphan"
    )
    commitments: Mapped[list[Commitment]] = relationship(
        back_populates="mandate", order_by="Commitment.made_on", cascade="all, delete-orphan"
    )
    revocations: Mapped[list[Revocation]] = relationship(
        back_populates="mandate", order_by="Revocation.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("title <> ''", name="title_not_empty"),
        sa.CheckConstraint(
            "may_agree <> '' AND may_not_agree <> '' AND come_back_when <> ''",
            name="bounds_given",
        ),
        sa.CheckConstraint("tier IN ('group', 'ics', 'public')", name="tier_for_members"),
        sa.CheckConstraint(
            f"({_GRANTED}) = (granted_at IS NOT NULL AND provenance IS NOT NULL)",
            name="granted_with_provenance",
        ),
        sa.CheckConstraint(
            "(state = 'not_granted') = (not_granted_reason IS NOT NULL)",
            name="reason_when_not_granted",
        ),
        sa.CheckConstraint(
            "state <> 'suspended' OR (suspended_at IS NOT NULL AND suspension_reason IS NOT NULL"
            " AND suspension_reason <> '')",
            name="suspended_with_reason",
        ),
        sa.CheckConstraint(
            "(state = 'revoked') = (revoked_at IS NOT NULL AND revoke_vote_id IS NOT NULL)",
            name="revoked_by_a_vote",
        ),
        sa.CheckConstraint(
            "(state = 'superseded') = (superseded_by_id IS NOT NULL)",
            name="superseded_by_a_mandate",
        ),
        sa.CheckConstraint("(state = 'ended') = (ended_at IS NOT NULL)", name="ended_when"),
        sa.CheckConstraint("superseded_by_id <> id", name="not_its_own_successor"),
        sa.Index("ix_mandates_area_id_subject_key", "area_id", "subject_key"),
    )

    def state_on(self, day: date) -> MandateState:
        """The state as of ``day`` (London): past its end date it has ended, whether or not
        the worker has written that yet, so no page has to write to say so."""
        if self.state in (MandateState.IN_FORCE, MandateState.SUSPENDED) and day > self.ends_on:
            return MandateState.ENDED
        return self.state

    def holder_for(self, user: object) -> MandateHolder | None:
        return next((h for h in self.holders if h.user_id == getattr(user, "id", None)), None)


class MandateHolder(Model):
    """A named person holding the mandate in one of their roles in the area."""

    __tablename__ = "mandate_holders"

    id: Mapped[int] = mapped_column(primary_key=True)
    mandate_id: Mapped[int] = mapped_column(sa.ForeignKey("mandates.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    # The role they hold it in, as it was when the mandate was set up.
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))

    mandate: Mapped[Mandate] = relationship(back_populates="holders")
    user: Mapped[User] = relationship()
    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("mandate_id", "user_id"),
        sa.CheckConstraint("role <> 'ics_reader'", name="holder_in_the_group"),
    )

    @property
    def described(self) -> str:
        return f"{self.user.name}, {self.role.label}, {self.organisation.name}"


class Commitment(Model):
    """A commitment a holder made under the mandate, as they reported it."""

    __tablename__ = "mandate_commitments"

    id: Mapped[int] = mapped_column(primary_key=True)
    mandate_id: Mapped[int] = mapped_column(sa.ForeignKey("mandates.id", ondelete="CASCADE"))
    holder_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    made_on: Mapped[date] = mapped_column(sa.Date())
    forum: Mapped[str] = mapped_column(sa.String(200))
    with_whom: Mapped[str] = mapped_column(sa.String(200))
    what_agreed: Mapped[str] = mapped_column(sa.Text())
    ratification: Mapped[Ratification] = mapped_column(
        enum_column(Ratification, "ratification"), default=Ratification.NOT_NEEDED
    )
    # The draft motion made to ratify it, opened (or not) by an officer on voting's pages.
    ratification_vote_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("votes.id", ondelete="RESTRICT"), unique=True
    )
    ratification_provenance: Mapped[str | None] = mapped_column(sa.Text())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    mandate: Mapped[Mandate] = relationship(back_populates="commitments")
    holder: Mapped[User] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "forum <> '' AND with_whom <> '' AND what_agreed <> ''", name="details_given"
        ),
        sa.CheckConstraint(
            "(ratification = 'not_needed') = (ratification_vote_id IS NULL)",
            name="ratified_by_a_vote",
        ),
        sa.CheckConstraint(
            "ratification IN ('ratified', 'not_ratified') OR ratification_provenance IS NULL",
            name="provenance_once_decided",
        ),
    )


class RevocationOutcome(enum.Enum):
    PASSED = "passed"
    NOT_PASSED = "not_passed"
    CANCELLED = "cancelled"


class Revocation(Model):
    """A motion put to the mandate's electorate to revoke it; passing it revokes."""

    __tablename__ = "mandate_revocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    mandate_id: Mapped[int] = mapped_column(sa.ForeignKey("mandates.id", ondelete="CASCADE"))
    vote_id: Mapped[int] = mapped_column(
        sa.ForeignKey("votes.id", ondelete="RESTRICT"), unique=True
    )
    proposed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(sa.Text())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Written when voting reports the motion closed or called off.
    outcome: Mapped[RevocationOutcome | None] = mapped_column(
        enum_column(RevocationOutcome, "revocation_outcome")
    )

    mandate: Mapped[Mandate] = relationship(back_populates="revocations")

    __table_args__ = (sa.CheckConstraint("reason <> ''", name="reason_given"),)
