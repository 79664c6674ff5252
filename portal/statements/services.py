"""Publishing agreed positions as statements, ending them, recording the ICS's responses, and
finding the statements a reader may see.

Services flush but never commit; each writes its audit entry and raises a ``DomainError``
subclass whose message can be shown to the user. A statement is never edited: publishing copies
the agreed revision's title and body, the signatories and the provenance at that moment.

References are ``GPV-<year>-<number>``: the year of publication (London time) and the next
number of that year, three digits at least. The reference is unique across the portal (the
statement's address is ``/statements/<reference>``, which names no area), so the numbers of a
year are shared by every area the portal hosts. Two officers publishing at the same moment may
pick the same number: the unique constraint refuses the second, which tries the next number.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal import figures
from portal.accounts.models import User
from portal.audit.services import record
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.organisations.models import Area
from portal.positions.models import Position, PositionState, Proposal
from portal.statements.models import (
    IcsResponse,
    SignatoryChoice,
    Statement,
    StatementSignatory,
    StatementState,
)
from portal.statements.notices import tell_of_publication
from portal.statements.permissions import can_publish, can_respond, statement_tiers
from portal.tiers import Tier
from portal.times import LONDON
from portal.voting import public as voting_public
from portal.voting.models import BallotSecrecy, ElectorateMember, Vote
from portal.voting.published import result_wording, shares_for_people

REFERENCE_PREFIX = "GPV"
REFERENCE_PATTERN = re.compile(r"^GPV-(\d{4})-(\d{3,})$")
REFERENCE_ATTEMPTS = 5
ENDORSERS_ONLY = (
    "This position was agreed in a secret ballot, so no organisation may be shown to have "
    "voted for it: it is signed only by the organisations that endorse it after publication."
)
NOT_A_SUPPORTER = (
    "Only organisations that voted for it can sign it: the list names one that did not"
)
REPLACED = "Replaced by a later statement."
MAX_REASON_LENGTH = 2000
MAX_RESPONSE_LENGTH = 20000
KIND_RANK = {"lmc": 0, "federation": 1, "pcn": 2, "practice": 3}


class NotPublishable(DomainError):
    pass


# ----------------------------------------------------------------------------------------------
# Signatories, from the stored vote: never an organisation that did not vote for it
# ----------------------------------------------------------------------------------------------


def vote_passed(vote: Vote | None) -> bool:
    return voting_public.passed(vote)


def _in_signing_order(members: Sequence[ElectorateMember]) -> list[ElectorateMember]:
    return sorted(members, key=lambda m: (KIND_RANK.get(m.kind, 9), m.name, m.ods_code))


def supporters(vote: Vote) -> list[ElectorateMember]:
    """The organisations that voted for, in an open ballot; nobody can know in a secret one."""
    if vote.secrecy is BallotSecrecy.SECRET:
        return []
    voted_for = {
        voter for voter, choice in voting_public.ballots_by_voter(vote).items() if choice == "for"
    }
    return _in_signing_order(
        [m for m in vote.electorate if not m.recused and m.ods_code in voted_for]
    )


def signatory_members(
    vote: Vote, choice: SignatoryChoice, chosen: Collection[int] = ()
) -> list[ElectorateMember]:
    """The organisations that sign at publication: those that voted for, some of them chosen
    by organisation id, or nobody yet (only later endorsers sign). Refused otherwise."""
    if vote.secrecy is BallotSecrecy.SECRET and choice is not SignatoryChoice.ENDORSERS:
        raise DomainError(ENDORSERS_ONLY)
    if choice is SignatoryChoice.ENDORSERS:
        return []
    voted_for = supporters(vote)
    if choice is SignatoryChoice.VOTED_FOR:
        return voted_for
    chosen_ids = set(chosen)
    if not chosen_ids:
        raise DomainError("Choose at least one of the organisations that voted for it")
    if chosen_ids - {member.organisation_id for member in voted_for}:
        raise DomainError(NOT_A_SUPPORTER)
    return [member for member in voted_for if member.organisation_id in chosen_ids]


@dataclass(frozen=True)
class Preview:
    """The statement as readers will see it, before anything is written."""

    title: str
    body_markdown: str
    signatories: list[ElectorateMember]
    provenance: str
    warnings: list[str]


def turnout_warnings(vote: Vote) -> list[str]:
    """What the officer should know before speaking for the group on this vote."""
    result = voting_public.result(vote)
    quorum = vote.rules.get("quorum") or {}
    warnings = []
    eligible = result.eligible_members if result else 0
    members = result.turnout_members if result else 0
    weight = result.turnout_weight if result else Fraction(0)
    if 2 * members < eligible or weight < Fraction(1, 2):
        # Written as the result page writes it, so the warning and the page agree.
        shares = shares_for_people(vote)
        held = shares.turnout if shares else figures.percent(weight)
        warnings.append(
            f"Fewer than half voted: {members:,} of {eligible:,} organisations, holding "
            f"{held} of the weight. The statement will speak for the group all the same."
        )
    if quorum.get("members") is None and quorum.get("weight") is None:
        warnings.append("No quorum was set for this vote, so it passed however few voted.")
    return warnings


def preview(position: Position, choice: SignatoryChoice, chosen: Collection[int] = ()) -> Preview:
    """What ``publish`` would write, or the reason it would refuse."""
    vote = check_publishable(position)
    revision = position.voted_revision
    assert revision is not None
    members = signatory_members(vote, choice, chosen)
    if not members and choice is not SignatoryChoice.ENDORSERS:
        raise DomainError("No organisation would sign this statement")
    text = result_wording(vote)
    assert text is not None
    return Preview(revision.title, revision.body_markdown, members, text, turnout_warnings(vote))


# ----------------------------------------------------------------------------------------------
# Publishing
# ----------------------------------------------------------------------------------------------


def publication_year(now: datetime) -> int:
    return now.astimezone(LONDON).year


def next_reference(year: int) -> str:
    """The next free reference of ``year``: one more than the highest number used so far."""
    taken = db.session.execute(
        sa.select(Statement.reference).where(
            Statement.reference.like(f"{REFERENCE_PREFIX}-{year}-%")
        )
    ).scalars()
    numbers = [int(match.group(2)) for ref in taken if (match := REFERENCE_PATTERN.match(ref))]
    return f"{REFERENCE_PREFIX}-{year}-{max(numbers, default=0) + 1:03d}"


def check_publishable(position: Position) -> Vote:
    """The position's passed vote, or the reason it cannot be published."""
    if position.state is PositionState.PUBLISHED:
        raise Conflict("This position has already been published")
    if position.state is not PositionState.AGREED:
        raise NotPublishable(
            "Only an agreed position can be published: this one is "
            f"{position.state.value.replace('_', ' ')}"
        )
    vote = position.vote
    if not vote_passed(vote):
        raise NotPublishable("Only a position whose vote passed can be published")
    if position.voted_revision is None:
        raise NotPublishable("This position has no agreed revision to publish")
    return vote


