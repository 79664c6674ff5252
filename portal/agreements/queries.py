"""Read-only questions other parts of the portal ask about agreements (the home page's list
of what needs a person). Nothing here writes, so a page view may ask them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal.accounts.models import User
from portal.agreements.models import Agreement
from portal.agreements.permissions import can_sign_for
from portal.agreements.setting_up import visible_agreements
from portal.agreements.signing import current_signatory
from portal.organisations.models import Area, Organisation, OrganisationKind


@dataclass(frozen=True)
class AgreementToSign:
    """A shared way of working in force that a practice the person signs for is not in."""

    agreement: Agreement
    practice: Organisation


def agreements_to_sign(user: User, area: Area, today: date) -> list[AgreementToSign]:
    practices = sorted(
        {
            membership.organisation.id: membership.organisation
            for membership in user.memberships
            if membership.organisation.area_id == area.id
            and membership.organisation.kind is OrganisationKind.PRACTICE
            and membership.organisation.closed_on is None
            and can_sign_for(user, membership.organisation)
        }.values(),
        key=lambda practice: practice.name,
    )
    if not practices:
        return []
    return [
        AgreementToSign(agreement, practice)
        for agreement in visible_agreements(user, area)
        if agreement.in_force is not None
        for practice in practices
        if current_signatory(agreement, practice, today) is None
    ]
