"""The roles a person holds in an organisation, and in which kinds of organisation each may be
held. They live beside the organisations so that who may see an area is decided without
reaching up into accounts; ``portal.accounts.models.Membership`` stores them."""

from __future__ import annotations

import enum

from portal.organisations.models import OrganisationKind


class Role(enum.Enum):
    GP_PARTNER = "gp_partner"
    SALARIED_GP = "salaried_gp"
    PRACTICE_MANAGER = "practice_manager"
    PCN_CLINICAL_DIRECTOR = "pcn_clinical_director"
    FEDERATION_DIRECTOR = "federation_director"
    LMC_OFFICER = "lmc_officer"
    ICS_READER = "ics_reader"
    AREA_ADMIN = "area_admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def organisation_kinds(self) -> frozenset[OrganisationKind]:
        """The kinds of organisation a membership with this role may be held in."""
        return ROLE_ORGANISATION_KINDS[self]


ROLE_LABELS = {
    Role.GP_PARTNER: "GP partner",
    Role.SALARIED_GP: "Salaried GP",
    Role.PRACTICE_MANAGER: "Practice manager",
    Role.PCN_CLINICAL_DIRECTOR: "PCN clinical director",
    Role.FEDERATION_DIRECTOR: "Federation director",
    Role.LMC_OFFICER: "LMC officer",
    Role.ICS_READER: "ICS reader",
    Role.AREA_ADMIN: "Area administrator",
}

# An area administrator usually sits in the LMC or the federation that runs the portal.
ROLE_ORGANISATION_KINDS = {
    Role.GP_PARTNER: frozenset({OrganisationKind.PRACTICE}),
    Role.SALARIED_GP: frozenset({OrganisationKind.PRACTICE}),
    Role.PRACTICE_MANAGER: frozenset({OrganisationKind.PRACTICE}),
    Role.PCN_CLINICAL_DIRECTOR: frozenset({OrganisationKind.PCN}),
    Role.FEDERATION_DIRECTOR: frozenset({OrganisationKind.FEDERATION}),
    Role.LMC_OFFICER: frozenset({OrganisationKind.LMC}),
    Role.ICS_READER: frozenset({OrganisationKind.ICS}),
    Role.AREA_ADMIN: frozenset({OrganisationKind.LMC, OrganisationKind.FEDERATION}),
}
