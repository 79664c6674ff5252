"""Role grants: never to oneself; a casting role is told to the organisation and the LMC
officers (by real SMTP, after commit); every grant and removal is audited with who did it."""

from __future__ import annotations

import time
from datetime import timedelta

import sqlalchemy as sa

from portal.accounts.models import Invitation, Membership, Role, User
from portal.accounts.tokens import new_token
from portal.audit.models import AuditEntry
from portal.database import utcnow
from tests.conftest import fetch_csrf_token
from tests.factories import Org, Person, lmc, make_world

SELF_GRANT = "You cannot give yourself a role"


# An area whose admin sits in the LMC, with an officer, a practice and a stranger.
ADMIN_WORLD = {
    "organisations": [
        lmc(ods_code="LMC1"),
        Org("practice", ods_code="A10001", name="Hill Surgery"),
        Org("other", ods_code="A10002", name="Dale Surgery"),
    ],
    "people": [
        Person("admin", "lmc", Role.AREA_ADMIN, email="ada.admin@example.nhs.uk"),
        Person("officer", "lmc", Role.LMC_OFFICER, email="olive.officer@example.nhs.uk"),
        Person("partner", "practice", Role.GP_PARTNER, email="pat@example.nhs.uk"),
        Person("manager", "practice", Role.PRACTICE_MANAGER, email="mo@example.nhs.uk"),
        Person("stranger", "other", Role.GP_PARTNER, email="stranger@example.nhs.uk"),
        Person("newcomer", "other", Role.PRACTICE_MANAGER, email="nina@example.nhs.uk"),
    ],
}


def _grant(client, area, user, organisation, role: str):
    url = f"/areas/{area.slug}/admin/members/{user.id}"
    return client.post(
        url,
        data={
            "organisation": str(organisation.id),
            "role": role,
            "csrf_token": fetch_csrf_token(client, url),
        },
    )


def _delivered(smtp_server, count: int, wait: float = 5) -> list:
    deadline = time.monotonic() + wait
    while len(smtp_server.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # and nothing more arrives
    return smtp_server.messages


def _memberships(db, user) -> set[tuple[int, Role]]:
    rows = db.session.execute(
        sa.select(Membership.organisation_id, Membership.role).where(Membership.user_id == user.id)
    )
    return {(organisation_id, role) for organisation_id, role in rows}


def test_an_admin_cannot_grant_themselves_a_role(client, db, login):
    setting = make_world(**ADMIN_WORLD)
    login(setting.admin)
    before = _memberships(db, setting.admin)
    response = _grant(client, setting.area, setting.admin, setting.practice, "gp_partner")
    assert response.status_code == 200
    assert SELF_GRANT in response.get_data(as_text=True)
    assert _memberships(db, setting.admin) == before
    assert (
        db.session.execute(sa.select(AuditEntry.action)).scalars().all().count("membership.added")
        == 0
    )


def test_an_admin_cannot_invite_themselves(client, db, login):
    setting = make_world(**ADMIN_WORLD)
    login(setting.admin)
    url = f"/areas/{setting.area.slug}/admin/members/invite"
    response = client.post(
        url,
        data={
            "name": "Ada Again",
            "email": "ADA.Admin@example.nhs.uk",
            "organisation": str(setting.practice.id),
            "role": "gp_partner",
            "csrf_token": fetch_csrf_token(client, url),
        },
    )
    assert response.status_code == 200
    assert SELF_GRANT in response.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count(Invitation.id))).scalar_one() == 0


def test_an_invitation_one_sent_to_oneself_cannot_be_accepted(app, client, db):
    """An admin who invited an address that is now their own still cannot take the role."""
    setting = make_world(**ADMIN_WORLD)
    token, hashed = new_token()
    db.session.add(
        Invitation(
            email=setting.admin.email,
            name="Ada",
            organisation=setting.practice,
            role=Role.GP_PARTNER,
            token_hash=hashed,
            invited_by=setting.admin,
            created_at=utcnow(),
            expires_at=utcnow() + timedelta(hours=1),
        )
    )
    db.session.commit()
    path = f"/accounts/invitations/{token}"
    response = client.post(path, data={"name": "Ada", "csrf_token": fetch_csrf_token(client, path)})
    assert response.status_code == 200
    assert SELF_GRANT in response.get_data(as_text=True)
    assert (setting.practice.id, Role.GP_PARTNER) not in _memberships(db, setting.admin)