def publish(
    actor: User,
    position: Position,
    tier: Tier,
    signatories: SignatoryChoice,
    now: datetime,
    chosen: Collection[int] = (),
) -> Statement:
    """Publish the position's agreed revision as a statement and mark the position published."""
    if not can_publish(actor, position.area):
        raise NotPermitted("Only LMC officers and area administrators can publish statements")
    # Two officers publishing the same position at once: the second waits, then sees it done.
    db.session.refresh(position, with_for_update=True)
    seen = preview(position, signatories, chosen)
    vote = position.vote
    revision = position.voted_revision
    assert vote is not None
    assert revision is not None
    members = seen.signatories
    text = seen.provenance
    year = publication_year(now)
    for _attempt in range(REFERENCE_ATTEMPTS):
        statement = Statement(
            area_id=position.area_id,
            reference=next_reference(year),
            position_id=position.id,
            revision_id=revision.id,
            vote_id=vote.id,
            proposal_id=position.proposal_id,
            title=revision.title,
            body_markdown=revision.body_markdown,
            provenance=text,
            tier=tier,
            signatories_choice=signatories,
            state=StatementState.PUBLISHED,
            published_at=now,
            published_by_id=actor.id,
            signatories=[
                StatementSignatory(
                    organisation_id=member.organisation_id,
                    name=member.name,
                    kind=member.kind,
                    ods_code=member.ods_code,
                )
                for member in members
            ],
        )
        try:
            with db.session.begin_nested():
                db.session.add(statement)
        except IntegrityError:
            continue
        break
    else:
        raise Conflict("Another statement was published at the same moment: please try again")
    position.state = PositionState.PUBLISHED
    db.session.flush()
    record(
        "statement.published",
        f"Statement {statement.reference} published: {statement.title}",
        actor=actor,
        area=position.area,
        subject=statement,
        details={
            "reference": statement.reference,
            "position_id": position.id,
            "revision": revision.number,
            "vote_id": vote.id,
            "tier": tier.value,
            "signatories": signatories.value,
            "signatory_count": len(members),
        },
    )
    tell_of_publication(statement, position.area)
    return statement


