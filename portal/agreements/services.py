"""Agreements: setting one up, signing up, notice, the roll on any date, new procedure
versions put to the signatories' vote, and the lead's oversight reports.

Services flush but never commit, write their audit entry and raise a ``DomainError`` whose
message can be shown. Days are London days (``today``), passed in by the caller.

Notice, as this portal reads it: a practice that gives notice on day G is in until the end of
its notice period, so it is out from G plus the notice period (in calendar months). It never
leaves before its minimum term is over, and the minimum term is the practice's own, counted
from the day it joined: if G plus the notice period falls inside that term, it is out from the
day the term ends instead. Notice can be given at any time, once.
"""

from __future__ import annotations

import calendar
import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal import figures
from portal.accounts.models import Membership, Role, User
from portal.agreements import permissions
from portal.agreements.models import (
    Agreement,
    CostSharing,
    OversightReport,
    ProcedureVersion,
    RagStatus,
    ReportFrequency,
    Signatory,
    VersionState,
    VoteWeighting,
)
from portal.audit.services import record
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.mail import queue_email
from portal.markdown import MAXIMUM_SOURCE_LENGTH
from portal.names import display_name
from portal.organisations.models import Area, Organisation, OrganisationKind, PcnMembership
from portal.spreadsheets import spreadsheet_safe
from portal.times import LONDON
from portal.urls import external_url
from portal.voting import services as voting
from portal.voting import signals as voting_signals
from portal.voting.models import BallotSecrecy, Vote, VoteKind