def test_a_casting_grant_is_emailed_to_the_practice_and_the_lmc_officers(
    client, db, login, smtp_server
):
    setting = make_world(**ADMIN_WORLD)
    login(setting.admin)
    response = _grant(client, setting.area, setting.newcomer, setting.practice, "gp_partner")
    assert response.status_code == 302
    messages = _delivered(smtp_server, 3)
    recipients = sorted(message["To"] for message in messages)
    assert recipients == ["mo@example.nhs.uk", "olive.officer@example.nhs.uk", "pat@example.nhs.uk"]
    body = messages[0].get_content()
    assert messages[0]["Subject"] == f"{setting.newcomer.name} can now cast Hill Surgery's ballot"
    assert "nina@example.nhs.uk) is now GP partner of Hill Surgery" in body
    assert "granted by" in body
    assert "ada.admin@example.nhs.uk" in body
    assert "http://localhost/areas/test-area/organisations/A10001" in body

    entry = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "membership.added")
    ).scalar_one()
    assert entry.actor_id == setting.admin.id
    assert entry.actor_label == "ada.admin@example.nhs.uk"
    assert entry.details["granted_by"] == "ada.admin@example.nhs.uk"
    assert entry.details["user"] == "nina@example.nhs.uk"


def test_a_role_that_cannot_cast_is_not_broadcast(client, db, login, smtp_server):
    setting = make_world(**ADMIN_WORLD)
    login(setting.admin)
    response = _grant(client, setting.area, setting.stranger, setting.practice, "practice_manager")
    assert response.status_code == 302
    assert _delivered(smtp_server, 1, wait=1) == []


def test_a_refused_grant_tells_nobody(client, db, login, smtp_server):
    setting = make_world(**ADMIN_WORLD)
    login(setting.admin)
    response = _grant(client, setting.area, setting.partner, setting.practice, "gp_partner")
    assert response.status_code == 200
    assert "already a gp partner" in response.get_data(as_text=True)
    assert _delivered(smtp_server, 1, wait=1) == []


def test_an_accepted_invitation_to_a_casting_role_is_told_with_who_invited(
    app, client, db, login, smtp_server
):
    setting = make_world(**ADMIN_WORLD)
    login(setting.admin)
    url = f"/areas/{setting.area.slug}/admin/members/invite"
    client.post(
        url,
        data={
            "name": "Nadia New",
            "email": "nadia.new@example.nhs.uk",
            "organisation": str(setting.practice.id),
            "role": "gp_partner",
            "csrf_token": fetch_csrf_token(client, url),
        },
    )
    (invitation_email,) = _delivered(smtp_server, 1)
    path = (
        "/accounts/invitations/"
        + invitation_email.get_content().split("/accounts/invitations/")[1].split()[0]
    )
    smtp_server.messages.clear()
    invitee = client.application.test_client()
    accepted = invitee.post(
        path,
        data={
            "name": "Nadia New",
            "password": "kettle lantern orchard quietly",
            "confirm_password": "kettle lantern orchard quietly",
            "csrf_token": fetch_csrf_token(invitee, path),
        },
    )
    assert accepted.status_code == 302
    recipients = sorted(message["To"] for message in _delivered(smtp_server, 3))
    assert recipients == ["mo@example.nhs.uk", "olive.officer@example.nhs.uk", "pat@example.nhs.uk"]
    entry = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "invitation.accepted")
    ).scalar_one()
    assert entry.details["granted_by"] == "ada.admin@example.nhs.uk"
    new = db.session.execute(
        sa.select(User).where(User.email == "nadia.new@example.nhs.uk")
    ).scalar_one()
    assert entry.actor_id == new.id


def test_a_removal_is_audited_with_who_removed_it(client, db, login):
    setting = make_world(**ADMIN_WORLD)
    login(setting.admin)
    membership = db.session.execute(
        sa.select(Membership).where(Membership.user_id == setting.manager.id)
    ).scalar_one()
    url = f"/areas/{setting.area.slug}/admin/members/{setting.manager.id}"
    response = client.post(
        f"/areas/{setting.area.slug}/admin/memberships/{membership.id}/remove",
        data={"csrf_token": fetch_csrf_token(client, url)},
    )
    assert response.status_code == 302
    entry = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "membership.removed")
    ).scalar_one()
    assert entry.actor_id == setting.admin.id
    assert entry.details["removed_by"] == "ada.admin@example.nhs.uk"
    assert entry.details["user"] == "mo@example.nhs.uk"
