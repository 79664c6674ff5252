"""Setting up a weighted vote: create it, change it while a draft, and open it (freezing the
electorate with its list sizes). Casting, proxies, conflicts, closing, notices and reports are
in their own modules beside this one (``casting``, ``proxies``, ``conflicts``, ``closing``,
``notices``, ``reports``, ``ballot_record``).

Services flush but never commit; each writes its audit entry and raises a ``DomainError``
subclass whose message can be shown to the user. Choices never go into the audit log: the
log is readable by administrators while a vote is open, and nobody may see how it is going.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from portal.accounts.models import User
from portal.audit.services import record
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.notifications.kinds import Kind
from portal.organisations.models import Area, Organisation, OrganisationKind, PcnMembership
from portal.urls import external_url
from portal.voting import rules as counting
from portal.voting import signals
from portal.voting.ballot_record import ballot_record_data
from portal.voting.conflicts import declarations
from portal.voting.guards import VoteLocked, london
from portal.voting.models import (
    BallotSecrecy,
    ConflictRuling,
    ElectorateMember,
    Vote,
    VoteKind,
    VoteState,
)
from portal.voting.notices import notify_electorate
from portal.voting.permissions import can_manage_votes

MOTION_OPTIONS = ["for", "against", "abstain"]


VOTING_KINDS = ("practice", "pcn", "federation", "lmc")


MAXIMUM_OPTION_LENGTH = 100


IDENTIFYING_SCHEMES = frozenset({"list_size", "weighted_list_size", "fixed"})


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


def eligible_organisations(vote: Vote) -> list[Organisation]:
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
    organisations = eligible_organisations(vote)
    if not organisations:
        raise DomainError("No organisation of the chosen kinds is in this area")
    recused = {
        declaration.organisation_id
        for declaration in declarations(vote)
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
    signals.vote_opened.send(vote)
    notify_electorate(
        vote,
        f"Vote open: {vote.title}",
        f"A vote is open in GP Collective Voice for {vote.area.name}.\n\n{vote.question}\n\n"
        f"It closes on {london(vote.closes_at)}. Cast your organisation's ballot here:\n"
        f"{external_url('voting.vote', area_slug=vote.area.slug, vote_id=vote.id)}\n",
        Kind.VOTES_OPENED,
    )
