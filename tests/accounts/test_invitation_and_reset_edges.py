"""The edges of invitations, password resets and stored passwords: a second invitation
replaces the first link, a new account needs a password, resets stop after three an hour, and
a password stored with older hashing parameters is stored again with today's at sign-in."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from portal.accounts import services
from portal.accounts.models import Invitation, PasswordReset, Role, User
from portal.accounts.passwords import hash_password, verify_password
from portal.database import utcnow
from portal.errors import DomainError
from portal.outbox import OutboxMessage
from tests.factories import DEFAULT_PASSWORD, Org, Person, lmc, make_user, make_world

INVITED = "new.partner@example.nhs.uk"
TOKEN = re.compile(r"/accounts/(?:invitations|password-reset)/([A-Za-z0-9_-]+)")

ADMIN_WORLD = {
    "organisations": [lmc(ods_code="LMC1"), Org("practice", name="Riverside Surgery")],
    "people": [Person("admin", "lmc", Role.AREA_ADMIN, email="admin@example.nhs.uk")],
}


def _area_with_admin():
    world = make_world(**ADMIN_WORLD)
    return world.practice, world.admin


def _invite(admin, practice) -> Invitation:
    return services.invite(
        admin, practice, email=INVITED, name="Nadia Partner", role=Role.GP_PARTNER, now=utcnow()
    )


def _tokens_sent_to(db, email: str) -> list[str]:
    db.session.flush()
    bodies = db.session.execute(
        sa.select(OutboxMessage.body)
        .where(OutboxMessage.recipient == email)
        .order_by(OutboxMessage.id)
    ).scalars()
    return [TOKEN.search(body).group(1) for body in bodies]


def test_a_second_invitation_replaces_the_first_link(db):
    practice, admin = _area_with_admin()
    first = _invite(admin, practice)
    second = _invite(admin, practice)
    first_token, second_token = _tokens_sent_to(db, INVITED)

    assert first.revoked_at is not None
    assert second.revoked_at is None
    with pytest.raises(services.InvalidLink, match="expired or has already been used"):
        services.usable_invitation(first_token, utcnow())
    assert services.usable_invitation(second_token, utcnow()) == second


def test_a_new_account_cannot_be_made_without_a_password(db):
    practice, admin = _area_with_admin()
    invitation = _invite(admin, practice)
    (token,) = _tokens_sent_to(db, INVITED)

    with pytest.raises(DomainError, match="Enter a password"):
        services.accept_invitation(token, name="Nadia Partner", password="", now=utcnow())

    assert services.find_user_by_email(INVITED) is None
    assert invitation.accepted_at is None
    assert services.usable_invitation(token, utcnow()) == invitation


def test_no_more_than_three_reset_emails_an_hour(db):
    practice, _ = _area_with_admin()
    person = make_user(practice, Role.GP_PARTNER, email="pat@example.nhs.uk")

    for _ in range(5):
        services.request_password_reset("pat@example.nhs.uk", utcnow())
    db.session.flush()

    resets = db.session.execute(
        sa.select(sa.func.count()).where(PasswordReset.user_id == person.id)
    ).scalar_one()
    assert resets == 3
    assert len(_tokens_sent_to(db, "pat@example.nhs.uk")) == 3


def test_a_password_stored_with_older_parameters_is_stored_again_at_sign_in(app, db):
    practice, _ = _area_with_admin()
    person = make_user(practice, Role.GP_PARTNER, email="pat@example.nhs.uk")
    older = person.password_hash
    app.config["ARGON2_TIME_COST"] += 1
    try:
        assert hash_password(DEFAULT_PASSWORD) != older
        signed_in = services.check_password(
            "pat@example.nhs.uk", DEFAULT_PASSWORD, services.Client("127.0.0.1"), utcnow()
        )
        db.session.flush()
        stored = db.session.get(User, person.id).password_hash
        assert signed_in == person
        assert stored != older
        assert f"t={app.config['ARGON2_TIME_COST']}" in stored
        assert verify_password(stored, DEFAULT_PASSWORD)
    finally:
        app.config["ARGON2_TIME_COST"] -= 1
