"""Read-only questions other parts of the portal ask about mandates (the home page's list of
what needs a person). Nothing here writes, so a page view may ask them."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from portal.accounts.models import User
from portal.extensions import db
from portal.mandates.models import Mandate, MandateHolder, MandateState
from portal.organisations.models import Area


def mandates_to_report_on(user: User, area: Area, today: date) -> list[Mandate]:
    """The mandates in force that the person holds: each commitment they make under one is
    theirs to report. Ending soonest first."""
    return list(
        db.session.scalars(
            sa.select(Mandate)
            .join(MandateHolder, MandateHolder.mandate_id == Mandate.id)
            .where(
                MandateHolder.user_id == user.id,
                Mandate.area_id == area.id,
                Mandate.state == MandateState.IN_FORCE,
                Mandate.ends_on >= today,
            )
            .order_by(Mandate.ends_on, Mandate.id)
        )
    )
