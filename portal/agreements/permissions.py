"""Who may see and do what with agreements. Deny by default.

- Members of the leadership group see their area's agreements; ICS readers see only those
  marked visible to the ICS; nobody else sees any (404).
- LMC officers and area administrators set agreements up, with any lead; so may someone who
  acts for the organisation that will lead it (its GP partner, PCN clinical director or
  federation director).
- The lead (people acting for the lead organisation) and officers propose new procedure
  versions and put them to the signatories' vote; only the lead posts oversight reports.
- A practice's GP partner signs it up and gives its notice.
- Officers see missed reports and passed review dates.
"""

from __future__ import annotations

from typing import Any

from portal.accounts.models import Role
from portal.agreements.models import Agreement
from portal.organisations.models import Area, Organisation, OrganisationKind
from portal.organisations.permissions import is_group_member, is_officer, roles_in_area

LEAD_KINDS = frozenset(
    {OrganisationKind.PRACTICE, OrganisationKind.PCN, OrganisationKind.FEDERATION}
)
# The role that acts for an organisation of each kind that may lead an agreement.
ACTING_ROLE = {
    OrganisationKind.PRACTICE: Role.GP_PARTNER,
    OrganisationKind.PCN: Role.PCN_CLINICAL_DIRECTOR,
    OrganisationKind.FEDERATION: Role.FEDERATION_DIRECTOR,
}


def acts_for(user: Any, organisation: Organisation) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    role = ACTING_ROLE.get(organisation.kind)
    return any(
        membership.organisation_id == organisation.id and membership.role is role
        for membership in user.memberships
    )


def can_see_agreements(user: Any, area: Area) -> bool:
    return is_group_member(user, area) or Role.ICS_READER in roles_in_area(user, area)


def can_see(user: Any, agreement: Agreement) -> bool:
    if is_group_member(user, agreement.area):
        return True
    return agreement.visible_to_ics and Role.ICS_READER in roles_in_area(user, agreement.area)


def can_set_up(user: Any, area: Area) -> bool:
    """Whether the "set up an agreement" page is for this user at all."""
    return is_officer(user, area) or bool(lead_organisations_of(user, area))


def can_set_up_led_by(user: Any, lead: Organisation) -> bool:
    return is_officer(user, lead.area) or acts_for(user, lead)


def lead_organisations_of(user: Any, area: Area) -> list[Organisation]:
    """The organisations of ``area`` that ``user`` may lead an agreement for."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [
        membership.organisation
        for membership in user.memberships
        if membership.organisation.area_id == area.id
        and membership.organisation.kind in LEAD_KINDS
        and ACTING_ROLE[membership.organisation.kind] is membership.role
    ]


def is_lead(user: Any, agreement: Agreement) -> bool:
    return acts_for(user, agreement.lead)


def can_manage(user: Any, agreement: Agreement) -> bool:
    """Propose a new procedure version and put it to the signatories."""
    return is_lead(user, agreement) or is_officer(user, agreement.area)


def can_report(user: Any, agreement: Agreement) -> bool:
    return is_lead(user, agreement)


def can_see_oversight_flags(user: Any, agreement: Agreement) -> bool:
    return is_officer(user, agreement.area)


def signing_practices(user: Any, area: Area) -> list[Organisation]:
    """The practices of ``area`` whose GP partner ``user`` is: those they may sign for."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [
        membership.organisation
        for membership in user.memberships
        if membership.organisation.area_id == area.id
        and membership.organisation.kind is OrganisationKind.PRACTICE
        and membership.role is Role.GP_PARTNER
    ]


def can_sign_for(user: Any, practice: Organisation) -> bool:
    return practice.kind is OrganisationKind.PRACTICE and acts_for(user, practice)
