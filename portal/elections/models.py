"""Elections of representatives: the election, its frozen electorate, nominations, ranked
ballots and receipts."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.database import UTCDateTime, enum_column, utcnow
from portal.extensions import Model
from portal.organisations.models import Area, Organisation
from portal.voting.models import ScrutineerKeys

if TYPE_CHECKING:
    from portal.accounts.models import User


class CountingMethod(enum.Enum):
    SCOTTISH = "scottish"
    MEEK = "meek"

    @property
    def label(self) -> str:
        return {
            "scottish": "Scottish STV (Scottish Local Government Elections Order 2007)",
            "meek": "Meek STV (Hill, Wichmann and Woodall, 1987)",
        }[self.value]


class ElectorateKind(enum.Enum):
    PEOPLE = "people"
    ORGANISATIONS = "organisations"


class ElectionState(enum.Enum):
    NOMINATIONS = "nominations"
    VOTING = "voting"
    COUNTED = "counted"
    UNOPPOSED = "unopposed"  # candidates <= seats when nominations closed: no ballot
    NO_CANDIDATES = "no_candidates"


class NominationState(enum.Enum):
    AWAITING_SECONDER = "awaiting_seconder"
    AWAITING_ACCEPTANCE = "awaiting_acceptance"
    ACCEPTED = "accepted"
    WITHDRAWN = "withdrawn"  # stood, then withdrew (or was withdrawn) before voting began


class Election(Model):
    __tablename__ = "elections"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(sa.String(200))
    seats: Mapped[int]
    method: Mapped[CountingMethod] = mapped_column(enum_column(CountingMethod, "counting_method"))
    electorate_kind: Mapped[ElectorateKind] = mapped_column(
        enum_column(ElectorateKind, "electorate_kind")
    )
    # How the electorate was drawn, in words, for the election's page.
    electorate_description: Mapped[str] = mapped_column(sa.String(500))
    secret: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    state: Mapped[ElectionState] = mapped_column(
        enum_column(ElectionState, "election_state"), default=ElectionState.NOMINATIONS
    )
    nominations_open_at: Mapped[datetime] = mapped_column(UTCDateTime())
    nominations_close_at: Mapped[datetime] = mapped_column(UTCDateTime())
    voting_opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    voting_closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    nominations_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The count's seed for any lot, its JSON report (portal.elections.count), the SHA-256 of
    # the BLT file it counted, and that file: in the clear for an open ballot, only sealed to
    # the scrutineers for a secret one (portal.elections.scrutiny); set once, at the count.
    count_seed: Mapped[str | None] = mapped_column(sa.String(64))
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON(none_as_null=True))
    ballots_blt: Mapped[str | None] = mapped_column(sa.Text())
    ballots_blt_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    sealed_ballots_blt: Mapped[bytes | None] = mapped_column(sa.LargeBinary())

    area: Mapped[Area] = relationship()
    electors: Mapped[list[Elector]] = relationship(
        back_populates="election", order_by="Elector.label", cascade="all, delete-orphan"
    )
    nominations: Mapped[list[Nomination]] = relationship(
        back_populates="election", order_by="Nomination.id", cascade="all, delete-orphan"
    )
    scrutineers: Mapped[list[ElectionScrutineer]] = relationship(
        back_populates="election", order_by="ElectionScrutineer.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("seats >= 1", name="seats_positive"),
        sa.CheckConstraint(
            "nominations_close_at > nominations_open_at", name="nominations_close_after_open"
        ),
        sa.CheckConstraint(
            "voting_opens_at >= nominations_close_at", name="voting_after_nominations"
        ),
        sa.CheckConstraint("voting_closes_at > voting_opens_at", name="voting_closes_after_open"),
        sa.CheckConstraint(
            "(state IN ('counted', 'unopposed')) = (result IS NOT NULL)",
            name="result_only_when_decided",
        ),
        sa.Index("ix_elections_area_id_state", "area_id", "state"),
    )

    @property
    def candidates(self) -> list[Nomination]:
        """Accepted nominations in ballot-paper order (by name, then by nomination)."""
        accepted = [n for n in self.nominations if n.state is NominationState.ACCEPTED]
        return sorted(accepted, key=lambda n: (n.candidate.name.casefold(), n.id))

    @property
    def withdrawn(self) -> list[Nomination]:
        """Candidates who withdrew, in ballot-paper order: shown struck out, not on the ballot."""
        gone = [n for n in self.nominations if n.state is NominationState.WITHDRAWN]
        return sorted(gone, key=lambda n: (n.candidate.name.casefold(), n.id))

    @property
    def blt_candidates(self) -> list[Nomination]:
        """Everyone who stood, withdrawn included, in ballot-paper order: as a council's BLT
        file lists them, with the withdrawn marked on its second line."""
        return sorted(
            self.candidates + self.withdrawn, key=lambda n: (n.candidate.name.casefold(), n.id)
        )


class ElectionScrutineer(ScrutineerKeys, Model):
    """A person named to hold a secret election's BLT file, sealed to their key at the count.

    The keys are those of ``portal.voting.sealing``, as for a vote's scrutineer: the public
    key and the private key encrypted under the passphrase (never the passphrase), and, once
    the election is counted, the file's data key wrapped for this scrutineer.
    """

    __tablename__ = "election_scrutineers"

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(sa.ForeignKey("elections.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))

    election: Mapped[Election] = relationship(back_populates="scrutineers")
    user: Mapped[User] = relationship()

    __table_args__ = (sa.UniqueConstraint("election_id", "user_id"),)


class Elector(Model):
    """One place in an election's electorate: a person, or an organisation with its weight."""

    __tablename__ = "electors"

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(sa.ForeignKey("elections.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    label: Mapped[str] = mapped_column(sa.String(300))
    weight: Mapped[int] = mapped_column(default=1)
    # Who has voted is known (for turnout); how they voted is not kept for a secret election.
    voted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    election: Mapped[Election] = relationship(back_populates="electors")
    user: Mapped[User | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("election_id", "user_id"),
        sa.UniqueConstraint("election_id", "organisation_id"),
        sa.CheckConstraint("weight >= 1", name="weight_positive"),
        sa.CheckConstraint(
            "(user_id IS NULL) <> (organisation_id IS NULL)", name="person_or_organisation"
        ),
    )


class Nomination(Model):
    __tablename__ = "nominations"

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(sa.ForeignKey("elections.id", ondelete="CASCADE"))
    candidate_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    nominator_id: Mapped[int] = mapped_column(sa.ForeignKey("electors.id", ondelete="RESTRICT"))
    nominated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    seconder_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("electors.id", ondelete="RESTRICT")
    )
    seconded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    state: Mapped[NominationState] = mapped_column(
        enum_column(NominationState, "nomination_state"),
        default=NominationState.AWAITING_SECONDER,
    )
    statement_markdown: Mapped[str] = mapped_column(sa.Text(), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    withdrawal_reason: Mapped[str | None] = mapped_column(sa.String(500))

    election: Mapped[Election] = relationship(back_populates="nominations")
    candidate: Mapped[User] = relationship(foreign_keys=[candidate_id])
    nominator: Mapped[Elector] = relationship(foreign_keys=[nominator_id])
    seconder: Mapped[Elector | None] = relationship(foreign_keys=[seconder_id])

    __table_args__ = (
        sa.UniqueConstraint("election_id", "candidate_id"),
        sa.CheckConstraint("nominator_id <> seconder_id", name="seconder_not_nominator"),
        sa.CheckConstraint(
            "(state = 'awaiting_seconder') = (seconder_id IS NULL)", name="seconded_state"
        ),
        sa.CheckConstraint(
            "(state = 'withdrawn') = (withdrawn_at IS NOT NULL AND withdrawal_reason IS NOT NULL)",
            name="withdrawn_state",
        ),
    )


class ElectionBallot(Model):
    """An elector's ranking of candidates (nomination ids, first preference first).

    When a secret election is counted its ballots are emptied (``elector_id`` cleared, the
    ranking and weight dropped, the time of casting set to the count's): only ``version``
    stays, so that a receipt can still say whether a later ballot replaced it.
    """

    __tablename__ = "election_ballots"

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(sa.ForeignKey("elections.id", ondelete="CASCADE"))
    elector_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("electors.id", ondelete="SET NULL"), unique=True
    )
    ranking: Mapped[list[int]] = mapped_column(sa.JSON())
    weight: Mapped[int]
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __table_args__ = (
        sa.CheckConstraint("weight >= 1", name="weight_positive"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )


class ElectionReceipt(Model):
    """What a receipt code proves: a ballot ranked these candidates. Only a hash of the code
    is kept; in a secret election the ranking is kept only sealed under the code itself
    (``sealed_ranking``), so nobody without the code can read it."""

    __tablename__ = "election_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(sa.ForeignKey("elections.id", ondelete="CASCADE"))
    ballot_id: Mapped[int] = mapped_column(sa.ForeignKey("election_ballots.id", ondelete="CASCADE"))
    ballot_version: Mapped[int]
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    ranking_names: Mapped[list[str] | None] = mapped_column(sa.JSON(none_as_null=True))
    sealed_ranking: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    election: Mapped[Election] = relationship()
    ballot: Mapped[ElectionBallot] = relationship()

    __table_args__ = (
        sa.Index("ix_election_receipts_ballot_version", "ballot_id", "ballot_version", unique=True),
        sa.CheckConstraint(
            "(ranking_names IS NULL) <> (sealed_ranking IS NULL)", name="ranking_clear_or_sealed"
        ),
    )
