"""Running a weighted vote: create, open (freezing the electorate), cast, proxies, conflicts,
close (counting once with ``portal.voting.rules``) and the notices that go with them.

Services flush but never commit; each writes its audit entry and raises a ``DomainError``
subclass whose message can be shown to the user. Choices never go into the audit log: the
log is readable by administrators while a vote is open, and nobody may see how it is going.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import hmac
import io
import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import Membership, User
from portal.audit.services import record
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.mail import queue_email
from portal.organisations.models import Area, Organisation, OrganisationKind, PcnMembership
from portal.spreadsheets import spreadsheet_safe
from portal.urls import external_url
from portal.voting import rules as counting
from portal.voting import secrecy, unlinking
from portal.voting.models import (
    Ballot,
    BallotOrigin,
    BallotSecrecy,
    ConflictDeclaration,
    ConflictRuling,
    ElectorateMember,
    Interest,
    InterestCategory,
    Proxy,
    Receipt,
    ReceiptStanding,
    Vote,
    VoteKind,
    VoteState,
)
from portal.voting.permissions import CASTING_ROLE, can_manage_votes, casts_for

MOTION_OPTIONS = ["for", "against", "abstain"]
VOTING_KINDS = ("practice", "pcn", "federation", "lmc")
# Below this many voters a secret ballot's breakdown could point at who voted how.
SMALLEST_SHOWN_GROUP = 5
REMINDER_BEFORE_CLOSE = timedelta(hours=24)
MAXIMUM_OPTION_LENGTH = 100
IDENTIFYING_SCHEMES = frozenset({"list_size", "weighted_list_size", "fixed"})


class VotingClosed(DomainError):
    pass


class VotingNotOpen(DomainError):
    pass


class VoteLocked(DomainError):
    pass


@dataclass(frozen=True)
class VoteDetails:
    """What an officer fills in to create or edit a vote."""

    title: str
    question: str
    body_markdown: str
    kind: VoteKind
    secrecy: BallotSecrecy
    options: list[str]
    voting_kinds: list[str]
    pcn_codes: list[str] | None
    opens_at: datetime
    closes_at: datetime
    rules: dict[str, Any]


def weights_identify_voters(details: VoteDetails) -> bool:
    """A secret ballot whose weights are mostly unique would let its record reveal voters."""
    if details.secrecy is not BallotSecrecy.SECRET:
        return False
    weighting = details.rules.get("weighting") or {}
    scheme = weighting.get("scheme")
    return scheme in IDENTIFYING_SCHEMES or (
        scheme == "hybrid" and weighting.get("basis") in IDENTIFYING_SCHEMES
    )


def _check_details(details: VoteDetails) -> list[str]:
    if not details.title.strip() or not details.question.strip():
        raise DomainError("Enter a title and a question")
    if details.closes_at <= details.opens_at:
        raise DomainError("The closing time must be after the opening time")
    kinds = [kind for kind in details.voting_kinds if kind in VOTING_KINDS]
    if not kinds or len(kinds) != len(details.voting_kinds):
        raise DomainError("Choose which kinds of organisation vote")
    if details.kind is VoteKind.MOTION:
        options = list(MOTION_OPTIONS)
    else:
        options = [option.strip() for option in details.options if option.strip()]
        if len(options) < 2 or len(set(options)) != len(options):
            raise DomainError("A choice needs two or more different options")
        if "abstain" in options:
            raise DomainError("A choice cannot have an option called abstain")
        if any(len(option) > MAXIMUM_OPTION_LENGTH for option in options):
            raise DomainError(f"Each option must be {MAXIMUM_OPTION_LENGTH} characters or fewer")
    try:
        counting.parse_rules(details.rules, details.kind.value)
    except counting.RecordError as error:
        raise DomainError(f"The rules are not valid: {error}") from error
    return options


def create_vote(actor: User, area: Area, details: VoteDetails, *, authorised: bool = False) -> Vote:
    """Create a draft vote. ``authorised`` is for a caller that has already decided, by its
    own rule, that ``actor`` may run this vote (a position's drafting lead putting it to the
    vote); otherwise only LMC officers and area administrators may."""
    if not (authorised or can_manage_votes(actor, area)):
        raise NotPermitted("Only LMC officers and area administrators can create votes")
    options = _check_details(details)
    vote = Vote(
        area_id=area.id,
        title=details.title.strip(),
        question=details.question.strip(),
        body_markdown=details.body_markdown,
        kind=details.kind,
        secrecy=details.secrecy,
        state=VoteState.DRAFT,
        options=options,
        rules=details.rules,
        voting_kinds=list(details.voting_kinds),
        pcn_codes=details.pcn_codes or None,
        opens_at=details.opens_at,
        closes_at=details.closes_at,
        created_by_id=actor.id,
        pseudonym_key=secrets.token_hex(32),
    )
    db.session.add(vote)
    db.session.flush()
    record("vote.created", f"Vote created: {vote.title}", actor=actor, area=area, subject=vote)
    return vote


def update_vote(actor: User, vote: Vote, details: VoteDetails) -> None:
    if not can_manage_votes(actor, vote.area):
        raise NotPermitted("Only LMC officers and area administrators can change votes")
    if vote.state is not VoteState.DRAFT:
        raise VoteLocked("The rules and text cannot change once the vote has opened")
    options = _check_details(details)
    vote.title = details.title.strip()
    vote.question = details.question.strip()
    vote.body_markdown = details.body_markdown
    vote.kind = details.kind
    vote.secrecy = details.secrecy
    vote.options = options
    vote.rules = details.rules
    vote.voting_kinds = list(details.voting_kinds)
    vote.pcn_codes = details.pcn_codes or None
    vote.opens_at = details.opens_at
    vote.closes_at = details.closes_at
    db.session.flush()
    record("vote.updated", f"Vote changed: {vote.title}", actor=actor, area=vote.area, subject=vote)


def _eligible_organisations(vote: Vote) -> list[Organisation]:
    kinds = [OrganisationKind(kind) for kind in vote.voting_kinds]
    query = (
        sa.select(Organisation)
        .where(
            Organisation.area_id == vote.area_id,
            Organisation.kind.in_(kinds),
            Organisation.closed_on.is_(None),
        )
        .order_by(Organisation.kind, Organisation.ods_code)
    )
    organisations = list(db.session.execute(query).scalars())
    if not vote.pcn_codes:
        return organisations
    in_chosen_pcns = set(
        db.session.execute(
            sa.select(PcnMembership.practice_id)
            .join(Organisation, Organisation.id == PcnMembership.pcn_id)
            .where(PcnMembership.valid_to.is_(None), Organisation.ods_code.in_(vote.pcn_codes))
        ).scalars()
    )
    return [
        organisation
        for organisation in organisations
        if organisation.kind is not OrganisationKind.PRACTICE or organisation.id in in_chosen_pcns
    ]


@dataclass(frozen=True)
class ListSizes:
    registered: int | None
    registered_date: date | None
    weighted: Decimal | None
    weighted_date: date | None


def _summed(practices: list[Organisation]) -> ListSizes:
    registered = [p.list_size for p in practices if p.list_size is not None]
    weighted = [p.weighted_list_size for p in practices if p.weighted_list_size is not None]
    return ListSizes(
        registered=sum(registered) if registered else None,
        registered_date=max(
            (p.list_size_date for p in practices if p.list_size_date), default=None
        ),
        weighted=sum(weighted, Decimal(0)) if weighted else None,
        weighted_date=max(
            (p.weighted_list_size_date for p in practices if p.weighted_list_size_date),
            default=None,
        ),
    )


def _list_sizes(area: Area, organisations: list[Organisation]) -> dict[int, ListSizes]:
    """Each member's list sizes as frozen at opening.

    A practice has its own. A PCN has the sum over the practices that belong to it on the day
    the vote opens; a federation and the LMC, which act for every practice of the area, have
    the area's total. The date given is that of the newest figure in the sum.
    """
    open_practices = list(
        db.session.execute(
            sa.select(Organisation).where(
                Organisation.area_id == area.id,
                Organisation.kind == OrganisationKind.PRACTICE,
                Organisation.closed_on.is_(None),
            )
        ).scalars()
    )
    practice_by_id = {practice.id: practice for practice in open_practices}
    members_of: dict[int, list[Organisation]] = {}
    for practice_id, pcn_id in db.session.execute(
        sa.select(PcnMembership.practice_id, PcnMembership.pcn_id).where(
            PcnMembership.valid_to.is_(None)
        )
    ):
        if practice_id in practice_by_id:
            members_of.setdefault(pcn_id, []).append(practice_by_id[practice_id])
    area_total = _summed(open_practices)
    sizes = {}
    for organisation in organisations:
        if organisation.kind is OrganisationKind.PRACTICE:
            sizes[organisation.id] = ListSizes(
                organisation.list_size,
                organisation.list_size_date,
                organisation.weighted_list_size,
                organisation.weighted_list_size_date,
            )
        elif organisation.kind is OrganisationKind.PCN:
            sizes[organisation.id] = _summed(members_of.get(organisation.id, []))
        else:
            sizes[organisation.id] = area_total
    return sizes


def open_vote(actor: User, vote: Vote, now: datetime, *, authorised: bool = False) -> None:
    """Freeze the electorate with today's list sizes and start accepting ballots.

    ``authorised`` as for ``create_vote``."""
    if not (authorised or can_manage_votes(actor, vote.area)):
        raise NotPermitted("Only LMC officers and area administrators can open votes")
    if vote.state is not VoteState.DRAFT:
        raise Conflict("This vote has already been opened")
    if now >= vote.closes_at:
        raise DomainError("The closing time has passed: change it before opening the vote")
    organisations = _eligible_organisations(vote)
    if not organisations:
        raise DomainError("No organisation of the chosen kinds is in this area")
    recused = {
        declaration.organisation_id
        for declaration in _declarations(vote)
        if declaration.ruling is ConflictRuling.RECUSED
    }
    sizes = _list_sizes(vote.area, organisations)
    for organisation in organisations:
        size = sizes[organisation.id]
        vote.electorate.append(
            ElectorateMember(
                organisation_id=organisation.id,
                kind=organisation.kind.value,
                ods_code=organisation.ods_code,
                name=organisation.name,
                list_size=size.registered,
                list_size_date=size.registered_date,
                weighted_list_size=size.weighted,
                weighted_list_size_date=size.weighted_date,
                recused=organisation.id in recused,
            )
        )
    try:
        counting.parse_record(ballot_record_data(vote, ballots=[]))
    except counting.RecordError as error:
        raise DomainError(f"The vote cannot open: {error}") from error
    vote.state = VoteState.OPEN
    vote.opened_at = now
    db.session.flush()
    record(
        "vote.opened",
        f"Vote opened with {len(organisations)} organisations: {vote.title}",
        actor=actor,
        area=vote.area,
        subject=vote,
        details={"electorate": len(organisations), "recused": len(recused)},
    )
    _notify_electorate(
        vote,
        f"Vote open: {vote.title}",
        f"A vote is open in GP Collective Voice for {vote.area.name}.\n\n{vote.question}\n\n"
        f"It closes on {_london(vote.closes_at)}. Cast your organisation's ballot here:\n"
        f"{external_url('voting.vote', area_slug=vote.area.slug, vote_id=vote.id)}\n",
    )


def member_for(vote: Vote, organisation: Organisation) -> ElectorateMember | None:
    return next((m for m in vote.electorate if m.organisation_id == organisation.id), None)


def _lock(vote: Vote, *, shared: bool) -> None:
    """Lock the vote's row for this transaction and read its state afresh (PostgreSQL; SQLite
    lets one writer in at a time anyway)."""
    db.session.execute(
        sa.select(Vote.id).where(Vote.id == vote.id).with_for_update(read=shared)
    ).one()
    db.session.refresh(vote, attribute_names=["state", "closes_at", "opens_at"])


def _check_accepting(vote: Vote, now: datetime) -> None:
    if vote.state is VoteState.CANCELLED:
        raise VotingClosed("This vote has been cancelled: no ballots can be cast or changed")
    if vote.state is VoteState.CLOSED or (vote.state is VoteState.OPEN and now >= vote.closes_at):
        raise VotingClosed("This vote has closed: no more ballots can be cast or changed")
    if vote.state is not VoteState.OPEN or now < vote.opens_at:
        raise VotingNotOpen(f"This vote opens on {_london(vote.opens_at)}")


def _refuse_once_over(vote: Vote, now: datetime, consequence: str) -> None:
    """Proxies and conflicts can change while a vote is a draft or open, and not after."""
    if vote.state is VoteState.CANCELLED:
        raise VotingClosed(f"This vote has been cancelled: {consequence}")
    if vote.state is VoteState.CLOSED or now >= vote.closes_at:
        raise VotingClosed(f"This vote has closed: {consequence}")


def _active_proxy(vote: Vote, grantor: Organisation) -> Proxy | None:
    return db.session.execute(
        sa.select(Proxy).where(
            Proxy.vote_id == vote.id, Proxy.grantor_id == grantor.id, Proxy.revoked_at.is_(None)
        )
    ).scalar_one_or_none()


def proxy_held_by(user: User, vote: Vote, grantor: Organisation) -> Proxy | None:
    """The active proxy through which ``user`` may cast ``grantor``'s ballot, if any."""
    proxy = _active_proxy(vote, grantor)
    if proxy is not None and casts_for(user, proxy.holder):
        return proxy
    return None


