"""Common and guessable passwords are refused with zxcvbn's reason, through the real forms."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from portal.accounts.models import PasswordReset, Role, User
from portal.accounts.passwords import password_problem
from tests.conftest import fetch_csrf_token
from tests.factories import make_area, make_organisation, make_user

RESET_PATH = re.compile(r"/accounts/password-reset/[A-Za-z0-9_-]+")
EMAIL = "forgetful@example.nhs.uk"


@pytest.mark.parametrize(
    "password",
    [
        "Password1234",
        "123456789012",
        "qwertyuiop12",
        "Password123!",
        "Surgery12345",
        "LetMeIn12345",
    ],
)
def test_common_and_guessable_passwords_are_refused_with_a_reason(app, password):
    with app.app_context():
        problem = password_problem(password, EMAIL, 12)
    assert problem is not None
    assert problem.startswith("Password is too easy to guess")


@pytest.mark.parametrize(
    "password",
    ["correct horse battery staple", "kettle lantern orchard quietly", "Vq7#mLp2-zR9wX"],
)
def test_long_unrelated_words_or_random_characters_are_accepted(app, password):
    with app.app_context():
        assert password_problem(password, EMAIL, 12) is None


def test_the_reset_form_refuses_password1234_and_changes_nothing(app, client, db, smtp_server):
    user = make_user(make_organisation(make_area()), Role.GP_PARTNER, email=EMAIL)
    hash_before = user.password_hash
    client.post(
        "/accounts/password-reset",
        data={"email": EMAIL, "csrf_token": fetch_csrf_token(client, "/accounts/password-reset")},
    )
    assert smtp_server.received.wait(5)
    path = RESET_PATH.search(smtp_server.messages[0].get_content()).group(0)
    for weak in ("Password1234", "123456789012"):
        response = client.post(
            path,
            data={
                "password": weak,
                "confirm_password": weak,
                "csrf_token": fetch_csrf_token(client, path),
            },
        )
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "Password is too easy to guess" in page
        assert "similar to a commonly used password" in page
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == hash_before
    assert db.session.execute(sa.select(PasswordReset.used_at)).scalar_one() is None
