"""Elections: set-up with a frozen electorate, nominations, ranked ballots, the count.

Services take domain objects, the acting user and plain data; they flush but never commit,
write the audit entry and queue email (sent after the request's commit).

What a secret election keeps after its count. The BLT file of its ballots is sealed to its
scrutineers (``portal.elections.scrutiny``) and only its SHA-256 is kept beside the result;
with no scrutineer, only the SHA-256. The ballots themselves are emptied: no elector, no
ranking, weight 1, the count's time as the time cast, so neither a weight (in an election
of organisations weighted by list size, a practice's own) nor the moment of casting (beside
each elector's ``voted_at``, kept for turnout) links a ranking to whoever cast it. Each
ballot keeps only its ``version``, which is what lets a receipt still say whether a later
ballot replaced it. A receipt keeps its ranking only sealed under the receipt code
(``portal.elections.receipt_sealing``), from the moment it is issued, so a voter checking a
code sees exactly what they saw before the count, and nobody without the code sees anything.
An open election keeps its BLT file in the clear and its ballots as cast.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from portal.accounts.models import Membership, Role, User
from portal.audit.services import record
from portal.elections import count as stv
from portal.elections import receipt_sealing, scrutiny, signals
from portal.elections.models import (
    CountingMethod,
    Election,
    ElectionBallot,
    ElectionReceipt,
    ElectionState,
    Elector,
    ElectorateKind,
    Nomination,
    NominationState,
)
from portal.elections.permissions import CASTING_ROLE, can_manage_elections
from portal.email_kinds import Kind
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.mail import queue_email
from portal.names import display_name
from portal.organisations.models import Area, Organisation, OrganisationKind, PcnMembership
from portal.voting.scrutiny import find_scrutineers

MAX_STATEMENT_WORDS = 300
MAX_REASON_LENGTH = 500
ELECTOR_ROLES = (Role.GP_PARTNER, Role.SALARIED_GP)


@dataclass(frozen=True)
class ElectionDetails:
    title: str
    seats: int
    method: CountingMethod
    electorate_kind: ElectorateKind
    roles: list[Role]  # people: who votes
    kinds: list[OrganisationKind]  # organisations: which kinds vote
    weighting: str  # organisations: "equal", "list_size" or "band"
    band: int | None
    pcn_codes: list[str]  # the constituency: practices of these PCNs (empty: the whole area)
    secret: bool
    nominations_close_at: datetime
    voting_opens_at: datetime
    voting_closes_at: datetime
    # A secret election's scrutineers: email addresses, any separator (none: no scrutineer).
    scrutineers: str = ""


def _practices_in_pcns(area: Area, pcn_codes: list[str]) -> set[int] | None:
    if not pcn_codes:
        return None
    return set(
        db.session.execute(
            sa.select(PcnMembership.practice_id)
            .join(Organisation, Organisation.id == PcnMembership.pcn_id)
            .where(
                Organisation.area_id == area.id,
                PcnMembership.valid_to.is_(None),
                Organisation.ods_code.in_(pcn_codes),
            )
        ).scalars()
    )


def _organisation_weight(organisation: Organisation, details: ElectionDetails) -> int:
    if details.weighting == "equal":
        return 1
    size = organisation.list_size
    if size is None:
        raise DomainError(
            f"{display_name(organisation.name)} has no list size, "
            "so it cannot be weighted by list size"
        )
    if details.weighting == "band":
        return max(1, math.ceil(size / (details.band or 1)))
    return max(1, size)


def _electorate(area: Area, details: ElectionDetails) -> list[Elector]:
    constituency = _practices_in_pcns(area, details.pcn_codes)
    if details.electorate_kind is ElectorateKind.PEOPLE:
        memberships = db.session.execute(
            sa.select(Membership)
            .join(Organisation, Organisation.id == Membership.organisation_id)
            .where(
                Organisation.area_id == area.id,
                Organisation.kind == OrganisationKind.PRACTICE,
                Organisation.closed_on.is_(None),
                Membership.role.in_(details.roles),
            )
        ).scalars()
        people: dict[int, User] = {}
        for membership in memberships:
            in_constituency = constituency is None or membership.organisation_id in constituency
            if in_constituency and membership.user.active:
                people[membership.user_id] = membership.user
        return [Elector(user=user, label=user.name, weight=1) for user in people.values()]
    organisations = db.session.execute(
        sa.select(Organisation).where(
            Organisation.area_id == area.id,
            Organisation.kind.in_(details.kinds),
            Organisation.closed_on.is_(None),
        )
    ).scalars()
    return [
        Elector(
            organisation=organisation,
            # How pages, emails and the count sheet name it; the organisation keeps the
            # published name the imports match on.
            label=display_name(organisation.name),
            weight=_organisation_weight(organisation, details),
        )
        for organisation in organisations
        if constituency is None
        or organisation.kind is not OrganisationKind.PRACTICE
        or organisation.id in constituency
    ]


def _describe(details: ElectionDetails) -> str:
    where = f" of practices in PCNs {', '.join(details.pcn_codes)}" if details.pcn_codes else ""
    if details.electorate_kind is ElectorateKind.PEOPLE:
        roles = " and ".join(f"{role.label}s" for role in details.roles)
        return f"{roles}{where}, one vote each"
    kinds = ", ".join(kind.label for kind in details.kinds)
    weights = {
        "equal": "one vote each",
        "list_size": "weighted by registered list size",
        "band": f"one vote per {details.band or 1:,} registered patients or part",
    }[details.weighting]
    return f"{kinds}{where}, {weights}"


def create_election(actor: User, area: Area, details: ElectionDetails, now: datetime) -> Election:
    if not details.nominations_close_at > now:
        raise DomainError("Nominations must close in the future")
    if details.voting_opens_at < details.nominations_close_at:
        raise DomainError("Voting cannot open before nominations close")
    if details.voting_closes_at <= details.voting_opens_at:
        raise DomainError("Voting must close after it opens")
    electors = _electorate(area, details)
    if not electors:
        raise DomainError("Nobody is in this electorate: choose other roles, kinds or PCNs")
    scrutineers = find_scrutineers(area, details.scrutineers)
    election = Election(
        area=area,
        title=details.title,
        seats=details.seats,
        method=details.method,
        electorate_kind=details.electorate_kind,
        electorate_description=_describe(details)[:500],
        secret=details.secret,
        nominations_open_at=now,
        nominations_close_at=details.nominations_close_at,
        voting_opens_at=details.voting_opens_at,
        voting_closes_at=details.voting_closes_at,
        created_by_id=actor.id,
        electors=electors,
    )
    db.session.add(election)
    db.session.flush()
    record(
        "election.created",
        f"Election “{election.title}” set up: {election.seats} seat(s), {len(electors)} elector(s)",
        actor=actor,
        area=area,
        subject=election,
        details={"method": details.method.value, "secret": details.secret},
    )
    if scrutineers:
        scrutiny.appoint(actor, election, scrutineers)
    return election


# --- who acts for which elector ------------------------------------------------------------


def electors_for(user: User, election: Election) -> list[Elector]:
    """The electorate places ``user`` acts for: themself, or organisations they cast for."""
    if not getattr(user, "is_authenticated", False):
        return []
    if election.electorate_kind is ElectorateKind.PEOPLE:
        return [e for e in election.electors if e.user_id == user.id]
    casting = {
        m.organisation_id
        for m in user.memberships
        if CASTING_ROLE.get(m.organisation.kind) is m.role
    }
    return [e for e in election.electors if e.organisation_id in casting]


def eligible_candidates(election: Election) -> list[User]:
    """Who may stand: an elector (people), or a GP of an elector organisation."""
    if election.electorate_kind is ElectorateKind.PEOPLE:
        people = [e.user for e in election.electors if e.user is not None]
    else:
        ids = {e.organisation_id for e in election.electors}
        people = list(
            db.session.execute(
                sa.select(User)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.organisation_id.in_(ids), User.active.is_(True))
                .distinct()
            ).scalars()
        )
    return sorted(people, key=lambda user: (user.name.casefold(), user.id))


def _lock(election: Election) -> None:
    db.session.execute(
        sa.select(Election.id).where(Election.id == election.id).with_for_update()
    ).first()
    db.session.refresh(election)


def _check_nominations_open(election: Election, now: datetime) -> None:
    if election.state is not ElectionState.NOMINATIONS or now >= election.nominations_close_at:
        raise DomainError("Nominations have closed for this election")


def _acting_elector(user: User, election: Election, elector: Elector) -> None:
    if elector not in electors_for(user, election):
        raise NotPermitted("You do not act for that elector in this election")


def nominate(
    actor: User, election: Election, elector: Elector, candidate: User, now: datetime
) -> Nomination:
    _lock(election)
    _check_nominations_open(election, now)
    _acting_elector(actor, election, elector)
    if candidate not in eligible_candidates(election):
        raise DomainError(f"{candidate.name} cannot stand in this election")
    if candidate.id == actor.id:
        raise DomainError("You cannot nominate yourself: ask another elector to nominate you")
    if any(n.candidate_id == candidate.id for n in election.nominations):
        raise Conflict(f"{candidate.name} has already been nominated")
    nomination = Nomination(
        election=election, candidate=candidate, nominator=elector, nominated_by_id=actor.id
    )
    db.session.add(nomination)
    db.session.flush()
    record(
        "election.nominated",
        f"{candidate.name} nominated by {elector.label}",
        actor=actor,
        area=election.area,
        subject=election,
        details={"nomination_id": nomination.id},
    )
    queue_email(
        candidate.email,
        f"You have been nominated: {election.title}",
        f"{elector.label} has nominated you in “{election.title}”. Once another elector has "
        "seconded the nomination, you can accept it and add a statement on the election's "
        "page before nominations close.",
    )
    return nomination


def second(actor: User, nomination: Nomination, elector: Elector, now: datetime) -> None:
    election = nomination.election
    _lock(election)
    _check_nominations_open(election, now)
    _acting_elector(actor, election, elector)
    if nomination.state is not NominationState.AWAITING_SECONDER:
        raise Conflict("This nomination has already been seconded")
    if elector.id == nomination.nominator_id:
        raise DomainError("The seconder must be a different elector from the nominator")
    if actor.id == nomination.candidate_id:
        raise DomainError("You cannot second your own nomination")
    nomination.seconder = elector
    nomination.seconded_by_id = actor.id
    nomination.state = NominationState.AWAITING_ACCEPTANCE
    db.session.flush()
    record(
        "election.seconded",
        f"Nomination of {nomination.candidate.name} seconded by {elector.label}",
        actor=actor,
        area=election.area,
        subject=election,
        details={"nomination_id": nomination.id},
    )
    queue_email(
        nomination.candidate.email,
        f"Your nomination has been seconded: {election.title}",
        f"Your nomination in “{election.title}” has been seconded. Accept it on the "
        "election's page to stand.",
    )


def word_count(text: str) -> int:
    return len(text.split())


def accept(actor: User, nomination: Nomination, statement: str, now: datetime) -> None:
    """The candidate accepts (or, once accepted, edits the statement) before nominations close."""
    election = nomination.election
    _lock(election)
    _check_nominations_open(election, now)
    if actor.id != nomination.candidate_id:
        raise NotPermitted("Only the candidate can accept a nomination")
    if nomination.state is NominationState.AWAITING_SECONDER:
        raise DomainError("The nomination must be seconded before you can accept it")
    words = word_count(statement)
    if words > MAX_STATEMENT_WORDS:
        raise DomainError(
            f"The statement has {words} words: it must be {MAX_STATEMENT_WORDS} or fewer"
        )
    first_time = nomination.state is not NominationState.ACCEPTED
    nomination.statement_markdown = statement
    nomination.state = NominationState.ACCEPTED
    nomination.accepted_at = nomination.accepted_at or now
    db.session.flush()
    record(
        "election.accepted" if first_time else "election.statement_changed",
        f"{actor.name} {'accepted the nomination' if first_time else 'changed the statement'}",
        actor=actor,
        area=election.area,
        subject=election,
        details={"nomination_id": nomination.id, "words": words},
    )


def _notify_electors(election: Election, subject: str, body: str, kind: Kind) -> None:
    addresses: set[str] = set()
    for elector in election.electors:
        if elector.user is not None:
            addresses.add(elector.user.email)
        else:
            assert elector.organisation is not None, "an elector is a person or an organisation"
            role = CASTING_ROLE.get(elector.organisation.kind)
            addresses.update(
                m.user.email
                for m in db.session.execute(
                    sa.select(Membership).where(
                        Membership.organisation_id == elector.organisation_id,
                        Membership.role == role,
                    )
                ).scalars()
            )
    for address in sorted(addresses):
        queue_email(address, subject, body, kind=kind, area=election.area)


def _decide_candidacy(election: Election, now: datetime) -> str:
    """The rule at the close of nominations: a ballot, elected unopposed, or no candidates."""
    candidates = election.candidates
    if not candidates:
        election.state = ElectionState.NO_CANDIDATES
        return "no valid nominations: no one is elected"
    if len(candidates) <= election.seats:
        result = {
            "unopposed": True,
            "elected": [n.candidate.name for n in candidates],
            "elected_nominations": [n.id for n in candidates],
            "withdrawn": [n.candidate.name for n in election.withdrawn],
        }
        # Both at once: the schema holds a result exactly when the election is decided.
        election.state, election.result = ElectionState.UNOPPOSED, result
        return f"{len(candidates)} candidate(s) for {election.seats} seat(s): elected unopposed"
    election.state = ElectionState.VOTING
    return f"{len(candidates)} candidates for {election.seats} seat(s): a ballot is held"


def waits_for_scrutineers(election: Election) -> bool:
    """A secret election that would hold a ballot, but one of whose scrutineers has not set a
    passphrase: its ballots file could not be sealed to them, so voting cannot begin."""
    return (
        election.secret
        and len(election.candidates) > election.seats
        and bool(scrutiny.missing_passphrases(election))
    )


def close_nominations(election: Election, now: datetime, actor: User | None = None) -> None:
    """At the close of nominations: a ballot, elected unopposed, or no candidates."""
    _lock(election)
    if election.state is not ElectionState.NOMINATIONS:
        raise Conflict("Nominations for this election have already closed")
    if now < election.nominations_close_at:
        raise DomainError("Nominations are still open")
    if waits_for_scrutineers(election):
        scrutiny.check_ready_for_voting(election)
    election.nominations_closed_at = now
    summary = _decide_candidacy(election, now)
    db.session.flush()
    record(
        "election.nominations_closed",
        f"Nominations closed for “{election.title}”: {summary}",
        actor=actor,
        area=election.area,
        subject=election,
    )
    _notify_electors(
        election,
        f"Nominations closed: {election.title}",
        summary.capitalize(),
        Kind.VOTES_OPENED,
    )
    signals.nominations_closed.send(election, actor=actor)


def check_withdrawal(actor: User, nomination: Nomination, now: datetime) -> None:
    """Raise unless ``actor`` may withdraw ``nomination`` now.

    The candidate may withdraw while nominations are open; an officer may withdraw a candidate
    until voting opens (for example, one who has become ineligible).
    """
    election = nomination.election
    officer = can_manage_elections(actor, election.area)
    if actor.id != nomination.candidate_id and not officer:
        raise NotPermitted("Only the candidate or an officer can withdraw a candidate")
    if nomination.state is not NominationState.ACCEPTED:
        raise Conflict("Only a standing candidate can withdraw")
    if election.state is ElectionState.NOMINATIONS:
        if officer or now < election.nominations_close_at:
            return
        raise DomainError("Nominations have closed: ask an officer if you must withdraw")
    if election.state is ElectionState.VOTING and now < election.voting_opens_at:
        if officer:
            return
        raise DomainError("Nominations have closed: ask an officer if you must withdraw")
    raise DomainError("Voting has started or the election is decided: no one can withdraw now")


def may_withdraw(actor: User, nomination: Nomination, now: datetime) -> bool:
    try:
        check_withdrawal(actor, nomination, now)
    except DomainError:
        return False
    return True


def withdraw(actor: User, nomination: Nomination, reason: str, now: datetime) -> None:
    """A standing candidate withdraws (or an officer withdraws them), with a reason.

    They leave the ballot; the BLT file lists them as withdrawn. When nominations have already
    closed, the rule at the close is applied again to those left: elected unopposed when
    candidates no longer outnumber seats.
    """
    election = nomination.election
    _lock(election)
    db.session.refresh(nomination)
    check_withdrawal(actor, nomination, now)
    reason = reason.strip()
    if not reason:
        raise DomainError("Enter the reason for the withdrawal")
    if len(reason) > MAX_REASON_LENGTH:
        raise DomainError(f"The reason must be {MAX_REASON_LENGTH} characters or fewer")
    nomination.state = NominationState.WITHDRAWN
    nomination.withdrawn_at = now
    nomination.withdrawn_by_id = actor.id
    nomination.withdrawal_reason = reason
    db.session.flush()
    by_self = actor.id == nomination.candidate_id
    record(
        "election.withdrawn",
        f"{nomination.candidate.name} "
        + ("withdrew" if by_self else f"was withdrawn by {actor.name}")
        + f" from “{election.title}”: {reason}",
        actor=actor,
        area=election.area,
        subject=election,
        details={"nomination_id": nomination.id, "reason": reason},
    )
    if not by_self:
        queue_email(
            nomination.candidate.email,
            f"You have been withdrawn: {election.title}",
            f"{actor.name} has withdrawn you as a candidate in “{election.title}”. "
            f"The reason given: {reason}",
        )
    signals.candidate_withdrawn.send(election, nomination=nomination, actor=actor, reason=reason)
    if election.state is ElectionState.VOTING:
        summary = _decide_candidacy(election, now)
        db.session.flush()
        if election.state is not ElectionState.VOTING:
            record(
                "election.nominations_closed",
                f"After a withdrawal in “{election.title}”: {summary}",
                actor=actor,
                area=election.area,
                subject=election,
            )
            _notify_electors(
                election,
                f"Candidate withdrawn: {election.title}",
                summary.capitalize(),
                Kind.VOTES_OPENED,
            )
            signals.nominations_closed.send(election, actor=actor)


# --- ballots ---------------------------------------------------------------------------------


def new_receipt_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _normalised(code: str) -> str:
    return "".join(character for character in code.upper() if character.isalnum())


def receipt_hash(code: str) -> str:
    return hashlib.sha256(b"election:" + _normalised(code).encode()).hexdigest()


def voting_open(election: Election, now: datetime) -> bool:
    return (
        election.state is ElectionState.VOTING
        and election.voting_opens_at <= now < election.voting_closes_at
    )


def ballot_of(elector: Elector) -> ElectionBallot | None:
    return db.session.execute(
        sa.select(ElectionBallot).where(ElectionBallot.elector_id == elector.id)
    ).scalar_one_or_none()


def cast(
    actor: User, election: Election, elector: Elector, ranking: list[int], now: datetime
) -> tuple[ElectionBallot, str]:
    """Record ``ranking`` (nomination ids, first preference first); a later cast replaces it."""
    _lock(election)
    if not voting_open(election, now):
        raise DomainError("Voting is not open in this election")
    _acting_elector(actor, election, elector)
    candidate_ids = [n.id for n in election.candidates]
    if not ranking or len(set(ranking)) != len(ranking) or set(ranking) - set(candidate_ids):
        raise DomainError("Rank at least one candidate, each at most once")
    ballot = ballot_of(elector)
    if ballot is None:
        ballot = ElectionBallot(
            election_id=election.id, elector_id=elector.id, ranking=ranking, weight=elector.weight
        )
        db.session.add(ballot)
    else:
        ballot.ranking = ranking
        ballot.version += 1
        ballot.cast_at = now
    elector.voted_at = now
    db.session.flush()
    names = {n.id: n.candidate.name for n in election.candidates}
    ranked = [names[n] for n in ranking]
    code = new_receipt_code()
    db.session.add(
        ElectionReceipt(
            election_id=election.id,
            ballot_id=ballot.id,
            ballot_version=ballot.version,
            code_hash=receipt_hash(code),
            ranking_names=None if election.secret else ranked,
            sealed_ranking=receipt_sealing.seal_ranking(
                election.id, _normalised(code), ranked, list(names.values())
            )
            if election.secret
            else None,
            issued_at=now,
        )
    )
    db.session.flush()
    record(
        "election.ballot_cast",
        f"A ballot was cast in “{election.title}”"
        + ("" if election.secret else f" by {elector.label}"),
        actor=None if election.secret else actor,
        area=election.area,
        subject=election,
    )
    return ballot, code


@dataclass(frozen=True)
class ReceiptCheck:
    election: Election
    ranking_names: list[str]
    replaced: bool


def check_receipt(election: Election, code: str) -> ReceiptCheck | None:
    receipt = db.session.execute(
        sa.select(ElectionReceipt).where(
            ElectionReceipt.code_hash == receipt_hash(code),
            ElectionReceipt.election_id == election.id,
        )
    ).scalar_one_or_none()
    if receipt is None:
        return None
    ranking_names = receipt.ranking_names
    if receipt.sealed_ranking is not None:
        ranking_names = receipt_sealing.open_ranking(
            election.id, _normalised(code), receipt.sealed_ranking
        )
    if ranking_names is None:
        return None
    return ReceiptCheck(election, ranking_names, receipt.ballot_version != receipt.ballot.version)


# --- the count -------------------------------------------------------------------------------


def _quoted(text: str) -> str:
    return '"' + text.replace('"', "'") + '"'


def _blt_title(election: Election) -> str:
    return election.title.replace('"', "'")


def ballots_blt(election: Election, ballots: list[ElectionBallot], salt: str | None = None) -> str:
    """The ballots as a standard BLT file: everyone who stood in ballot-paper order, and on the
    second line, as councils' files do, the withdrawn as negative numbers. A ``salt`` goes in
    the title line, where every BLT reader takes it as text (see ``portal.elections.scrutiny``
    for why a secret election's file has one)."""
    candidates = election.blt_candidates
    number = {n.id: index + 1 for index, n in enumerate(candidates)}
    lines = [f"{len(candidates)} {election.seats}"]
    if election.withdrawn:
        lines.append(" ".join(f"-{number[n.id]}" for n in election.withdrawn))
    for ballot in sorted(ballots, key=lambda b: (b.ranking, b.weight)):
        preferences = " ".join(str(number[n]) for n in ballot.ranking if n in number)
        lines.append(f"{ballot.weight} {preferences} 0")
    lines.append("0")
    lines += [_quoted(n.candidate.name) for n in candidates]
    title = _blt_title(election)
    lines.append(_quoted(title if salt is None else f"{title} (fingerprint salt {salt})"))
    return "\n".join(lines) + "\n"


def count_election(election: Election, now: datetime, actor: User | None = None) -> None:
    """Count once, after voting closes; keep the report, the seed and the BLT of the ballots
    (for a secret election, sealed to its scrutineers: see the module docstring)."""
    _lock(election)
    if election.state is not ElectionState.VOTING:
        raise Conflict("This election is not waiting to be counted")
    if now < election.voting_closes_at:
        raise DomainError("Voting is still open: the count starts after it closes")
    ballots = list(
        db.session.execute(
            sa.select(ElectionBallot).where(ElectionBallot.election_id == election.id)
        ).scalars()
    )
    blt = ballots_blt(election, ballots, secrets.token_hex(16) if election.secret else None)
    seed = secrets.token_hex(16)
    result = stv.count(stv.parse_blt(blt), election.method.value, seed)
    report = result.to_json()
    report["title"] = _blt_title(election)  # without a secret file's salt
    candidates = election.blt_candidates
    report["elected_nominations"] = [candidates[index].id for index in result.elected]
    report["withdrawn"] = [n.candidate.name for n in election.withdrawn]
    report["turnout"] = {
        "ballots": len(ballots),
        "electors": len(election.electors),
        "weight_cast": sum(b.weight for b in ballots),
        "weight_total": sum(e.weight for e in election.electors),
    }
    election.result = report
    election.count_seed = seed
    election.counted_at = now
    election.state = ElectionState.COUNTED
    if election.secret:
        scrutiny.seal_ballots(election, blt.encode())
        for ballot in ballots:
            ballot.elector_id = None
            ballot.ranking = []
            ballot.weight = 1
            ballot.cast_at = now
    else:
        election.ballots_blt = blt
        election.ballots_blt_sha256 = hashlib.sha256(blt.encode()).hexdigest()
    db.session.flush()
    record(
        "election.counted",
        f"“{election.title}” counted: elected {', '.join(report['elected']) or 'nobody'}",
        actor=actor,
        area=election.area,
        subject=election,
        details={"seed": seed, "blt_sha256": election.ballots_blt_sha256},
    )
    signals.election_counted.send(election, actor=actor)
    _notify_electors(
        election,
        f"Result: {election.title}",
        f"Elected: {', '.join(report['elected']) or 'nobody'}. The count sheet is on the "
        "election's results page.",
        Kind.RESULTS,
    )


def close_due(now: datetime) -> list[tuple[Election, str]]:
    """Close due nominations and count due elections; what was done, for the command line."""
    done: list[tuple[Election, str]] = []
    due = db.session.execute(
        sa.select(Election)
        .where(
            sa.or_(
                sa.and_(
                    Election.state == ElectionState.NOMINATIONS,
                    Election.nominations_close_at <= now,
                ),
                sa.and_(Election.state == ElectionState.VOTING, Election.voting_closes_at <= now),
            )
        )
        .order_by(Election.id)
    ).scalars()
    for election in list(due):
        if election.state is ElectionState.NOMINATIONS:
            if waits_for_scrutineers(election):
                continue  # the election's page tells its officers who has yet to act
            close_nominations(election, now)
            done.append((election, f"nominations closed: {election.state.value}"))
        if election.state is ElectionState.VOTING and election.voting_closes_at <= now:
            count_election(election, now)
            done.append((election, "counted"))
    return done
