"""Setting up an agreement (its terms and version 1 of its procedure, in force from the start),
and finding agreements: those of an area, those a person may see, and who may lead one.

Services flush but never commit, write their audit entry and raise a ``DomainError`` whose
message can be shown. Signing up and notice, the roll on a day, new procedure versions and the
lead's reports are in their own modules beside this one (``signing``, ``rolls``,
``procedure_versions``, ``oversight``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from portal.accounts.models import User
from portal.agreements import permissions
from portal.agreements.limits import MAX_TITLE, checked_procedure, checked_text
from portal.agreements.models import (
    Agreement,
    CostSharing,
    ProcedureVersion,
    ReportFrequency,
    VersionState,
    VoteWeighting,
)
from portal.audit.services import record
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.names import display_name
from portal.organisations.models import Area, Organisation, OrganisationKind


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
    title = checked_text(terms.title, "a title", limit=MAX_TITLE)
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
        gives_up=checked_text(terms.gives_up, "what each practice gives up"),
        gets=checked_text(terms.gets, "what each practice gets"),
        who_does_what_markdown=checked_text(terms.who_does_what_markdown, "who does what"),
        oversight=checked_text(terms.oversight, "who reports to whom"),
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
            body_markdown=checked_procedure(procedure),
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
