"""Access rules that need a fresh world per test: commenting by role and tier, confidential
drafts behind the proposals list, the tiers one may give a draft, other areas."""

from __future__ import annotations

import pytest

from portal.tiers import Tier
from tests.positions.conftest import csrf, draft, record_proposal, sign_in
from tests.positions.test_access_table import READERS, ROLES


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("tier", list(Tier), ids=[t.value for t in Tier])
def test_commenting_by_role_and_tier(client, world, role, tier):
    """Every change is a POST: readers of the tier who are group members may comment."""
    position = draft(world, "officer", tier=tier)
    sign_in(client, world.people[role])
    response = client.post(
        world.url(f"positions/{position.id}/comments"),
        data={"csrf_token": csrf(client), "comment_paragraph": "", "comment_body": "Agreed."},
    )
    assert response.status_code == (302 if role in READERS[tier] else 404)


def test_a_confidential_draft_does_not_show_through_the_proposals_list(client, world):
    proposal = record_proposal(world, title="Estates strategy")
    draft(world, "officer", tier=Tier.LMC, proposal=proposal)
    sign_in(client, world.people["partner"])
    page = client.get(world.url("proposals")).get_data(as_text=True)
    assert "No draft" in page
    assert "Drafting" not in page
    client.post("/accounts/logout", data={"csrf_token": csrf(client)})
    sign_in(client, world.people["officer"])
    page = client.get(world.url("proposals")).get_data(as_text=True)
    assert "Drafting" in page


def test_nobody_gives_a_draft_a_tier_they_could_not_read(client, world):
    sign_in(client, world.people["partner"])
    page = client.get(world.url("positions/new")).get_data(as_text=True)
    assert 'value="lmc"' not in page
    assert 'value="group"' in page
    response = client.post(
        world.url("positions/new"),
        data={
            "csrf_token": csrf(client),
            "title": "Secret",
            "body_markdown": "Text",
            "tier": "lmc",
            "proposal": "",
        },
    )
    assert response.status_code == 200
    assert "Choose who can read this draft" in response.get_data(as_text=True)


def test_a_draft_of_another_area_is_not_found(client, world):
    position = draft(world)
    other_area_url = f"/areas/elsewhere/positions/{position.id}"
    sign_in(client, world.people["outsider"])
    assert client.get(other_area_url).status_code == 404
