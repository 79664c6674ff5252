"""What an agreement's page shows the person looking: the roll of practices on a day, their own
practices and where each stands, the oversight flags (for those who may see them), when the
next report is due, and what they may do. Nothing here writes."""

from __future__ import annotations

from datetime import date
from typing import Any

from portal.agreements import oversight, permissions, rolls, signing
from portal.agreements.models import Agreement, VersionState
from portal.organisations.models import Area
from portal.voting.permissions import can_see_votes


def agreement_page(
    found: Agreement, user: Any, area: Area, today: date, day: date
) -> dict[str, Any]:
    """The agreement's page as of ``today``, with its roll on ``day``."""
    return {
        "agreement": found,
        "today": today,
        "day": day,
        "roll": rolls.roll_on(found, day),
        "percent": rolls.percent,
        "my_practices": [
            (practice, signing.current_signatory(found, practice, today))
            for practice in permissions.signing_practices(user, area)
        ],
        "flags": (
            oversight.oversight_flags(found, today)
            if permissions.can_see_oversight_flags(user, found)
            else []
        ),
        "report_due": oversight.report_due_on(found, today),
        "may_manage": permissions.can_manage(user, found),
        "may_report": permissions.can_report(user, found),
        "may_see_votes": can_see_votes(user, area),
        "VersionState": VersionState,
    }
