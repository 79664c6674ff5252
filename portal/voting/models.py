"""Votes, their frozen electorate, ballots, receipts, proxies and conflicts of interest."""

from __future__ import annotations

import enum
import secrets
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.audit.models import ChainHeadStamped
from portal.database import UTCDateTime, enum_column, utcnow
from portal.extensions import Model
from portal.organisations.models import Area, Organisation
from portal.voting import sealing

if TYPE_CHECKING:
    from portal.accounts.models import User


class VoteKind(enum.Enum):
    MOTION = "motion"
    CHOICE = "choice"


class BallotSecrecy(enum.Enum):
    OPEN = "open"
    SECRET = "secret"  # noqa: S105  (a kind of ballot, not a password)


class VoteState(enum.Enum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class BallotOrigin(enum.Enum):
    """How a ballot reached the count: cast online, shown in the room, or by a proxy."""

    ONLINE = "online"
    ROOM = "room"
    PROXY = "proxy"


class InterestCategory(enum.Enum):
    FINANCIAL = "financial"
    NON_FINANCIAL_PROFESSIONAL = "non_financial_professional"
    NON_FINANCIAL_PERSONAL = "non_financial_personal"
    INDIRECT = "indirect"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").replace("non financial", "non-financial").capitalize()


class ConflictRuling(enum.Enum):
    PENDING = "pending"
    NONE = "none"
    RECUSED = "recused"


class Vote(ChainHeadStamped, Model):
    __tablename__ = "votes"
    # The audit chain's head as it stood at this action is kept and shown (portal/audit).
    audit_head_actions = frozenset({"vote.closed"})

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(sa.String(200))
    question: Mapped[str] = mapped_column(sa.String(500))
    body_markdown: Mapped[str] = mapped_column(sa.Text(), default="")
    kind: Mapped[VoteKind] = mapped_column(enum_column(VoteKind, "vote_kind"))
    secrecy: Mapped[BallotSecrecy] = mapped_column(enum_column(BallotSecrecy, "ballot_secrecy"))
    state: Mapped[VoteState] = mapped_column(
        enum_column(VoteState, "vote_state"), default=VoteState.DRAFT
    )
    options: Mapped[list[str]] = mapped_column(sa.JSON())
    # The "rules" object of the ballot record, exactly as portal.voting.rules reads it.
    rules: Mapped[dict[str, Any]] = mapped_column(sa.JSON())
    voting_kinds: Mapped[list[str]] = mapped_column(sa.JSON())
    # When set, only practices of these PCNs (by code) vote in the practice constituency.
    pcn_codes: Mapped[list[str] | None] = mapped_column(sa.JSON(none_as_null=True))
    # The ICS proposal the vote answers, if any.
    proposal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="SET NULL")
    )
    # When set, only these organisations (by id, of the voting kinds) form the electorate:
    # for example the practices signed up to an agreement, who alone vote on changing it.
    organisation_ids: Mapped[list[int] | None] = mapped_column(sa.JSON(none_as_null=True))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Computed once at close and never again: the record, its SHA-256 and the result.
    ballot_record: Mapped[str | None] = mapped_column(sa.Text())
    ballot_record_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON(none_as_null=True))
    # The exact weight behind each option and the turnout ("p/q"), kept when the ballots go.
    exact_totals: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON(none_as_null=True))
    # A secret ballot's figures as published: only what unmasks nobody (portal.voting.secrecy).
    published: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON(none_as_null=True))
    # A secret ballot's full record (@2), readable only by its scrutineers (portal.voting.
    # scrutiny); ``ballot_record`` holds it in the clear only when the attacker finds nothing.
    sealed_record: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    # A vote on a draft or amendment takes the draft's tier (``portal.positions.models.Tier``
    # values): only that tier's audience sees it, and its email carries no title unless it is
    # "public". None for a vote that is not on a draft.
    tier: Mapped[str | None] = mapped_column(sa.String(12))
    # Secret per vote: turns organisation codes into pseudonyms in a secret ballot's record.
    pseudonym_key: Mapped[str] = mapped_column(sa.String(64))
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A vote called off before it was counted: when, by whom and why. It is never counted.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    cancellation_reason: Mapped[str | None] = mapped_column(sa.Text())
    # When the retention job removed what linked this vote's ballots to organisations (the
    # ballot rows, the receipts' links, the stored record); the published SHA-256 stays.
    records_removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    area: Mapped[Area] = relationship()
    proposal = relationship("Proposal")
    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])
    electorate: Mapped[list[ElectorateMember]] = relationship(
        back_populates="vote", order_by="ElectorateMember.id", cascade="all, delete-orphan"
    )
    scrutineers: Mapped[list[Scrutineer]] = relationship(
        back_populates="vote", order_by="Scrutineer.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
        sa.CheckConstraint(
            "(state = 'closed') = (result IS NOT NULL)", name="result_only_when_closed"
        ),
        sa.Index("ix_votes_area_id_state", "area_id", "state"),
    )


