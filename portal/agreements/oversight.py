"""Oversight of an agreement: the lead's reports (red, amber or green, what is working and
what is not), when the next one is due, and the flags officers see, worked out when read (a
missed report, a passed review date).

Services flush but never commit, write their audit entry and raise a ``DomainError`` whose
message can be shown.
"""

from __future__ import annotations

from datetime import date, datetime

from portal.accounts.models import User
from portal.agreements import permissions
from portal.agreements.days import add_months, long_day
from portal.agreements.limits import checked_text
from portal.agreements.models import Agreement, OversightReport, RagStatus
from portal.audit.services import record
from portal.errors import DomainError, NotPermitted
from portal.extensions import db
from portal.names import display_name


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
    working = checked_text(working, "what is working", required=False)
    not_working = checked_text(not_working, "what is not working", required=False)
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
