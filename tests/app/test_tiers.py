"""The tier table: every kind of reader against every tier, drafts and published."""

from __future__ import annotations

import pytest

from portal.accounts.models import Role
from portal.organisations.models import OrganisationKind
from portal.tiers import Tier, can_read
from tests.factories import make_area, make_organisation, make_user

HOME = {
    Role.GP_PARTNER: OrganisationKind.PRACTICE,
    Role.PRACTICE_MANAGER: OrganisationKind.PRACTICE,
    Role.PCN_CLINICAL_DIRECTOR: OrganisationKind.PCN,
    Role.FEDERATION_DIRECTOR: OrganisationKind.FEDERATION,
    Role.LMC_OFFICER: OrganisationKind.LMC,
    Role.ICS_READER: OrganisationKind.ICS,
    Role.AREA_ADMIN: OrganisationKind.LMC,
}
L, G, ICS, P = Tier.LMC, Tier.GROUP, Tier.ICS, Tier.PUBLIC
# reader: (tiers readable as drafts, tiers readable once published)
EXPECTED = {
    Role.GP_PARTNER: ({G, ICS, P}, {G, ICS, P}),
    Role.PRACTICE_MANAGER: ({G, ICS, P}, {G, ICS, P}),
    Role.PCN_CLINICAL_DIRECTOR: ({G, ICS, P}, {G, ICS, P}),
    Role.FEDERATION_DIRECTOR: ({G, ICS, P}, {G, ICS, P}),
    Role.LMC_OFFICER: ({L, G, ICS, P}, {L, G, ICS, P}),
    Role.AREA_ADMIN: ({L, G, ICS, P}, {L, G, ICS, P}),
    Role.ICS_READER: (set(), {ICS, P}),
    "other_area_member": (set(), {P}),
    "anonymous": (set(), {P}),
}


@pytest.mark.parametrize("reader", list(EXPECTED), ids=lambda r: getattr(r, "value", r))
def test_tier_table(db, reader):
    from flask_login import AnonymousUserMixin

    area = make_area()
    if reader == "anonymous":
        user = AnonymousUserMixin()
    elif reader == "other_area_member":
        other = make_area(slug="other", name="Other")
        user = make_user(make_organisation(other, OrganisationKind.LMC), Role.LMC_OFFICER)
    else:
        user = make_user(make_organisation(area, HOME[reader]), reader)
    drafts, published = EXPECTED[reader]
    assert {t for t in Tier if can_read(user, area, t, published=False)} == drafts
    assert {t for t in Tier if can_read(user, area, t, published=True)} == published
