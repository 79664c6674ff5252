"""Invitations and password resets, delivered through a real SMTP server after commit."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from portal.accounts.models import Invitation, Membership, PasswordReset, Role, User
from portal.audit.models import AuditEntry
from portal.database import utcnow
from portal.organisations.models import OrganisationKind
from tests.conftest import fetch_csrf_token, sign_in_with_form
from tests.factories import (
    DEFAULT_PASSWORD,
    Org,
    Person,
    lmc,
    make_area,
    make_organisation,
    make_user,
    make_world,
)

LINK = re.compile(r"http://[^\s]+/accounts/(?:invitations|password-reset)/[A-Za-z0-9_-]+")
NEW_PASSWORD = "plenty of unrelated words here"


def _an_admin_and_a_practice():
    world = make_world(
        [lmc(ods_code="LMC1", name="Test LMC"), Org("practice", name="Riverside Surgery")],
        [Person("admin", "lmc", Role.AREA_ADMIN, email="admin@example.nhs.uk", name="Ada Admin")],
    )
    return world.area, world.practice, world.admin


def _invite(client, area, practice, email="new.partner@example.nhs.uk", role="gp_partner"):
    url = f"/areas/{area.slug}/admin/members/invite"
    return client.post(
        url,
        data={
            "name": "Nadia Partner",
            "email": email,
            "organisation": str(practice.id),
            "role": role,
            "csrf_token": fetch_csrf_token(client, url),
        },
    )


def _link_from(message) -> str:
    match = LINK.search(message.get_content())
    assert match, message.get_content()
    return match.group(0).split("127.0.0.1", 1)[-1].split("localhost", 1)[-1]


def test_invitation_email_goes_through_smtp_and_the_link_works_once(
    client, db, login, smtp_server, app
):
    area, practice, admin = _an_admin_and_a_practice()
    login(admin)
    response = _invite(client, area, practice)
    assert response.status_code == 302
    assert smtp_server.received.wait(5)
    (message,) = smtp_server.messages
    assert message["To"] == "new.partner@example.nhs.uk"
    assert "GP partner of Riverside Surgery" in message.get_content()
    path = _link_from(message)
    invitation = db.session.execute(sa.select(Invitation)).scalar_one()
    assert path.rsplit("/", 1)[-1] not in invitation.token_hash

    invitee = app.test_client()
    page = invitee.get(path)
    assert page.status_code == 200
    assert "Riverside Surgery" in page.get_data(as_text=True)
    accepted = invitee.post(
        path,
        data={
            "name": "Nadia Partner",
            "password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
            "csrf_token": fetch_csrf_token(invitee, path),
        },
    )
    assert accepted.status_code == 302
    assert invitee.get(f"/areas/{area.slug}/").status_code == 200
    user = db.session.execute(
        sa.select(User).where(User.email == "new.partner@example.nhs.uk")
    ).scalar_one()
    assert [(m.role, m.organisation_id) for m in user.memberships] == [
        (Role.GP_PARTNER, practice.id)
    ]

    again = app.test_client().get(path)
    assert again.status_code == 404
    assert "already been used" in again.get_data(as_text=True)
    actions = set(db.session.execute(sa.select(AuditEntry.action)).scalars())
    assert {"invitation.sent", "invitation.accepted"} <= actions


def test_expired_invitation_is_refused(client, db, login, smtp_server, app):
    area, practice, admin = _an_admin_and_a_practice()
    login(admin)
    _invite(client, area, practice)
    assert smtp_server.received.wait(5)
    path = _link_from(smtp_server.messages[0])
    invitation = db.session.execute(sa.select(Invitation)).scalar_one()
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = app.test_client().get(path)
    assert response.status_code == 404
    assert "expired" in response.get_data(as_text=True)


def test_weak_or_mismatched_password_creates_nothing(client, db, login, smtp_server, app):
    area, practice, admin = _an_admin_and_a_practice()
    login(admin)
    _invite(client, area, practice)
    assert smtp_server.received.wait(5)
    path = _link_from(smtp_server.messages[0])
    invitee = app.test_client()
    for password, confirm, message in (
        ("short", "short", "12 characters or more"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "do not match"),
    ):
        response = invitee.post(
            path,
            data={
                "name": "Nadia",
                "password": password,
                "confirm_password": confirm,
                "csrf_token": fetch_csrf_token(invitee, path),
            },
        )
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
    count = db.session.execute(sa.select(sa.func.count(User.id))).scalar_one()
    assert count == 1


def test_role_must_fit_the_organisation(client, db, login, smtp_server):
    area, practice, admin = _an_admin_and_a_practice()
    login(admin)
    response = _invite(client, area, practice, role="pcn_clinical_director")
    assert response.status_code == 200
    assert "must belong to a primary care network" in response.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count(Invitation.id))).scalar_one() == 0
    assert smtp_server.messages == []


def test_invitation_to_an_organisation_of_another_area_is_refused(client, db, login, smtp_server):
    area, _, admin = _an_admin_and_a_practice()
    other_area = make_area(slug="other", name="Other ICB")
    foreign_practice = make_organisation(other_area)
    login(admin)
    response = _invite(client, area, foreign_practice)
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count(Invitation.id))).scalar_one() == 0


def test_existing_user_accepts_a_second_role_without_changing_password(
    client, db, login, smtp_server, app
):
    area, practice, admin = _an_admin_and_a_practice()
    pcn = make_organisation(area, OrganisationKind.PCN, name="North PCN")
    partner = make_user(practice, Role.GP_PARTNER, email="dual@example.nhs.uk")
    login(admin)
    _invite(client, area, pcn, email="dual@example.nhs.uk", role="pcn_clinical_director")
    assert smtp_server.received.wait(5)
    path = _link_from(smtp_server.messages[0])
    other = app.test_client()
    response = other.post(path, data={"csrf_token": fetch_csrf_token(other, path)})
    assert response.status_code == 302
    roles = db.session.execute(
        sa.select(Membership.role).where(Membership.user_id == partner.id)
    ).scalars()
    assert set(roles) == {Role.GP_PARTNER, Role.PCN_CLINICAL_DIRECTOR}
    signed_in = app.test_client()
    signed_in.post(
        "/accounts/login",
        data={
            "email": "dual@example.nhs.uk",
            "password": DEFAULT_PASSWORD,
            "csrf_token": fetch_csrf_token(signed_in),
        },
    )
    assert signed_in.get("/accounts/profile").status_code == 200


def test_password_reset_by_email(client, db, smtp_server, app):
    area = make_area()
    user = make_user(make_organisation(area), Role.GP_PARTNER, email="forgetful@example.nhs.uk")
    # A session left open somewhere (a shared computer, say) ends with the reset.
    elsewhere = app.test_client()
    sign_in_with_form(elsewhere, user.email)
    assert elsewhere.get("/accounts/profile").status_code == 200
    response = client.post(
        "/accounts/password-reset",
        data={
            "email": "forgetful@example.nhs.uk",
            "csrf_token": fetch_csrf_token(client, "/accounts/password-reset"),
        },
    )
    assert response.status_code == 200
    assert smtp_server.received.wait(5)
    path = _link_from(smtp_server.messages[0])
    reset = client.post(
        path,
        data={
            "password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
            "csrf_token": fetch_csrf_token(client, path),
        },
    )
    assert reset.status_code == 302
    assert client.get(path).status_code == 404
    assert elsewhere.get("/accounts/profile").status_code == 302
    fresh = app.test_client()
    ok = fresh.post(
        "/accounts/login",
        data={"email": user.email, "password": NEW_PASSWORD, "csrf_token": fetch_csrf_token(fresh)},
    )
    assert ok.status_code == 302
    assert db.session.execute(sa.select(PasswordReset.used_at)).scalar_one() is not None


def test_reset_for_unknown_email_says_the_same_and_sends_nothing(client, db, smtp_server):
    response = client.post(
        "/accounts/password-reset",
        data={
            "email": "nobody@example.nhs.uk",
            "csrf_token": fetch_csrf_token(client, "/accounts/password-reset"),
        },
    )
    assert response.status_code == 200
    assert "If nobody@example.nhs.uk has an account" in response.get_data(as_text=True)
    assert smtp_server.messages == []


def test_email_is_not_sent_when_the_request_fails(client, db, login, smtp_server, app):
    """A message queued by a request that then fails must never leave: mail follows commit."""
    area, practice, admin = _an_admin_and_a_practice()
    login(admin)
    make_user(practice, Role.GP_PARTNER, email="taken@example.nhs.uk")
    response = _invite(client, area, practice, email="taken@example.nhs.uk")
    assert response.status_code == 200
    assert "already a gp partner" in response.get_data(as_text=True)
    assert smtp_server.messages == []


def test_without_smtp_host_mail_lands_in_the_outbox(client, db, login, app):
    from pathlib import Path

    outbox = Path(app.config["OUTBOX_DIR"])
    before = set(outbox.glob("*.eml"))
    area, practice, admin = _an_admin_and_a_practice()
    login(admin)
    _invite(client, area, practice)
    new_files = set(outbox.glob("*.eml")) - before
    assert len(new_files) == 1
    assert "new.partner@example.nhs.uk" in next(iter(new_files)).read_text()
