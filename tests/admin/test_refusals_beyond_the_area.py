"""An area administrator's reach ends at the area: another area's invitations, roles and
members are 404, a change without its CSRF token is 400, and a refused change changes nothing
and says why on the members page."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.accounts import services as account_services
from portal.accounts.models import Invitation, Membership, Role, User
from portal.admin import services
from portal.audit.models import AuditEntry
from portal.database import utcnow
from portal.errors import DomainError, NotPermitted
from portal.organisations.models import Organisation, OrganisationKind
from tests.conftest import fetch_csrf_token
from tests.factories import Org, Person, World, lmc, make_world

TWO_AREAS_WORLD = {
    "section": "admin",
    "other_areas": [("other_area", "other-area", "Other Area ICB")],
    "organisations": [
        lmc(ods_code="LMC1"),
        Org("practice", ods_code="A10001", name="Hill Surgery"),
        lmc("other_lmc", ods_code="LMC2", area="other_area"),
        Org("other_practice", ods_code="B20001", name="Far Surgery", area="other_area"),
    ],
    "people": [
        Person("admin", "lmc", Role.AREA_ADMIN, email="ada.admin@example.nhs.uk"),
        Person("partner", "practice", Role.GP_PARTNER, email="pat@example.nhs.uk"),
        Person("other_admin", "other_lmc", Role.AREA_ADMIN, email="otto@example.nhs.uk"),
        Person("outsider", "other_practice", Role.GP_PARTNER, email="far@example.nhs.uk"),
    ],
}


@pytest.fixture
def world(db) -> World:
    """This area with its admin and a partner; another area with its own admin and partner,
    and an invitation of that other area's."""
    world = make_world(**TWO_AREAS_WORLD)
    world.rows["other_invitation"] = account_services.invite(
        world.other_admin,
        world.other_practice,
        email="invited@example.nhs.uk",
        name="Ivy Invited",
        role=Role.PRACTICE_MANAGER,
        now=utcnow(),
    )
    return world


def _memberships(db, user: User) -> set[Role]:
    return set(
        db.session.execute(sa.select(Membership.role).where(Membership.user_id == user.id))
        .scalars()
        .all()
    )


def test_another_areas_invitation_role_and_member_are_not_found(client, db, login, world):
    db.session.commit()
    login(world.admin)
    token = fetch_csrf_token(client, f"{world.url()}/members")
    outsider_role = db.session.execute(
        sa.select(Membership).where(Membership.user_id == world.outsider.id)
    ).scalar_one()

    revoke = client.post(
        f"{world.url()}/invitations/{world.other_invitation.id}/revoke",
        data={"csrf_token": token},
    )
    remove = client.post(
        f"{world.url()}/memberships/{outsider_role.id}/remove", data={"csrf_token": token}
    )
    deactivate = client.post(
        f"{world.url()}/members/{world.outsider.id}/deactivate", data={"csrf_token": token}
    )
    page = client.get(f"{world.url()}/members/{world.outsider.id}")
    missing = client.post(f"{world.url()}/invitations/999999/revoke", data={"csrf_token": token})

    assert [r.status_code for r in (revoke, remove, deactivate, page, missing)] == [404] * 5
    db.session.expire_all()
    assert db.session.get(Invitation, world.other_invitation.id).revoked_at is None
    assert _memberships(db, world.outsider) == {Role.GP_PARTNER}
    assert db.session.get(User, world.outsider.id).active


def test_a_change_without_its_csrf_token_is_refused_and_changes_nothing(client, db, login, world):
    invitation = account_services.invite(
        world.admin,
        world.practice,
        email="newcomer@example.nhs.uk",
        name="Nat Newcomer",
        role=Role.PRACTICE_MANAGER,
        now=utcnow(),
    )
    db.session.commit()
    login(world.admin)
    partner_role = db.session.execute(
        sa.select(Membership).where(Membership.user_id == world.partner.id)
    ).scalar_one()

    answers = [
        client.post(f"{world.url()}/invitations/{invitation.id}/revoke"),
        client.post(f"{world.url()}/memberships/{partner_role.id}/remove"),
        client.post(f"{world.url()}/members/{world.partner.id}/deactivate"),
    ]

    assert [answer.status_code for answer in answers] == [400] * 3
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).revoked_at is None
    assert _memberships(db, world.partner) == {Role.GP_PARTNER}
    assert db.session.get(User, world.partner.id).active


def test_revoking_an_invitation_twice_says_it_is_no_longer_usable(client, db, login, world):
    invitation = account_services.invite(
        world.admin,
        world.practice,
        email="newcomer@example.nhs.uk",
        name="Nat Newcomer",
        role=Role.PRACTICE_MANAGER,
        now=utcnow(),
    )
    db.session.commit()
    login(world.admin)
    url = f"{world.url()}/invitations/{invitation.id}/revoke"

    first = client.post(
        url, data={"csrf_token": fetch_csrf_token(client, f"{world.url()}/members")}
    )
    revoked_at = db.session.get(Invitation, invitation.id).revoked_at
    second = client.post(
        url,
        data={"csrf_token": fetch_csrf_token(client, f"{world.url()}/members")},
        follow_redirects=True,
    )

    assert first.status_code == 302
    assert revoked_at is not None
    assert second.status_code == 200
    assert "already been used, revoked or has expired" in second.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).revoked_at == revoked_at


def test_deactivating_oneself_is_refused_and_reactivating_an_active_member_changes_nothing(
    client, db, login, world
):
    db.session.commit()
    login(world.admin)
    token = fetch_csrf_token(client, f"{world.url()}/members")

    own = client.post(
        f"{world.url()}/members/{world.admin.id}/deactivate",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    again = client.post(
        f"{world.url()}/members/{world.partner.id}/reactivate",
        data={"csrf_token": token},
        follow_redirects=True,
    )

    assert "You cannot deactivate your own account" in own.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, world.admin.id).active
    assert again.status_code == 200
    assert db.session.get(User, world.partner.id).active
    reactivations = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "account.reactivated")
    ).all()
    assert reactivations == []


def test_only_an_admin_of_the_area_adds_an_organisation_and_never_a_practice(db, world):
    db.session.commit()

    with pytest.raises(NotPermitted):
        services.add_organisation(
            world.other_admin,
            world.area,
            kind=OrganisationKind.FEDERATION,
            ods_code="FED1",
            name="Hill Federation",
            postcode=None,
        )
    with pytest.raises(DomainError, match="come from the NHS England files"):
        services.add_organisation(
            world.admin,
            world.area,
            kind=OrganisationKind.PRACTICE,
            ods_code="A19999",
            name="Made-up Surgery",
            postcode=None,
        )

    codes = db.session.execute(
        sa.select(Organisation.ods_code).where(Organisation.area_id == world.area.id)
    ).scalars()
    assert set(codes) == {"LMC1", "A10001"}
