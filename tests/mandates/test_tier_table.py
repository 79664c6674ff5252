"""Who reads which mandate, everywhere a mandate can be read.

Every kind of reader against a granted mandate of each tier an officer may choose, and one still
awaiting its motion, on every surface: the mandate's page, the register, a holder's page, the
API's list and item. A mandate above the reader's tier is 404 where it is asked for, and missing
from every list.
"""

from __future__ import annotations

import pytest

from portal.accounts.models import Role
from portal.positions.models import Tier
from tests.factories import make_world
from tests.mandates.helpers import grant_mandate, propose_mandate
from tests.statements.helpers import STATEMENTS_WORLD, reader_in

G, ICS, P = Tier.GROUP, Tier.ICS, Tier.PUBLIC
READABLE = {
    Role.GP_PARTNER: {G, ICS, P},
    Role.PRACTICE_MANAGER: {G, ICS, P},
    Role.PCN_CLINICAL_DIRECTOR: {G, ICS, P},
    Role.FEDERATION_DIRECTOR: {G, ICS, P},
    Role.LMC_OFFICER: {G, ICS, P},
    Role.AREA_ADMIN: {G, ICS, P},
    Role.ICS_READER: {ICS, P},
    "other_area_member": {P},
    "anonymous": {P},
}
# Only officers see a mandate whose motion is still a draft; it is on no register.
SEES_PROPOSED = {Role.LMC_OFFICER, Role.AREA_ADMIN}
TITLE_WORDS = {G: "Badger", ICS: "Cormorant", P: "Dormouse"}
PROPOSED_WORD = "Elephant"


@pytest.mark.parametrize("reader", list(READABLE), ids=lambda r: getattr(r, "value", r))
def test_tier_table(client, login, db, reader):
    setting = make_world(**STATEMENTS_WORLD)
    mandates = {
        tier: grant_mandate(
            setting,
            tier=tier,
            title=f"{TITLE_WORDS[tier]} model",
            motion_title=f"{tier.value} motion",
        )
        for tier in TITLE_WORDS
    }
    proposed = propose_mandate(setting, title=f"{PROPOSED_WORD} model", tier=Tier.PUBLIC)
    user = reader_in(setting, reader)
    if user is not None:
        login(user)
    readable = {mandates[tier].id for tier in READABLE[reader]}

    for tier, mandate in mandates.items():
        expected = 200 if tier in READABLE[reader] else 404
        assert client.get(f"/mandates/{mandate.id}").status_code == expected, ("page", tier)
        assert client.get(f"/api/v1/mandates/{mandate.id}").status_code == expected, ("api", tier)
    expected = 200 if reader in SEES_PROPOSED else 404
    assert client.get(f"/mandates/{proposed.id}").status_code == expected

    listing = client.get("/api/v1/mandates?per_page=100").get_json()
    assert {item["id"] for item in listing["items"]} == readable
    assert listing["total"] == len(readable)

    holder = client.get(f"/mandates/holders/{setting.pcn_director.id}")
    assert holder.status_code == 200

    for surface in (
        client.get("/mandates").get_data(as_text=True),
        holder.get_data(as_text=True),
        client.get("/api/v1/mandates").get_data(as_text=True),
    ):
        assert PROPOSED_WORD not in surface
        for tier, word in TITLE_WORDS.items():
            assert (word in surface) == (tier in READABLE[reader]), (tier, surface[:200])


def test_a_holder_page_for_someone_holding_nothing_you_may_read_is_404(client, db):
    setting = make_world(**STATEMENTS_WORLD)
    grant_mandate(setting, tier=Tier.GROUP)
    assert client.get(f"/mandates/holders/{setting.pcn_director.id}").status_code == 404
    assert client.get(f"/mandates/holders/{setting.partners[0].id}").status_code == 404