class ElectorateMember(Model):
    """One organisation's place in a vote, with its list sizes frozen at opening."""

    __tablename__ = "electorate_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("votes.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    kind: Mapped[str] = mapped_column(sa.String(12))
    ods_code: Mapped[str] = mapped_column(sa.String(12))
    name: Mapped[str] = mapped_column(sa.String(200))
    list_size: Mapped[int | None]
    list_size_date: Mapped[date | None]
    weighted_list_size: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    weighted_list_size_date: Mapped[date | None]
    fixed_weight: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 4))
    recused: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Set at close: whether this organisation cast a ballot (who voted, never how).
    voted: Mapped[bool | None]

    vote: Mapped[Vote] = relationship(back_populates="electorate")
    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("vote_id", "organisation_id"),
        sa.CheckConstraint("kind IN ('practice', 'pcn', 'federation', 'lmc')", name="kind_votes"),
    )


class ScrutineerKeys:
    """What is kept of one scrutineer's key (``portal.voting.sealing``), for a vote's and an
    election's scrutineers alike: the public key, the private key encrypted under the
    passphrase (never the passphrase), and, once the copy is sealed, its data key wrapped for
    this scrutineer."""

    appointed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    passphrase_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    public_key: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    sealed_private_key: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    key_salt: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    key_cost: Mapped[int | None]
    wrapped_key: Mapped[bytes | None] = mapped_column(sa.LargeBinary())

    def take_key(self, key: sealing.ScrutineerKey, now: datetime) -> None:
        self.public_key = key.public_key
        self.sealed_private_key = key.sealed_private_key
        self.key_salt = key.salt
        self.key_cost = key.cost
        self.passphrase_set_at = now

    def stored_key(self) -> sealing.ScrutineerKey | None:
        """The key the copy was sealed to, or None when none was (no passphrase was set)."""
        if (
            self.public_key is None
            or self.sealed_private_key is None
            or self.key_salt is None
            or self.key_cost is None
        ):
            return None
        return sealing.ScrutineerKey(
            self.public_key, self.sealed_private_key, self.key_salt, self.key_cost
        )


def seal_to_scrutineers(
    scrutineers: Sequence[ScrutineerKeys], plaintext: bytes, context: bytes
) -> bytes | None:
    """``plaintext`` sealed to every scrutineer who has a key, each given its wrapped data key;
    None when nobody has one (then nothing can open it, so nothing is kept)."""
    keyed = [scrutineer for scrutineer in scrutineers if scrutineer.public_key is not None]
    if not keyed:
        return None
    sealed, wrapped = sealing.seal(
        plaintext, [s.public_key for s in keyed if s.public_key is not None], context
    )
    for scrutineer, wrapping in zip(keyed, wrapped, strict=True):
        scrutineer.wrapped_key = wrapping
    return sealed