# ----------------------------------------------------------------------------------------------
# Ending a statement, and the ICS's responses
# ----------------------------------------------------------------------------------------------


def _lock(statement: Statement) -> None:
    db.session.refresh(statement, with_for_update=True)


def successor_candidates(statement: Statement) -> list[Statement]:
    """Statements of the same area published after ``statement`` and still in force."""
    return list(
        db.session.execute(
            sa.select(Statement)
            .where(
                Statement.area_id == statement.area_id,
                Statement.id != statement.id,
                Statement.state == StatementState.PUBLISHED,
                Statement.published_at >= statement.published_at,
            )
            .order_by(Statement.published_at.desc(), Statement.id.desc())
        ).scalars()
    )


def is_later(successor: Statement, statement: Statement) -> bool:
    return (successor.published_at, successor.id) > (statement.published_at, statement.id)


def supersede(
    actor: User, statement: Statement, successor: Statement, note: str, now: datetime
) -> None:
    """Mark ``statement`` replaced by the later ``successor``; it stays readable and says so."""
    if not can_publish(actor, statement.area):
        raise NotPermitted("Only LMC officers and area administrators can supersede statements")
    _lock(statement)
    if statement.state is not StatementState.PUBLISHED:
        raise Conflict(f"{statement.reference} has already been {statement.state.value}")
    if successor.area_id != statement.area_id:
        raise DomainError("The replacement must be a statement of the same area")
    if successor.state is not StatementState.PUBLISHED:
        raise DomainError(f"{successor.reference} is no longer in force")
    if successor.id == statement.id or not is_later(successor, statement):
        raise DomainError("The replacement must be a statement published later than this one")
    note = note.strip()
    if len(note) > MAX_REASON_LENGTH:
        raise DomainError(f"The note must be {MAX_REASON_LENGTH:,} characters or fewer")
    statement.state = StatementState.SUPERSEDED
    statement.superseded_by_id = successor.id
    statement.ended_at = now
    # The default names no statement: the replacement may be of a tier this one's readers
    # cannot read. Pages link to it for those who can.
    statement.end_reason = note or REPLACED
    db.session.flush()
    record(
        "statement.superseded",
        f"Statement {statement.reference} superseded by {successor.reference}",
        actor=actor,
        area=statement.area,
        subject=statement,
        details={"reference": statement.reference, "superseded_by": successor.reference},
    )


def withdraw(actor: User, statement: Statement, reason: str, now: datetime) -> None:
    """Withdraw ``statement`` for a stated reason; it stays readable and says so."""
    if not can_publish(actor, statement.area):
        raise NotPermitted("Only LMC officers and area administrators can withdraw statements")
    reason = reason.strip()
    if not reason:
        raise DomainError("Enter the reason for withdrawing the statement")
    if len(reason) > MAX_REASON_LENGTH:
        raise DomainError(f"The reason must be {MAX_REASON_LENGTH:,} characters or fewer")
    _lock(statement)
    if statement.state is not StatementState.PUBLISHED:
        raise Conflict(f"{statement.reference} has already been {statement.state.value}")
    statement.state = StatementState.WITHDRAWN
    statement.ended_at = now
    statement.end_reason = reason
    db.session.flush()
    record(
        "statement.withdrawn",
        f"Statement {statement.reference} withdrawn",
        actor=actor,
        area=statement.area,
        subject=statement,
        details={"reference": statement.reference},
    )


def record_response(actor: User, statement: Statement, body: str, now: datetime) -> IcsResponse:
    """The ICS's answer to a statement ("you said, we did"), shown beside it."""
    if not can_respond(actor, statement):
        raise NotPermitted(
            "Only an ICS reader of the area, or an LMC officer on their behalf, can record "
            "the ICS's response"
        )
    body = body.strip()
    if not body:
        raise DomainError("Enter the ICS's response")
    if len(body) > MAX_RESPONSE_LENGTH:
        raise DomainError(f"The response must be {MAX_RESPONSE_LENGTH:,} characters or fewer")
    if statement.state is StatementState.WITHDRAWN:
        raise Conflict("This statement has been withdrawn: there is nothing to respond to")
    response = IcsResponse(
        statement_id=statement.id, body_markdown=body, responded_by_id=actor.id, created_at=now
    )
    db.session.add(response)
    db.session.flush()
    db.session.refresh(statement, attribute_names=["responses"])
    record(
        "statement.response_recorded",
        f"ICS response recorded for statement {statement.reference}",
        actor=actor,
        area=statement.area,
        subject=statement,
        details={"reference": statement.reference, "response_id": response.id},
    )
    return response


