"""An LMC officer links a need to an ICS proposal and a position draft; the draft knows the
needs behind it, as far as each reader may see them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.audit.models import AuditEntry
from portal.errors import DomainError, NotPermitted
from portal.needs import listings, services
from portal.needs.models import Need, NeedCategory, NeedChannel, NeedUrgency
from portal.positions.models import Position, Proposal, Revision
from portal.tiers import Tier
from tests.conftest import fetch_csrf_token
from tests.factories import Org, Person, lmc, make_area, make_world


@pytest.fixture
def scene(db):
    world = make_world(
        [lmc(), Org("practice"), Org("other_practice")],
        [
            Person("officer", "lmc", Role.LMC_OFFICER),
            Person("partner", "practice", Role.GP_PARTNER),
            Person("other_partner", "other_practice", Role.GP_PARTNER),
        ],
    )
    area, officer, partner, other_partner = (
        world.area,
        world.officer,
        world.partner,
        world.other_partner,
    )
    practice = world.practice
    proposal = Proposal(area_id=area.id, title="Estates strategy", owning_body="ICB")
    position = Position(area_id=area.id, tier=Tier.GROUP, lead_id=officer.id)
    position.revisions.append(Revision(number=1, title="Our estates view", body_markdown="Text"))
    db.session.add_all([proposal, position])
    db.session.commit()
    needs = {
        name: services.raise_need(
            partner,
            practice,
            NeedChannel.PRACTICE,
            title=title,
            description_markdown="We need space.",
            category=NeedCategory.ESTATES,
            urgency=NeedUrgency.SOON,
            lmc_only=lmc_only,
        )
        for name, title, lmc_only in (
            ("open", "No room for ARRS staff", False),
            ("private", "Our PCN takes our rooms", True),
        )
    }
    db.session.commit()
    return area, officer, partner, other_partner, proposal, position, needs


def test_officer_links_a_need_and_the_draft_lists_it_by_visibility(db, scene):
    area, officer, partner, other_partner, proposal, position, needs = scene
    for need in needs.values():
        services.link(officer, need, proposal, position)
    db.session.commit()
    assert {n.id for n in listings.needs_behind(officer, position)} == {
        needs["open"].id,
        needs["private"].id,
    }
    assert {n.id for n in listings.needs_behind(partner, position)} == {
        needs["open"].id,
        needs["private"].id,
    }
    # Another practice's partner may not see the "LMC only" need, so the draft does not show it.
    assert [n.id for n in listings.needs_behind(other_partner, position)] == [needs["open"].id]
    entry = (
        db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "need.linked"))
        .scalars()
        .first()
    )
    assert entry.details == {"proposal": proposal.id, "position": position.id}


def test_only_officers_link_and_only_within_the_area(db, scene):
    area, officer, partner, _, proposal, position, needs = scene
    with pytest.raises(NotPermitted):
        services.link(partner, needs["open"], proposal, None)
    elsewhere = make_area(slug="elsewhere", name="Elsewhere")
    foreign = Proposal(area_id=elsewhere.id, title="Not ours", owning_body="ICB")
    db.session.add(foreign)
    db.session.commit()
    with pytest.raises(DomainError, match="of this area"):
        services.link(officer, needs["open"], foreign, None)
    assert db.session.get(Need, needs["open"].id).proposal_id is None


def test_link_through_the_page(client, login, db, scene):
    area, officer, partner, _, proposal, position, needs = scene
    login(officer)
    url = f"/areas/{area.slug}/needs/{needs['open'].id}"
    page = client.get(url).get_data(as_text=True)
    assert "Save links" in page
    response = client.post(
        f"{url}/link",
        data={
            "proposal": str(proposal.id),
            "position": str(position.id),
            "csrf_token": fetch_csrf_token(client, url),
        },
    )
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "ICS proposal: Estates strategy" in page
    assert "Position draft: Our estates view" in page
    refused = client.post(f"{url}/link", data={"proposal": str(proposal.id), "position": ""})
    assert refused.status_code == 400


def test_partner_cannot_link_through_the_page(client, login, db, scene):
    area, officer, partner, _, proposal, position, needs = scene
    login(partner)
    url = f"/areas/{area.slug}/needs/{needs['open'].id}"
    assert "Save links" not in client.get(url).get_data(as_text=True)
    response = client.post(
        f"{url}/link",
        data={
            "proposal": str(proposal.id),
            "position": "",
            "csrf_token": fetch_csrf_token(client, url),
        },
    )
    assert response.status_code == 403
    assert db.session.get(Need, needs["open"].id).proposal_id is None