class Scrutineer(ScrutineerKeys, Model):
    """A person named to hold a secret ballot's full record, as independent scrutineers hold
    the marked register in a union ballot.

    The keys are those of ``portal.voting.sealing``: the public key and the private key
    encrypted under the scrutineer's passphrase (never the passphrase), and, once the vote has
    closed, the record's data key wrapped for this scrutineer.
    """

    __tablename__ = "scrutineers"

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("votes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))

    vote: Mapped[Vote] = relationship(back_populates="scrutineers")
    user: Mapped[User] = relationship()

    __table_args__ = (sa.UniqueConstraint("vote_id", "user_id"),)


class Ballot(Model):
    """The one counted ballot of an organisation in a vote; a later cast replaces it."""

    __tablename__ = "ballots"

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("votes.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    choice: Mapped[str] = mapped_column(sa.String(100))
    # Cleared when a secret ballot closes: no link from ballot to person survives the vote.
    cast_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # Set when the organisation's proxy cast this ballot.
    proxy_id: Mapped[int | None] = mapped_column(sa.ForeignKey("proxies.id", ondelete="SET NULL"))
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    # "room" ballots are recorded by a meeting's chair (portal/voting/room.py).
    origin: Mapped[BallotOrigin] = mapped_column(
        enum_column(BallotOrigin, "ballot_origin"),
        default=BallotOrigin.ONLINE,
        server_default=BallotOrigin.ONLINE.value,
    )

    organisation: Mapped[Organisation] = relationship()
    cast_by = relationship("User")
    proxy: Mapped[Proxy | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("vote_id", "organisation_id"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )


class ReceiptStanding(enum.Enum):
    """What became of a secret ballot's receipt, written when the vote closes or is cancelled."""

    COUNTED = "counted"
    REPLACED = "replaced"
    CANCELLED = "cancelled"


def new_receipt_id() -> str:
    """A random key, so the order of receipts says nothing about the order of voting."""
    return secrets.token_hex(16)


class Receipt(Model):
    """What a receipt code proves: this organisation's ballot was cast (as this choice, in an
    open ballot). Only the SHA-256 of the code is stored. A receipt whose ballot was later
    replaced says so.

    A secret ballot's receipt never holds the choice. When the vote closes or is cancelled its
    ``standing`` is written and the link to the ballot (which is then deleted) and the time it
    was issued are cleared, so nothing joins a receipt to an organisation.
    """

    __tablename__ = "receipts"
    # Each version of a ballot has exactly one receipt: two "changes" can never share one.
    __table_args__ = (
        sa.Index("ix_receipts_ballot_version", "ballot_id", "ballot_version", unique=True),
        sa.CheckConstraint(
            "(ballot_id IS NULL) = (standing IS NOT NULL)", name="ballot_until_standing"
        ),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_receipt_id)
    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("votes.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    ballot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ballots.id", ondelete="CASCADE"))
    ballot_version: Mapped[int | None]
    choice: Mapped[str | None] = mapped_column(sa.String(100))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    standing: Mapped[ReceiptStanding | None] = mapped_column(
        enum_column(ReceiptStanding, "receipt_standing")
    )

    vote: Mapped[Vote] = relationship()
    ballot: Mapped[Ballot | None] = relationship()


class Proxy(Model):
    """A practice names another practice to cast its ballot in one vote."""

    __tablename__ = "proxies"

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("votes.id", ondelete="CASCADE"))
    grantor_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    holder_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    instruction: Mapped[str | None] = mapped_column(sa.String(100))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    grantor: Mapped[Organisation] = relationship(foreign_keys=[grantor_id])
    holder: Mapped[Organisation] = relationship(foreign_keys=[holder_id])

    __table_args__ = (
        sa.CheckConstraint("grantor_id <> holder_id", name="not_own_proxy"),
        sa.Index(
            "uq_proxies_active_grantor",
            "vote_id",
            "grantor_id",
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        ),
    )


class Interest(Model):
    """An entry in an organisation's register of declared interests."""

    __tablename__ = "interests"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE")
    )
    category: Mapped[InterestCategory] = mapped_column(
        enum_column(InterestCategory, "interest_category")
    )
    description: Mapped[str] = mapped_column(sa.Text())
    declared_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship()
    declared_by = relationship("User")


class ConflictDeclaration(Model):
    """An organisation's declared conflict in one vote, and the officer's ruling on it."""

    __tablename__ = "conflict_declarations"

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("votes.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    category: Mapped[InterestCategory] = mapped_column(
        enum_column(InterestCategory, "interest_category")
    )
    description: Mapped[str] = mapped_column(sa.Text())
    declared_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ruling: Mapped[ConflictRuling] = mapped_column(
        enum_column(ConflictRuling, "conflict_ruling"), default=ConflictRuling.PENDING
    )
    ruled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    ruled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship()
    vote: Mapped[Vote] = relationship()

    __table_args__ = (sa.UniqueConstraint("vote_id", "organisation_id"),)


class CastConfirmation(Model):
    """A one-time token for one "Cast ballot" button: issued when the voter chooses an answer,
    used up by the cast it confirms, so a second submission of the same page casts nothing.

    Only the SHA-256 of the token is stored, and neither the person nor the answer: in a secret
    ballot nothing here may link a person to a ballot once the vote has closed.
    """

    __tablename__ = "cast_confirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("votes.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE")
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    used: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
