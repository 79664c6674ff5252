"""Who may see which page: every role against every foundation page.

Deny by default: a page a role may not see answers 404 (it is not even admitted to exist),
signed-out visitors are sent to sign in, and an action a member may see but not do is 403.
"""

from __future__ import annotations

import pytest

from portal.accounts.models import Role
from portal.organisations.models import OrganisationKind
from tests.conftest import fetch_csrf_token
from tests.factories import (
    Org,
    Person,
    lmc,
    make_organisation,
    make_world,
    pcn,
)

ROLE_HOMES = {
    Role.GP_PARTNER: OrganisationKind.PRACTICE,
    Role.PRACTICE_MANAGER: OrganisationKind.PRACTICE,
    Role.PCN_CLINICAL_DIRECTOR: OrganisationKind.PCN,
    Role.FEDERATION_DIRECTOR: OrganisationKind.FEDERATION,
    Role.LMC_OFFICER: OrganisationKind.LMC,
    Role.ICS_READER: OrganisationKind.ICS,
    Role.AREA_ADMIN: OrganisationKind.LMC,
}
MEMBER_PAGES = ["/", "/practices", "/pcns", "/organisations/M80001"]
ADMIN_PAGES = ["/admin/members", "/admin/members/invite", "/admin/organisations", "/audit/"]
VIEWERS = [*ROLE_HOMES, "other_area_admin", "anonymous"]


@pytest.fixture
def area_with_everyone(db):
    # One organisation of each kind a role lives in (a second PCN among them); the PCN the
    # practice belongs to is the one its clinical director sits in.
    homes = {kind: kind.name for kind in set(ROLE_HOMES.values())} | {OrganisationKind.PCN: "pcn"}
    world = make_world(
        [
            pcn("pcn", ods_code="U90001"),
            Org("M80001", ods_code="M80001", pcn="pcn"),
            *(Org(kind.name, kind) for kind in set(ROLE_HOMES.values())),
        ],
        [Person(role, homes[kind], role) for role, kind in ROLE_HOMES.items()],
        slug="staffs",
        name="Staffordshire Test ICB",
    )
    world.add_area("elsewhere", "elsewhere", "Elsewhere ICB")
    world.add(
        [lmc("elsewhere_lmc", area="elsewhere")],
        [Person("other_area_admin", "elsewhere_lmc", Role.AREA_ADMIN)],
    )
    return world.area, world.people


def _expected(viewer, page) -> int:
    if viewer == "anonymous":
        return 302
    if viewer == "other_area_admin":
        return 404
    if page in ADMIN_PAGES:
        return 200 if viewer is Role.AREA_ADMIN else 404
    return 200


@pytest.mark.parametrize("viewer", VIEWERS, ids=lambda v: getattr(v, "value", v))
def test_every_role_against_every_page(client, login, area_with_everyone, viewer):
    area, users = area_with_everyone
    if viewer != "anonymous":
        login(users[viewer])
    for page in MEMBER_PAGES + ADMIN_PAGES:
        response = client.get(f"/areas/{area.slug}{page}")
        assert response.status_code == _expected(viewer, page), page
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/accounts/login")


def test_unknown_area_is_404_for_everyone(client, login, area_with_everyone):
    _, users = area_with_everyone
    assert client.get("/areas/nowhere/").status_code in (302, 404)
    login(users[Role.AREA_ADMIN])
    assert client.get("/areas/nowhere/").status_code == 404
    assert client.get("/areas/nowhere/admin/members").status_code == 404


def test_admin_action_by_a_member_who_cannot_see_it_is_404_and_changes_nothing(
    client, login, area_with_everyone, db
):
    import sqlalchemy as sa

    from portal.accounts.models import Invitation

    area, users = area_with_everyone
    login(users[Role.LMC_OFFICER])
    response = client.post(
        f"/areas/{area.slug}/admin/members/invite",
        data={
            "name": "X",
            "email": "x@example.nhs.uk",
            "organisation": "1",
            "role": "gp_partner",
            "csrf_token": fetch_csrf_token(client, "/accounts/profile"),
        },
    )
    assert response.status_code == 404
    assert db.session.execute(sa.select(sa.func.count(Invitation.id))).scalar_one() == 0


def test_service_refuses_a_non_admin_with_not_permitted(area_with_everyone, db):
    from portal.accounts import services
    from portal.database import utcnow
    from portal.errors import NotPermitted

    area, users = area_with_everyone
    practice = make_organisation(area)
    with pytest.raises(NotPermitted):
        services.invite(
            users[Role.LMC_OFFICER],
            practice,
            email="a@example.nhs.uk",
            name="A",
            role=Role.GP_PARTNER,
            now=utcnow(),
        )


@pytest.mark.parametrize("page", ["/admin/members", "/audit/", "/votes/", "/needs/"])
def test_a_member_of_another_area_learns_nothing_of_this_one(
    client, login, area_with_everyone, page
):
    area, users = area_with_everyone
    login(users["other_area_admin"])
    response = client.get(f"/areas/{area.slug}{page}")
    assert response.status_code == 404
    assert area.name not in response.get_data(as_text=True)


def test_a_visitor_is_sent_to_sign_in_whether_or_not_the_area_exists(client, area_with_everyone):
    for url in ("/areas/staffs/admin/members", "/areas/nowhere/admin/members"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/accounts/login")
