"""An area administrator gives and removes roles, deactivates accounts, adds organisations."""

from __future__ import annotations

import sqlalchemy as sa

from portal.accounts.models import Membership, Role
from portal.audit.models import AuditEntry
from portal.organisations.models import Organisation, OrganisationKind
from tests.conftest import fetch_csrf_token
from tests.factories import Org, Person, lmc, make_world


def _an_admin_and_a_partner():
    world = make_world(
        [lmc(ods_code="LMC1"), Org("practice", name="Hill Surgery")],
        [
            Person("admin", "lmc", Role.AREA_ADMIN),
            Person("partner", "practice", Role.GP_PARTNER, name="Pat Partner"),
        ],
    )
    return world.area, world.lmc, world.practice, world.admin, world.partner


def test_admin_adds_and_removes_a_role(client, db, login):
    area, lmc, practice, admin, partner = _an_admin_and_a_partner()
    login(admin)
    url = f"/areas/{area.slug}/admin/members/{partner.id}"
    response = client.post(
        url,
        data={
            "organisation": str(practice.id),
            "role": "practice_manager",
            "csrf_token": fetch_csrf_token(client, url),
        },
    )
    assert response.status_code == 302
    roles = db.session.execute(
        sa.select(Membership.role).where(Membership.user_id == partner.id)
    ).scalars()
    assert set(roles) == {Role.GP_PARTNER, Role.PRACTICE_MANAGER}

    duplicate = client.post(
        url,
        data={
            "organisation": str(practice.id),
            "role": "gp_partner",
            "csrf_token": fetch_csrf_token(client, url),
        },
    )
    assert duplicate.status_code == 200
    assert "already a gp partner" in duplicate.get_data(as_text=True)

    membership = db.session.execute(
        sa.select(Membership).where(
            Membership.user_id == partner.id, Membership.role == Role.PRACTICE_MANAGER
        )
    ).scalar_one()
    removed = client.post(
        f"/areas/{area.slug}/admin/memberships/{membership.id}/remove",
        data={"csrf_token": fetch_csrf_token(client, url)},
    )
    assert removed.status_code == 302
    roles = db.session.execute(
        sa.select(Membership.role).where(Membership.user_id == partner.id)
    ).scalars()
    assert set(roles) == {Role.GP_PARTNER}
    actions = list(
        db.session.execute(sa.select(AuditEntry.action).order_by(AuditEntry.sequence)).scalars()
    )
    assert actions[-2:] == ["membership.added", "membership.removed"]


def test_last_area_admin_cannot_be_removed(client, db, login):
    area, lmc, practice, admin, partner = _an_admin_and_a_partner()
    login(admin)
    membership = db.session.execute(
        sa.select(Membership).where(Membership.user_id == admin.id)
    ).scalar_one()
    url = f"/areas/{area.slug}/admin/members/{admin.id}"
    response = client.post(
        f"/areas/{area.slug}/admin/memberships/{membership.id}/remove",
        data={"csrf_token": fetch_csrf_token(client, url)},
        follow_redirects=True,
    )
    assert "at least one active area administrator" in response.get_data(as_text=True)
    assert db.session.get(Membership, membership.id) is not None


def test_deactivated_member_is_signed_out_and_cannot_sign_in(client, db, login, app):
    area, lmc, practice, admin, partner = _an_admin_and_a_partner()
    partner_browser = app.test_client()
    partner_browser.post(
        "/accounts/login",
        data={
            "email": partner.email,
            "password": "correct horse battery staple",
            "csrf_token": fetch_csrf_token(partner_browser),
        },
    )
    assert partner_browser.get("/accounts/profile").status_code == 200
    login(admin)
    url = f"/areas/{area.slug}/admin/members/{partner.id}"
    response = client.post(f"{url}/deactivate", data={"csrf_token": fetch_csrf_token(client, url)})
    assert response.status_code == 302
    assert partner_browser.get("/accounts/profile").status_code == 302


def test_button_posts_without_csrf_change_nothing(client, db, login):
    area, lmc, practice, admin, partner = _an_admin_and_a_partner()
    login(admin)
    response = client.post(f"/areas/{area.slug}/admin/members/{partner.id}/deactivate")
    assert response.status_code == 400
    db.session.refresh(partner)
    assert partner.active


def test_admin_adds_a_federation_and_duplicates_are_refused(client, db, login):
    area, lmc, practice, admin, partner = _an_admin_and_a_partner()
    login(admin)
    url = f"/areas/{area.slug}/admin/organisations"
    data = {
        "kind": "federation",
        "ods_code": "fed 1",
        "name": "North Staffs GP Federation",
        "postcode": "",
    }
    response = client.post(url, data={**data, "csrf_token": fetch_csrf_token(client, url)})
    assert response.status_code == 302
    federation = db.session.execute(
        sa.select(Organisation).where(Organisation.kind == OrganisationKind.FEDERATION)
    ).scalar_one()
    assert (federation.ods_code, federation.name) == ("FED1", "North Staffs GP Federation")
    again = client.post(url, data={**data, "csrf_token": fetch_csrf_token(client, url)})
    assert again.status_code == 200
    assert "already has a gp federation with code FED1" in again.get_data(as_text=True)
    bad = client.post(
        url, data={**data, "kind": "practice", "csrf_token": fetch_csrf_token(client, url)}
    )
    assert "Not a valid choice" in bad.get_data(as_text=True)