MAX_TITLE = 200
MAX_TEXT = 20_000
MAX_REASON = 2_000


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months on, or the month's last day if it is shorter
    (31 January plus one month is 28 or 29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def long_day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


# ----------------------------------------------------------------------------------------------
# Setting up
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Terms:
    """What whoever sets up an agreement fills in (everything but the lead and procedure)."""

    title: str
    gives_up: str
    gets: str
    who_does_what_markdown: str
    oversight: str
    report_frequency: ReportFrequency
    review_on: date | None
    starts_on: date
    minimum_term_months: int
    notice_period_months: int
    cost_sharing: CostSharing
    annual_cost: Decimal | None
    vote_weighting: VoteWeighting
    visible_to_ics: bool


def _text(value: str, what: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(f"Enter {what}")
    if len(value) > limit:
        raise DomainError(f"{what[0].upper()}{what[1:]} must be {limit:,} characters or fewer")
    return value


def _procedure(source: str) -> str:
    return _text(source, "the agreed procedure", limit=MAXIMUM_SOURCE_LENGTH)


def create_agreement(
    actor: User, area: Area, lead: Organisation, terms: Terms, procedure: str, now: datetime
) -> Agreement:
    """An agreement with version 1 of its procedure, in force from the start: the practices
    that sign up sign up to it."""
    if lead.area_id != area.id or lead.kind not in permissions.LEAD_KINDS:
        raise DomainError("The lead must be a practice, a PCN or the federation of this area")
    if not lead.is_open:
        raise DomainError(f"{display_name(lead.name)} has closed and cannot lead an agreement")
    if not permissions.can_set_up_led_by(actor, lead):
        raise NotPermitted(
            "Only LMC officers, or someone acting for the lead organisation, can set this up"
        )
    title = _text(terms.title, "a title", limit=MAX_TITLE)
    if not 0 <= terms.minimum_term_months <= 120:
        raise DomainError("The minimum term must be from 0 to 120 months")
    if not 1 <= terms.notice_period_months <= 36:
        raise DomainError("The notice period must be from 1 to 36 months")
    if terms.annual_cost is not None and terms.annual_cost < 0:
        raise DomainError("The yearly cost cannot be negative")
    if terms.review_on is not None and terms.review_on <= terms.starts_on:
        raise DomainError("The review date must be after the start date")
    taken = db.session.execute(
        sa.select(Agreement.id).where(Agreement.area_id == area.id, Agreement.title == title)
    ).first()
    if taken:
        raise Conflict(f"There is already an agreement called {title}")
    agreement = Agreement(
        area_id=area.id,
        title=title,
        lead_organisation_id=lead.id,
        gives_up=_text(terms.gives_up, "what each practice gives up"),
        gets=_text(terms.gets, "what each practice gets"),
        who_does_what_markdown=_text(terms.who_does_what_markdown, "who does what"),
        oversight=_text(terms.oversight, "who reports to whom"),
        report_frequency=terms.report_frequency,
        review_on=terms.review_on,
        starts_on=terms.starts_on,
        minimum_term_months=terms.minimum_term_months,
        notice_period_months=terms.notice_period_months,
        cost_sharing=terms.cost_sharing,
        annual_cost=terms.annual_cost,
        vote_weighting=terms.vote_weighting,
        visible_to_ics=terms.visible_to_ics,
        created_by_id=actor.id,
        created_at=now,
    )
    agreement.versions.append(
        ProcedureVersion(
            number=1,
            body_markdown=_procedure(procedure),
            change_summary="The procedure as first agreed.",
            state=VersionState.ADOPTED,
            author_id=actor.id,
            created_at=now,
            adopted_at=now,
        )
    )
    db.session.add(agreement)
    db.session.flush()
    record(
        "agreement.created",
        f"Agreement set up: {title}, led by {display_name(lead.name)}",
        actor=actor,
        area=area,
        subject=agreement,
        details={"lead_id": lead.id, "starts_on": terms.starts_on.isoformat()},
    )
    return agreement


# ----------------------------------------------------------------------------------------------
# Signing up and notice
# ----------------------------------------------------------------------------------------------


def current_signatory(agreement: Agreement, practice: Organisation, day: date) -> Signatory | None:
    """The practice's sign-up that is in on ``day`` or starts later; None when it is out."""
    for signatory in agreement.signatories:
        if signatory.practice_id != practice.id:
            continue
        if signatory.leaves_on is None or day < signatory.leaves_on:
            return signatory
    return None


def _partners_of(practice: Organisation, except_user: User | None) -> list[User]:
    """The practice's active GP partners, but for ``except_user`` (who acted)."""
    query = (
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organisation_id == practice.id,
            Membership.role == Role.GP_PARTNER,
            User.active.is_(True),
        )
        .order_by(User.id)
    )
    if except_user is not None:
        query = query.where(User.id != except_user.id)
    return list(db.session.execute(query).scalars())


def _tell_partners(practice: Organisation, actor: User, agreement: Agreement, what: str) -> None:
    """Email the practice's other partners: a link only, as for anything not public."""
    link = external_url(
        "agreements.agreement", area_slug=agreement.area.slug, agreement_id=agreement.id
    )
    for partner in _partners_of(practice, actor):
        queue_email(
            partner.email,
            f"Your practice {what} a shared way of working",
            f"A GP partner of your practice has {what} a shared way of working in GP "
            f"Collective Voice. See what it means for the practice:\n{link}\n",
        )


def _check_signer(actor: User, agreement: Agreement, practice: Organisation) -> None:
    if practice.area_id != agreement.area_id or practice.kind is not OrganisationKind.PRACTICE:
        raise DomainError("Only a practice of this area can sign up")
    if not permissions.can_sign_for(actor, practice):
        raise NotPermitted(f"Only a GP partner of {display_name(practice.name)} can act for it")


def sign_up(
    actor: User,
    agreement: Agreement,
    practice: Organisation,
    *,
    checked_version: int,
    today: date,
    now: datetime,
) -> Signatory:
    """Sign ``practice`` up from today. ``checked_version`` is the procedure version the
    partner was shown on the check page: if another has been adopted since, nothing is signed."""
    _check_signer(actor, agreement, practice)
    if not practice.is_open:
        raise DomainError(f"{display_name(practice.name)} has closed")
    if today < agreement.starts_on:
        raise DomainError(
            f"This agreement starts on {long_day(agreement.starts_on)}: "
            "a practice can sign up from that day"
        )
    existing = current_signatory(agreement, practice, today)
    if existing is not None:
        if existing.leaves_on is not None:
            raise Conflict(
                f"{display_name(practice.name)} already belongs to this agreement until it "
                f"leaves on {long_day(existing.leaves_on)}"
            )
        raise Conflict(f"{display_name(practice.name)} already belongs to this agreement")
    version = agreement.in_force
    assert version is not None  # version 1 is adopted when the agreement is set up
    if checked_version != version.number:
        raise Conflict(
            f"Version {version.number} of the procedure has been adopted since you checked: "
            "read it and sign again"
        )
    signatory = Signatory(
        agreement_id=agreement.id,
        practice_id=practice.id,
        joined_on=today,
        signed_by_id=actor.id,
        signed_at=now,
        version_number=version.number,
    )
    try:
        with db.session.begin_nested():
            db.session.add(signatory)
            db.session.flush()
    except IntegrityError as error:  # another partner signed it up at the same moment
        raise Conflict(
            f"{display_name(practice.name)} already belongs to this agreement"
        ) from error
    db.session.refresh(agreement, attribute_names=["signatories"])
    record(
        "agreement.signed",
        f"{display_name(practice.name)} signed up to {agreement.title} "
        f"(procedure version {version.number})",
        actor=actor,
        area=agreement.area,
        subject=agreement,
        details={"practice_id": practice.id, "version": version.number, "joined_on": str(today)},
    )
    _tell_partners(practice, actor, agreement, "has signed up to")
    return signatory


def leaving_day(agreement: Agreement, signatory: Signatory, notice_day: date) -> date:
    """The first day out for notice given on ``notice_day`` (see the module's reading)."""
    end_of_notice = add_months(notice_day, agreement.notice_period_months)
    end_of_term = add_months(signatory.joined_on, agreement.minimum_term_months)
    return max(end_of_notice, end_of_term)


def give_notice(
    actor: User,
    agreement: Agreement,
    practice: Organisation,
    reason: str,
    *,
    today: date,
    now: datetime,
) -> Signatory:
    _check_signer(actor, agreement, practice)
    signatory = current_signatory(agreement, practice, today)
    if signatory is None:
        raise DomainError(f"{display_name(practice.name)} does not belong to this agreement")
    if signatory.leaves_on is not None:
        raise Conflict(
            f"{display_name(practice.name)} has already given notice: "
            f"it leaves on {long_day(signatory.leaves_on)}"
        )
    reason = _text(reason, "the reason", required=False, limit=MAX_REASON)
    signatory.notice_given_at = now
    signatory.notice_given_by_id = actor.id
    signatory.notice_reason = reason or None
    signatory.leaves_on = leaving_day(agreement, signatory, today)
    db.session.flush()
    record(
        "agreement.notice_given",
        f"{display_name(practice.name)} gave notice on {agreement.title}: out from "
        f"{long_day(signatory.leaves_on)}",
        actor=actor,
        area=agreement.area,
        subject=agreement,
        details={"practice_id": practice.id, "leaves_on": signatory.leaves_on.isoformat()},
    )
    _tell_partners(practice, actor, agreement, "has given notice on")
    return signatory


# ----------------------------------------------------------------------------------------------
# Who is in on a day, and what each pays
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RollRow:
    signatory: Signatory
    practice: Organisation
    pcn: Organisation | None
    patients: int | None
    share: Fraction | None  # of the cost; None when a per-patient share cannot be worked out
    cost: Decimal | None  # of the yearly cost, when there is one


@dataclass(frozen=True)
class PcnGroup:
    pcn: Organisation | None
    rows: list[RollRow]

    @property
    def patients(self) -> int:
        return sum(row.patients or 0 for row in self.rows)


@dataclass(frozen=True)
class Roll:
    day: date
    rows: list[RollRow]

    @property
    def patients(self) -> int:
        return sum(row.patients or 0 for row in self.rows)

    @property
    def by_pcn(self) -> list[PcnGroup]:
        groups: dict[int | None, list[RollRow]] = {}
        for row in self.rows:
            groups.setdefault(row.pcn.id if row.pcn else None, []).append(row)
        return [PcnGroup(rows[0].pcn, rows) for rows in groups.values()]


def pcn_on(practice: Organisation, day: date) -> Organisation | None:
    """The PCN the practice belonged to on ``day`` (memberships are dated, ends inclusive)."""
    for membership in practice.pcn_memberships:
        if membership.valid_from <= day and (
            membership.valid_to is None or day <= membership.valid_to
        ):
            return membership.pcn
    return None


def _pence(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def roll_on(agreement: Agreement, day: date) -> Roll:
    """The practices in on ``day``, by PCN then name, with their share of the cost.

    Patients are each practice's latest published registered list size: the portal keeps the
    list size of the day it was published, not of every day.
    """
    # One query for the signatories in, one for their practices, one for their PCNs.
    members = list(
        db.session.execute(
            sa.select(Signatory)
            .where(
                Signatory.agreement_id == agreement.id,
                Signatory.joined_on <= day,
                sa.or_(Signatory.leaves_on.is_(None), Signatory.leaves_on > day),
            )
            .order_by(Signatory.id)
            .options(
                selectinload(Signatory.practice)
                .selectinload(Organisation.pcn_memberships)
                .joinedload(PcnMembership.pcn)
            )
        ).scalars()
    )
    sizes = [s.practice.list_size for s in members]
    known_total = sum(size for size in sizes if size is not None)
    rows = []
    for signatory in members:
        practice = signatory.practice
        share: Fraction | None
        if agreement.cost_sharing is CostSharing.EQUAL:
            share = Fraction(1, len(members))
        elif practice.list_size is None or not known_total:
            share = None
        else:
            share = Fraction(practice.list_size, known_total)
        cost = None
        if share is not None and agreement.annual_cost is not None:
            cost = _pence(agreement.annual_cost * share.numerator / share.denominator)
        rows.append(
            RollRow(signatory, practice, pcn_on(practice, day), practice.list_size, share, cost)
        )
    rows.sort(key=lambda r: ((r.pcn.name if r.pcn else "~"), r.practice.name))
    return Roll(day, rows)


def share_if_joined(agreement: Agreement, practice: Organisation, day: date) -> Fraction | None:
    """The practice's share of the cost were it to join on ``day``, for its check page."""
    rows = roll_on(agreement, day).rows
    if agreement.cost_sharing is CostSharing.EQUAL:
        return Fraction(1, len(rows) + 1)
    known = sum(row.patients or 0 for row in rows)
    if practice.list_size is None or not known + practice.list_size:
        return None
    return Fraction(practice.list_size, known + practice.list_size)


def percent(share: Fraction | None) -> str:
    if share is None:
        return "not known"
    return figures.percent(share)


CSV_HEADER = (
    "pcn_code",
    "pcn_name",
    "ods_code",
    "practice",
    "registered_patients",
    "share_percent",
    "yearly_cost_share",
    "joined_on",
    "leaves_on",
)


def roll_csv(roll: Roll) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in roll.rows:
        cells: Iterable[Any] = (
            row.pcn.ods_code if row.pcn else "",
            row.pcn.name if row.pcn else "",
            row.practice.ods_code,
            row.practice.name,
            row.patients if row.patients is not None else "",
            percent(row.share).removesuffix(" %") if row.share is not None else "",
            row.cost if row.cost is not None else "",
            row.signatory.joined_on.isoformat(),
            row.signatory.leaves_on.isoformat() if row.signatory.leaves_on else "",
        )
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return out.getvalue()


# ----------------------------------------------------------------------------------------------
# Changing the agreed way
# ----------------------------------------------------------------------------------------------


def version_numbered(agreement: Agreement, number: int) -> ProcedureVersion | None:
    return next((v for v in agreement.versions if v.number == number), None)


def propose_version(
    actor: User, agreement: Agreement, body: str, change_summary: str, now: datetime
) -> ProcedureVersion:
    if not permissions.can_manage(actor, agreement):
        raise NotPermitted("Only the lead and LMC officers can propose a new procedure")
    body = _procedure(body)
    summary = _text(change_summary, "what changes and why", limit=MAX_REASON)
    if body == agreement.versions[-1].body_markdown:
        raise DomainError("The procedure is the same as the latest version: change it first")
    version = ProcedureVersion(
        agreement_id=agreement.id,
        number=agreement.versions[-1].number + 1,
        body_markdown=body,
        change_summary=summary,
        state=VersionState.PROPOSED,
        author_id=actor.id,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(version)
            db.session.flush()
    except IntegrityError as error:
        raise Conflict("Someone saved another version at the same moment: try again") from error
    db.session.refresh(agreement, attribute_names=["versions"])
    record(
        "agreement.version_proposed",
        f"Version {version.number} of the procedure of {agreement.title} proposed",
        actor=actor,
        area=agreement.area,
        subject=agreement,
        details={"version": version.number},
    )
    return version


def vote_rules(agreement: Agreement) -> dict[str, Any]:
    """The signatories' vote: the agreement's own weighting, a simple majority of the weight."""
    return {
        "weighting": {"scheme": agreement.vote_weighting.value},
        "blocks": None,
        "cap": None,
        "quorum": {"members": None, "weight": None},
        "threshold": {"rule": "simple_majority"},
        "tie": "fails",
    }


def put_to_vote(
    actor: User, version: ProcedureVersion, closes_at: datetime, *, today: date, now: datetime
) -> Vote:
    """Open the vote of the practices signed up today on ``version``: every practice in today,
    one under notice included (it is still bound by the procedure until it leaves)."""
    agreement = version.agreement
    if not permissions.can_manage(actor, agreement):
        raise NotPermitted("Only the lead and LMC officers can put a procedure to the vote")
    if version.state is not VersionState.PROPOSED:
        raise Conflict(f"Version {version.number} has already been put to the vote")
    if any(v.state is VersionState.VOTING for v in agreement.versions):
        raise Conflict("Another version is being voted on: wait for that vote to close")
    if closes_at <= now:
        raise DomainError("The vote must close in the future")
    electorate = [s.practice for s in agreement.signatories if s.is_in_on(today)]
    if not electorate:
        raise DomainError("No practice is signed up today, so there is nobody to vote")
    title = f"Procedure version {version.number}: {agreement.title}"[:MAX_TITLE]
    question = (
        f"Should the practices signed up to {agreement.title} adopt version "
        f"{version.number} of its procedure?"
    )[:500]
    body = (
        f"What changes and why: {version.change_summary}\n\n"
        f"The procedure as version {version.number} would have it:\n\n{version.body_markdown}"
    )
    vote = voting.create_vote(
        actor,
        agreement.area,
        voting.VoteDetails(
            title=title,
            question=question,
            body_markdown=body,
            kind=VoteKind.MOTION,
            secrecy=BallotSecrecy.OPEN,
            options=[],
            voting_kinds=["practice"],
            pcn_codes=None,
            opens_at=now,
            closes_at=closes_at,
            rules=vote_rules(agreement),
            organisation_ids=[practice.id for practice in electorate],
        ),
        authorised=True,
    )
    voting.open_vote(actor, vote, now, authorised=True)
    version.vote_id = vote.id
    version.state = VersionState.VOTING
    db.session.flush()
    record(
        "agreement.version_put_to_vote",
        f"Version {version.number} of the procedure of {agreement.title} put to the "
        f"{len(electorate)} practices signed up",
        actor=actor,
        area=agreement.area,
        subject=agreement,
        details={"version": version.number, "vote_id": vote.id, "electorate": len(electorate)},
    )
    return vote


def _version_voted_on(vote: Vote) -> ProcedureVersion | None:
    return db.session.execute(
        sa.select(ProcedureVersion).where(
            ProcedureVersion.vote_id == vote.id, ProcedureVersion.state == VersionState.VOTING
        )
    ).scalar_one_or_none()


@voting_signals.vote_closed.connect
def _on_vote_closed(vote: Vote, result: Any = None, **_: Any) -> None:
    """A passed vote adopts the version it was on; any other outcome leaves it not adopted."""
    version = _version_voted_on(vote)
    if version is None:
        return
    agreement = version.agreement
    passed = result is not None and result.outcome == "passed"
    closed_at = vote.closed_at or vote.closes_at
    if passed:
        version.state = VersionState.ADOPTED
        version.adopted_at = closed_at
    else:
        version.state = VersionState.NOT_ADOPTED
    db.session.flush()
    db.session.refresh(agreement, attribute_names=["versions"])
    record(
        "agreement.version_adopted" if passed else "agreement.version_not_adopted",
        f"Version {version.number} of the procedure of {agreement.title} "
        f"{'adopted' if passed else 'not adopted'} by the signatories' vote",
        actor=None,
        area=agreement.area,
        subject=agreement,
        details={"version": version.number, "vote_id": vote.id},
    )
    if passed:
        link = external_url(
            "agreements.agreement", area_slug=agreement.area.slug, agreement_id=agreement.id
        )
        day = closed_at.astimezone(LONDON).date()
        for signatory in agreement.signatories:
            if not signatory.is_in_on(day):
                continue
            for partner in _partners_of(signatory.practice, except_user=None):
                queue_email(
                    partner.email,
                    "A new version of a shared way of working has been adopted",
                    "The practices signed up to a shared way of working your practice belongs "
                    "to have adopted a new version of its procedure. A practice that cannot "
                    f"accept it can give notice. See the changes:\n{link}\n",
                )


@voting_signals.vote_cancelled.connect
def _on_vote_cancelled(vote: Vote, **_: Any) -> None:
    """A cancelled vote decided nothing: the version is proposed again, to be put once more."""
    version = _version_voted_on(vote)
    if version is None:
        return
    version.state = VersionState.PROPOSED
    version.vote_id = None
    db.session.flush()
    record(
        "agreement.version_vote_cancelled",
        f"The vote on version {version.number} of {version.agreement.title} was cancelled",
        actor=None,
        area=version.agreement.area,
        subject=version.agreement,
        details={"version": version.number, "vote_id": vote.id},
    )


# ----------------------------------------------------------------------------------------------
# Oversight
# ----------------------------------------------------------------------------------------------


def post_report(
    actor: User,
    agreement: Agreement,
    status: RagStatus,
    working: str,
    not_working: str,
    now: datetime,
) -> OversightReport:
    if not permissions.can_report(actor, agreement):
        raise NotPermitted(f"Only {display_name(agreement.lead.name)}, the lead, posts reports")
    working = _text(working, "what is working", required=False)
    not_working = _text(not_working, "what is not working", required=False)
    if not working and not not_working:
        raise DomainError("Say what is working or what is not")
    report = OversightReport(
        agreement_id=agreement.id,
        status=status,
        working=working,
        not_working=not_working,
        posted_by_id=actor.id,
        posted_at=now,
    )
    db.session.add(report)
    db.session.flush()
    db.session.refresh(agreement, attribute_names=["reports"])
    record(
        "agreement.report_posted",
        f"Report on {agreement.title}: {status.label}",
        actor=actor,
        area=agreement.area,
        subject=agreement,
        details={"status": status.value},
    )
    return report


def report_due_on(agreement: Agreement, today: date) -> date | None:
    """The day the next report is due: one period after the last (or after the start)."""
    if today < agreement.starts_on:
        return None
    last = agreement.reports[-1].posted_at.date() if agreement.reports else agreement.starts_on
    return add_months(last, agreement.report_frequency.months)


def oversight_flags(agreement: Agreement, today: date) -> list[str]:
    """What officers should know, worked out when read: a missed report, a passed review."""
    flags = []
    due = report_due_on(agreement, today)
    if due is not None and due < today:
        flags.append(f"The lead's report was due on {long_day(due)} and has not been posted")
    if agreement.review_on is not None and agreement.review_on < today:
        flags.append(f"The review date, {long_day(agreement.review_on)}, has passed")
    return flags


# ----------------------------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------------------------


def agreements_in(area: Area) -> list[Agreement]:
    return list(
        db.session.execute(
            sa.select(Agreement).where(Agreement.area_id == area.id).order_by(Agreement.title)
        ).scalars()
    )


def lead_candidates(area: Area) -> list[Organisation]:
    """The organisations of ``area`` that may lead an agreement: federation, PCNs, practices."""
    order = sa.case(
        (Organisation.kind == OrganisationKind.FEDERATION, 0),
        (Organisation.kind == OrganisationKind.PCN, 1),
        else_=2,
    )
    return list(
        db.session.execute(
            sa.select(Organisation)
            .where(
                Organisation.area_id == area.id,
                Organisation.kind.in_(permissions.LEAD_KINDS),
                Organisation.closed_on.is_(None),
            )
            .order_by(order, Organisation.name)
        ).scalars()
    )


def visible_agreements(user: Any, area: Area | None = None) -> list[Agreement]:
    """Every agreement ``user`` may see, in ``area`` or in every area."""
    query = sa.select(Agreement).order_by(Agreement.area_id, Agreement.title)
    if area is not None:
        query = query.where(Agreement.area_id == area.id)
    return [a for a in db.session.execute(query).scalars() if permissions.can_see(user, a)]
