"""The rules a new password meets before zxcvbn is asked: long enough but not absurdly long,
more than a few distinct characters, and not the person's own email name."""

from __future__ import annotations

import pytest

from portal.accounts.passwords import password_problem

EMAIL = "hana.hill@example.nhs.uk"


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short words", "Password must be 12 characters or more"),
        ("kettle lantern " * 20, "Password must be 256 characters or fewer"),
        ("abcabcabcabcabc", "Password must not repeat the same few characters"),
        ("my name is Hana.Hill and more", "Password must not contain your email address"),
    ],
)
def test_a_new_password_is_refused_with_the_rule_it_breaks(app, password, problem):
    with app.app_context():
        assert password_problem(password, EMAIL, 12) == problem


def test_the_email_rule_applies_only_when_there_is_an_email(app):
    with app.app_context():
        assert password_problem("hana.hill kettle lantern orchard", "", 12) is None