# ----------------------------------------------------------------------------------------------
# Finding statements: every list, search, feed and API response goes through readable()
# ----------------------------------------------------------------------------------------------


def readable(user: Any) -> sa.ColumnElement[bool]:
    """A condition true for exactly the statements ``user`` may read, area by area."""
    by_tiers: dict[frozenset[Tier], list[int]] = {}
    for area in db.session.execute(sa.select(Area).order_by(Area.id)).scalars():
        tiers = statement_tiers(user, area)
        if tiers:
            by_tiers.setdefault(tiers, []).append(area.id)
    clauses = [
        sa.and_(Statement.area_id.in_(area_ids), Statement.tier.in_(sorted(tiers, key=_tier_key)))
        for tiers, area_ids in by_tiers.items()
    ]
    return sa.or_(*clauses) if clauses else sa.false()


def _tier_key(tier: Tier) -> str:
    return tier.value


def find(reference: str, user: Any) -> Statement | None:
    """The statement with ``reference`` if ``user`` may read it; None otherwise (a 404)."""
    if not REFERENCE_PATTERN.match(reference):
        return None
    return db.session.execute(
        sa.select(Statement).where(Statement.reference == reference, readable(user))
    ).scalar_one_or_none()


@dataclass(frozen=True)
class Filters:
    """A search of statements: words in the title or body, the proposal, dates and status."""

    text: str = ""
    proposal_id: int | None = None
    published_from: date | None = None
    published_to: date | None = None
    state: StatementState | None = None
    area_slug: str | None = None

    @property
    def active(self) -> bool:
        return any(
            (
                self.text,
                self.proposal_id,
                self.published_from,
                self.published_to,
                self.state,
                self.area_slug,
            )
        )


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LONDON).astimezone(UTC)


def search(user: Any, filters: Filters) -> sa.Select[Statement]:
    """The statements ``user`` may read that match ``filters``, newest first."""
    query = sa.select(Statement).where(readable(user))
    text = filters.text.strip()
    if text:
        pattern = _like(text)
        query = query.where(
            sa.or_(
                Statement.title.ilike(pattern, escape="\\"),
                Statement.body_markdown.ilike(pattern, escape="\\"),
            )
        )
    if filters.proposal_id is not None:
        query = query.where(Statement.proposal_id == filters.proposal_id)
    if filters.published_from is not None:
        query = query.where(Statement.published_at >= _start_of(filters.published_from))
    if filters.published_to is not None:
        query = query.where(
            Statement.published_at < _start_of(filters.published_to + timedelta(days=1))
        )
    if filters.state is not None:
        query = query.where(Statement.state == filters.state)
    if filters.area_slug:
        query = query.join(Area, Area.id == Statement.area_id).where(Area.slug == filters.area_slug)
    return query.order_by(Statement.published_at.desc(), Statement.id.desc())


@dataclass(frozen=True)
class Page:
    items: Sequence[Statement]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def paginate(query: sa.Select[Statement], page: int, per_page: int) -> Page:
    total = db.session.execute(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    items = list(db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).scalars())
    return Page(items=items, page=page, per_page=per_page, total=total)


def answered_proposals(user: Any) -> list[Proposal]:
    """The proposals that the statements ``user`` may read answer, for the search filter."""
    ids = sa.select(Statement.proposal_id).where(readable(user), Statement.proposal_id.is_not(None))
    return list(
        db.session.execute(
            sa.select(Proposal).where(Proposal.id.in_(ids)).order_by(Proposal.title)
        ).scalars()
    )


def areas_with_statements(user: Any) -> list[Area]:
    ids = sa.select(Statement.area_id).where(readable(user))
    return list(
        db.session.execute(sa.select(Area).where(Area.id.in_(ids)).order_by(Area.name)).scalars()
    )


def publishable_positions(user: Any) -> list[Position]:
    """Agreed positions, whose vote passed, in the areas where ``user`` may publish."""
    if not getattr(user, "is_authenticated", False):
        return []
    area_ids = {membership.organisation.area_id for membership in user.memberships}
    positions = db.session.execute(
        sa.select(Position)
        .where(Position.state == PositionState.AGREED, Position.area_id.in_(area_ids))
        .order_by(Position.created_at.desc(), Position.id.desc())
    ).scalars()
    return [
        position
        for position in positions
        if can_publish(user, position.area) and vote_passed(position.vote)
    ]