def ballot_of(vote: Vote, organisation: Organisation, *, for_update: bool = False) -> Ballot | None:
    """The organisation's ballot in ``vote``; with ``for_update``, row-locked and read afresh,
    so two partners changing it at once each build on the other's version."""
    query = sa.select(Ballot).where(
        Ballot.vote_id == vote.id, Ballot.organisation_id == organisation.id
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.execute(query).scalar_one_or_none()


RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols: 5 bits each
RECEIPT_LENGTH = 28  # 140 bits: guessing a code is hopeless even at millions of tries a second


def new_receipt_code() -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def receipt_hash(code: str) -> str:
    """Hash of the code's letters and digits, so it matches however it was typed."""
    normalised = "".join(character for character in code.upper() if character.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()


def cast_ballot(
    user: User, vote: Vote, organisation: Organisation, choice: str, now: datetime
) -> tuple[Ballot, str]:
    """Cast (or replace) ``organisation``'s ballot; return it and the voter's receipt code.

    The vote's row is share-locked first, so a ballot can never commit after the count: the
    close waits for casts in progress, and a cast that waited for a close sees it closed.
    """
    _lock(vote, shared=True)
    _check_accepting(vote, now)
    member = member_for(vote, organisation)
    if member is None:
        raise NotPermitted(f"{organisation.name} is not in the electorate of this vote")
    # A recusal ruled while this request ran is committed by now (it locks the vote row).
    db.session.refresh(member, attribute_names=["recused"])
    if member.recused:
        raise NotPermitted(f"{organisation.name} has been recused from this vote")
    proxy = None
    if not casts_for(user, organisation):
        proxy = proxy_held_by(user, vote, organisation)
        if proxy is None:
            raise NotPermitted(f"You cannot cast {organisation.name}'s ballot")
        if proxy.instruction and choice != proxy.instruction:
            raise DomainError(
                f"{organisation.name} instructed its proxy to vote {proxy.instruction}"
            )
    if choice not in vote.options:
        raise DomainError("Choose one of the options")
    existing = ballot_of(vote, organisation, for_update=True)
    if existing is not None and proxy is not None and existing.proxy_id is None:
        raise Conflict(f"{organisation.name} has cast its own ballot, which overrides the proxy")
    if existing is None:
        ballot = Ballot(
            vote_id=vote.id,
            organisation_id=organisation.id,
            choice=choice,
            cast_by_id=user.id,
            proxy_id=proxy.id if proxy else None,
            cast_at=now,
            origin=BallotOrigin.PROXY if proxy else BallotOrigin.ONLINE,
        )
        try:
            with db.session.begin_nested():
                db.session.add(ballot)
        except IntegrityError as error:
            raise Conflict(
                f"Someone else cast {organisation.name}'s ballot at the same moment. "
                "Check the ballot below and change it if you need to: the last one cast counts."
            ) from error
        action, summary = "ballot.cast", f"Ballot cast for {organisation.name}"
    else:
        ballot = existing
        ballot.choice = choice
        ballot.cast_by_id = user.id
        ballot.proxy_id = proxy.id if proxy else None
        ballot.cast_at = now
        ballot.origin = BallotOrigin.PROXY if proxy else BallotOrigin.ONLINE
        ballot.version += 1
        action, summary = "ballot.changed", f"Ballot changed for {organisation.name}"
    db.session.flush()
    code = new_receipt_code()
    secret = vote.secrecy is BallotSecrecy.SECRET
    db.session.add(
        Receipt(
            vote_id=vote.id,
            code_hash=receipt_hash(code),
            ballot_id=ballot.id,
            ballot_version=ballot.version,
            # A secret ballot's receipt proves inclusion, never content.
            choice=None if secret else choice,
            issued_at=now,
        )
    )
    # The audit log cannot be cleared at close, so in a secret ballot it never names the
    # person who cast, nor which version of the organisation's ballot this was.
    record(
        action,
        summary + (f" by its proxy {proxy.holder.name}" if proxy else ""),
        actor=None if secret else user,
        area=vote.area,
        subject=vote,
        details={"organisation": organisation.ods_code}
        | ({} if secret else {"version": ballot.version}),
    )
    db.session.flush()
    return ballot, code


@dataclass(frozen=True)
class ReceiptCheck:
    """What a receipt shows. ``choice`` is None for a secret ballot: it proves inclusion only."""

    vote: Vote
    choice: str | None
    counted: bool
    superseded: bool
    cancelled: bool


def check_receipt(code: str) -> ReceiptCheck | None:
    receipt = db.session.execute(
        sa.select(Receipt).where(Receipt.code_hash == receipt_hash(code))
    ).scalar_one_or_none()
    if receipt is None:
        return None
    vote = receipt.vote
    if receipt.standing is not None:  # a secret ballot that is over: its ballots are gone
        return ReceiptCheck(
            vote,
            None,
            counted=receipt.standing is ReceiptStanding.COUNTED,
            superseded=receipt.standing is ReceiptStanding.REPLACED,
            cancelled=receipt.standing is ReceiptStanding.CANCELLED,
        )
    ballot = receipt.ballot
    assert ballot is not None  # the check constraint: no standing means a ballot
    superseded = ballot.version != receipt.ballot_version
    counted = vote.state is VoteState.CLOSED and not superseded
    cancelled = vote.state is VoteState.CANCELLED
    choice = None if vote.secrecy is BallotSecrecy.SECRET else receipt.choice
    return ReceiptCheck(vote, choice, counted, superseded, cancelled)


def name_proxy(
    user: User,
    vote: Vote,
    grantor: Organisation,
    holder: Organisation,
    instruction: str | None,
    now: datetime,
) -> Proxy:
    _refuse_once_over(vote, now, "proxies can no longer be named")
    if (
        grantor.kind is not OrganisationKind.PRACTICE
        or holder.kind is not OrganisationKind.PRACTICE
    ):
        raise DomainError("A proxy is one practice voting for another practice")
    if not casts_for(user, grantor):
        raise NotPermitted(f"Only a GP partner of {grantor.name} can name its proxy")
    if holder.id == grantor.id or holder.area_id != vote.area_id:
        raise DomainError("Choose another practice of this area as the proxy")
    if instruction is not None and instruction not in vote.options:
        raise DomainError("Choose an instruction from the vote's options, or none")
    if vote.state is VoteState.OPEN:
        holder_member = member_for(vote, holder)
        if holder_member is None or holder_member.recused:
            raise DomainError(f"{holder.name} does not vote in this vote, so cannot be a proxy")
    if _active_proxy(vote, grantor) is not None:
        raise Conflict(f"{grantor.name} already has a proxy for this vote: revoke it first")
    held = db.session.execute(
        sa.select(sa.func.count(Proxy.id)).where(
            Proxy.vote_id == vote.id, Proxy.holder_id == holder.id, Proxy.revoked_at.is_(None)
        )
    ).scalar_one()
    if held >= vote.area.max_proxies_per_holder:
        raise Conflict(f"{holder.name} already holds {held} proxies, the most this area allows")
    proxy = Proxy(
        vote_id=vote.id,
        grantor_id=grantor.id,
        holder_id=holder.id,
        instruction=instruction,
        created_by_id=user.id,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(proxy)
    except IntegrityError as error:
        raise Conflict(f"{grantor.name} already has a proxy for this vote") from error
    record(
        "proxy.named",
        f"{grantor.name} named {holder.name} as its proxy"
        + (" with an instruction" if instruction else ""),
        actor=user,
        area=vote.area,
        subject=vote,
        details={"grantor": grantor.ods_code, "holder": holder.ods_code},
    )
    return proxy


def revoke_proxy(user: User, proxy: Proxy, now: datetime) -> None:
    vote = db.session.get(Vote, proxy.vote_id)
    if not casts_for(user, proxy.grantor):
        raise NotPermitted(f"Only a GP partner of {proxy.grantor.name} can revoke its proxy")
    if proxy.revoked_at is not None:
        raise Conflict("This proxy has already been revoked")
    _refuse_once_over(vote, now, "its proxies stand as they were")
    cast = db.session.execute(sa.select(Ballot.id).where(Ballot.proxy_id == proxy.id)).first()
    if cast is not None:
        raise Conflict("The proxy has already cast the ballot; cast your own to override it")
    proxy.revoked_at = now
    record(
        "proxy.revoked",
        f"{proxy.grantor.name} revoked its proxy",
        actor=user,
        area=vote.area,
        subject=vote,
        details={"grantor": proxy.grantor.ods_code, "holder": proxy.holder.ods_code},
    )
    db.session.flush()


def declare_interest(
    user: User, organisation: Organisation, category: InterestCategory, description: str
) -> Interest:
    if not any(m.organisation_id == organisation.id for m in user.memberships):
        raise NotPermitted(f"You are not a member of {organisation.name}")
    if not description.strip():
        raise DomainError("Describe the interest")
    interest = Interest(
        organisation_id=organisation.id,
        category=category,
        description=description.strip(),
        declared_by_id=user.id,
    )
    db.session.add(interest)
    db.session.flush()
    record(
        "interest.declared",
        f"{organisation.name} declared a {category.label.lower()} interest",
        actor=user,
        area=organisation.area,
        subject=interest,
    )
    return interest


def _declarations(vote: Vote) -> list[ConflictDeclaration]:
    return list(
        db.session.execute(
            sa.select(ConflictDeclaration)
            .where(ConflictDeclaration.vote_id == vote.id)
            .order_by(ConflictDeclaration.id)
        ).scalars()
    )


def declare_conflict(
    user: User,
    vote: Vote,
    organisation: Organisation,
    category: InterestCategory,
    description: str,
    now: datetime,
) -> ConflictDeclaration:
    _refuse_once_over(vote, now, "conflicts can no longer be declared")
    if CASTING_ROLE.get(organisation.kind) is None or not casts_for(user, organisation):
        raise NotPermitted(f"You cannot declare a conflict for {organisation.name}")
    if not description.strip():
        raise DomainError("Describe the conflict")
    declaration = ConflictDeclaration(
        vote_id=vote.id,
        organisation_id=organisation.id,
        category=category,
        description=description.strip(),
        declared_by_id=user.id,
        declared_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(declaration)
    except IntegrityError as error:
        raise Conflict(
            f"{organisation.name} has already declared a conflict in this vote"
        ) from error
    record(
        "conflict.declared",
        f"{organisation.name} declared a conflict of interest",
        actor=user,
        area=vote.area,
        subject=vote,
        details={"organisation": organisation.ods_code, "category": category.value},
    )
    return declaration


def rule_on_conflict(
    actor: User, declaration: ConflictDeclaration, ruling: ConflictRuling, now: datetime
) -> None:
    """Record the officer's ruling. Recusal takes the organisation (and any ballot it cast)
    out of the vote: weights and quorum are then computed without it."""
    vote = declaration.vote
    if not can_manage_votes(actor, vote.area):
        raise NotPermitted("Only LMC officers and area administrators rule on conflicts")
    # Casts hold a share lock on the vote: a recusal waits for them, so it also removes a
    # ballot cast a moment before, and no cast can slip in after it.
    _lock(vote, shared=False)
    _refuse_once_over(vote, now, "rulings can no longer change")
    if ruling is ConflictRuling.PENDING:
        raise DomainError("Choose a ruling")
    declaration.ruling = ruling
    declaration.ruled_by_id = actor.id
    declaration.ruled_at = now
    member = member_for(vote, declaration.organisation)
    if member is not None and ruling is ConflictRuling.RECUSED and not member.recused:
        still_eligible = [m for m in vote.electorate if not m.recused and m is not member]
        if not still_eligible:
            raise Conflict("Every other member is recused: recusing this one would leave no vote")
    if member is not None:
        member.recused = ruling is ConflictRuling.RECUSED
        if member.recused:
            ballot = ballot_of(vote, declaration.organisation)
            if ballot is not None:
                db.session.delete(ballot)
    record(
        "conflict.ruled",
        f"Ruling on {declaration.organisation.name}'s conflict: {ruling.value}",
        actor=actor,
        area=vote.area,
        subject=vote,
        details={"organisation": declaration.organisation.ods_code, "ruling": ruling.value},
    )
    db.session.flush()


def pseudonym(vote: Vote, ods_code: str) -> str:
    digest = hmac.new(vote.pseudonym_key.encode(), ods_code.encode(), hashlib.sha256)
    return f"V{vote.id}-{digest.hexdigest()[:10].upper()}"


def _number(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return format(value.normalize(), "f")


def ballot_record_data(
    vote: Vote, ballots: list[Ballot] | None = None, *, pseudonymise: bool = False
) -> dict[str, Any]:
    """The vote as a ballot record (``gp-collective-voice/ballot-record@1``)."""
    if ballots is None:
        ballots = list(
            db.session.execute(
                sa.select(Ballot).where(Ballot.vote_id == vote.id).order_by(Ballot.id)
            ).scalars()
        )
    codes = {member.organisation_id: member.ods_code for member in vote.electorate}

    def voter_id(code: str) -> str:
        return pseudonym(vote, code) if pseudonymise else code

    electorate = [
        {
            "id": voter_id(member.ods_code),
            "kind": member.kind,
            "list_size": member.list_size,
            "weighted_list_size": _number(member.weighted_list_size),
            "weight": _number(member.fixed_weight),
            "recused": member.recused,
        }
        for member in vote.electorate
    ]
    ballot_entries = [
        {
            "voter": voter_id(codes[ballot.organisation_id]),
            "choice": ballot.choice,
            "origin": ballot.origin.value,
        }
        for ballot in ballots
    ]
    if pseudonymise:
        # Sorted, so the order of the record says nothing about the order of voting.
        electorate.sort(key=lambda entry: entry["id"])
        ballot_entries.sort(key=lambda entry: entry["voter"])
    return {
        "format": counting.FORMAT,
        "vote": {"title": vote.title, "kind": vote.kind.value, "options": list(vote.options)},
        "rules": vote.rules,
        "electorate": electorate,
        "ballots": ballot_entries,
    }


def exact_totals(result: counting.Result) -> dict[str, Any]:
    """The exact weight behind each option and the turnout, as "p/q" strings."""

    def exact(value: Fraction) -> str:
        return f"{value.numerator}/{value.denominator}"

    return {
        "totals": {option: exact(total.weight) for option, total in result.totals.items()},
        "turnout_weight": exact(result.turnout_weight),
    }


def close_vote(vote: Vote, now: datetime, actor: User | None = None) -> None:
    """Count once, store the record, its SHA-256 and the result, and never count again.

    The vote's row is locked for update, so two requests at the closing moment count once.
    """
    _lock(vote, shared=False)
    # Closed by a request a moment before, or cancelled: there is nothing (more) to count.
    if vote.state in (VoteState.CLOSED, VoteState.CANCELLED):
        return
    if vote.state is not VoteState.OPEN:
        raise Conflict("Only an open vote can close")
    if now < vote.closes_at:
        raise VotingNotOpen(f"This vote closes on {_london(vote.closes_at)}")
    secret = vote.secrecy is BallotSecrecy.SECRET
    data = ballot_record_data(vote, pseudonymise=secret)
    exact = counting.tally(counting.parse_record(data))
    vote.result = counting.result_to_json(exact)
    vote.exact_totals = exact_totals(exact)
    vote.state = VoteState.CLOSED
    vote.closed_at = now
    unlinking.mark_who_voted(vote)
    if secret:
        # Published only what unmasks nobody; the decision above was taken on exact fractions.
        attacked = secrecy.ballot_from_record(ballot_record_data(vote))
        vote.published = secrecy.published_figures(attacked, secrecy.publish(attacked))
        # The record links each share to a choice, and shares identify members: a secret
        # ballot keeps only its exact totals and who voted (see portal.voting.unlinking).
        vote.ballot_record = None
        vote.ballot_record_sha256 = None
        unlinking.forget_choices(vote, cancelled=False)
    else:
        vote.ballot_record = counting.canonical_json(data).decode()
        vote.ballot_record_sha256 = hashlib.sha256(vote.ballot_record.encode()).hexdigest()
    db.session.flush()
    record(
        "vote.closed",
        f"Vote closed: {vote.title}. Outcome: {vote.result['outcome']}",
        actor=actor,
        area=vote.area,
        subject=vote,
        details={"sha256": vote.ballot_record_sha256, "outcome": vote.result["outcome"]},
    )
    _notify_electorate(
        vote,
        f"Result declared: {vote.title}",
        f'The vote "{vote.title}" has closed. Outcome: {vote.result["outcome"]}.\n\n'
        f"See the result and the support behind it:\n"
        f"{external_url('voting.results', area_slug=vote.area.slug, vote_id=vote.id)}\n",
    )


MAX_CANCELLATION_REASON = 2000


def cancel_vote(actor: User, vote: Vote, reason: str, now: datetime) -> None:
    """Call off a draft or open vote: it is never counted and no result is ever declared.

    A vote whose closing time has come is counted instead, never cancelled: the poll ran its
    full course. Ballots already cast are kept but count for nothing; in a secret ballot the
    link from each ballot to the person who cast it goes, as it would at close.
    """
    if not can_manage_votes(actor, vote.area):
        raise NotPermitted("Only LMC officers and area administrators can cancel a vote")
    _lock(vote, shared=False)
    if vote.state is VoteState.CANCELLED:
        raise Conflict("This vote has already been cancelled")
    if vote.state is VoteState.CLOSED or (vote.state is VoteState.OPEN and now >= vote.closes_at):
        raise VotingClosed("This vote has closed and is counted: it can no longer be cancelled")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give the reason for cancelling the vote")
    if len(reason) > MAX_CANCELLATION_REASON:
        raise DomainError(f"The reason must be {MAX_CANCELLATION_REASON:,} characters or fewer")
    was_open = vote.state is VoteState.OPEN
    vote.state = VoteState.CANCELLED
    vote.cancelled_at = now
    vote.cancelled_by_id = actor.id
    vote.cancellation_reason = reason
    if vote.secrecy is BallotSecrecy.SECRET:
        unlinking.forget_choices(vote, cancelled=True)
    db.session.flush()
    record(
        "vote.cancelled",
        f"Vote cancelled: {vote.title}",
        actor=actor,
        area=vote.area,
        subject=vote,
        details={"reason": reason, "was_open": was_open},
    )
    if was_open:
        _notify_electorate(
            vote,
            f"Vote cancelled: {vote.title}",
            f'The vote "{vote.title}" has been cancelled. No ballot will be counted.\n\n'
            f"The reason given: {reason}\n\n"
            f"{external_url('voting.vote', area_slug=vote.area.slug, vote_id=vote.id)}\n",
        )


def close_if_due(vote: Vote, now: datetime) -> bool:
    if vote.state is VoteState.OPEN and now >= vote.closes_at:
        close_vote(vote, now)
        return True
    return False


def close_due_votes(now: datetime) -> list[Vote]:
    due = list(
        db.session.execute(
            sa.select(Vote)
            .where(Vote.state == VoteState.OPEN, Vote.closes_at <= now)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    for vote in due:
        close_vote(vote, now)
    return due


def _casting_users(vote: Vote, organisation_ids: set[int]) -> dict[str, User]:
    """Everyone who may cast a ballot for one of these organisations, by email."""
    users: dict[str, User] = {}
    memberships = db.session.execute(
        sa.select(Membership)
        .join(Membership.organisation)
        .join(Membership.user)
        .where(Membership.organisation_id.in_(organisation_ids), User.active.is_(True))
    ).scalars()
    for membership in memberships:
        if CASTING_ROLE.get(membership.organisation.kind) is membership.role:
            users[membership.user.email] = membership.user
    return users


def _notify_electorate(vote: Vote, subject: str, body: str) -> None:
    eligible = {member.organisation_id for member in vote.electorate if not member.recused}
    for email, user in sorted(_casting_users(vote, eligible).items()):
        queue_email(email, subject, f"Dear {user.name},\n\n{body}")


def send_reminders(now: datetime) -> int:
    """Email those who have not voted, once, when a vote closes within 24 hours."""
    sent = 0
    due = db.session.execute(
        sa.select(Vote).where(
            Vote.state == VoteState.OPEN,
            Vote.reminder_sent_at.is_(None),
            Vote.closes_at > now,
            Vote.closes_at <= now + REMINDER_BEFORE_CLOSE,
        )
    ).scalars()
    for vote in due:
        voted = set(
            db.session.execute(
                sa.select(Ballot.organisation_id).where(Ballot.vote_id == vote.id)
            ).scalars()
        )
        waiting = {
            member.organisation_id
            for member in vote.electorate
            if not member.recused and member.organisation_id not in voted
        }
        for email, user in sorted(_casting_users(vote, waiting).items()):
            queue_email(
                email,
                f"Reminder: {vote.title} closes on {_london(vote.closes_at)}",
                f"Dear {user.name},\n\nYour organisation has not yet voted on:\n\n"
                f"{vote.question}\n\nCast its ballot before {_london(vote.closes_at)}:\n"
                f"{external_url('voting.vote', area_slug=vote.area.slug, vote_id=vote.id)}\n",
            )
            sent += 1
        vote.reminder_sent_at = now
        record(
            "vote.reminded",
            f"Reminders sent for {vote.title}",
            actor=None,
            area=vote.area,
            subject=vote,
            details={"organisations_waiting": len(waiting)},
        )
    db.session.flush()
    return sent


def _london(moment: datetime) -> str:
    from portal.times import london_datetime

    return london_datetime(moment)


@dataclass(frozen=True)
class WeightRow:
    member: ElectorateMember
    share: Fraction | None


def weight_table(vote: Vote) -> list[WeightRow]:
    """Each member's exact share, from the same code that counts the vote."""
    parsed = counting.parse_record(ballot_record_data(vote, ballots=[]))
    shares = counting.compute_shares(parsed.electorate, parsed.rules)
    return [WeightRow(member, shares.get(member.ods_code)) for member in vote.electorate]


@dataclass(frozen=True)
class KindBreakdown:
    kind: str
    eligible: int
    voted: int
    by_option: dict[str, int]
    hidden: bool


def breakdown_by_kind(vote: Vote) -> list[KindBreakdown]:
    """How each kind of organisation voted; a secret ballot hides groups of fewer than 5."""
    if vote.secrecy is BallotSecrecy.SECRET and vote.state is not VoteState.OPEN:
        # Its ballots are gone: only who voted is known, and how each kind voted is withheld.
        rows = []
        for kind in VOTING_KINDS:
            members = [m for m in vote.electorate if m.kind == kind and not m.recused]
            if members:
                voted = sum(1 for m in members if m.voted)
                rows.append(KindBreakdown(kind, len(members), voted, {}, hidden=True))
        return rows
    ballots = list(db.session.execute(sa.select(Ballot).where(Ballot.vote_id == vote.id)).scalars())
    kind_of = {member.organisation_id: member.kind for member in vote.electorate}
    rows = []
    for kind in VOTING_KINDS:
        members = [m for m in vote.electorate if m.kind == kind and not m.recused]
        if not members:
            continue
        cast = [ballot for ballot in ballots if kind_of.get(ballot.organisation_id) == kind]
        by_option = {option: sum(1 for b in cast if b.choice == option) for option in vote.options}
        hidden = vote.secrecy is BallotSecrecy.SECRET and len(cast) < SMALLEST_SHOWN_GROUP
        rows.append(KindBreakdown(kind, len(members), len(cast), by_option, hidden))
    # The totals less the kinds shown would reveal a hidden kind, so one hidden hides all.
    if any(row.hidden for row in rows):
        rows = [dataclasses.replace(row, hidden=True) for row in rows]
    return rows


def ballots_csv(vote: Vote) -> str:
    """One row per ballot of the stored record, with each voter's share of the weight."""
    data = json.loads(vote.ballot_record or "{}")
    shares = (vote.result or {}).get("shares", {})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["voter", "kind", "choice", "share_percent"])
    kinds = {entry["id"]: entry["kind"] for entry in data.get("electorate", [])}
    for ballot in data.get("ballots", []):
        writer.writerow(
            [
                spreadsheet_safe(ballot["voter"]),
                kinds.get(ballot["voter"], ""),
                spreadsheet_safe(ballot["choice"]),
                shares.get(ballot["voter"], ""),
            ]
        )
    return out.getvalue()
