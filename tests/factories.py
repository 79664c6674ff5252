"""Factories that build real rows through the models (and commit them), for tests."""

from __future__ import annotations

import itertools
import time
from datetime import date
from decimal import Decimal

import pyotp
import sqlalchemy as sa

from portal.accounts.models import OFFICER_ROLES, Membership, Role, User
from portal.accounts.passwords import hash_password
from portal.accounts.second_factor import TIME_STEP_SECONDS
from portal.database import utcnow
from portal.extensions import db
from portal.organisations.models import Area, Organisation, OrganisationKind, PcnMembership

DEFAULT_PASSWORD = "correct horse battery staple"
_sequence = itertools.count(1)


def make_area(slug: str = "test-area", name: str = "Test Area ICB") -> Area:
    area = Area(slug=slug, name=name, icb_code="QXX")
    db.session.add(area)
    db.session.commit()
    return area


def make_organisation(
    area: Area,
    kind: OrganisationKind = OrganisationKind.PRACTICE,
    *,
    ods_code: str | None = None,
    name: str | None = None,
    list_size: int | None = 8000,
    weighted_list_size: Decimal | None = None,
    pcn: Organisation | None = None,
) -> Organisation:
    number = next(_sequence)
    prefix = {OrganisationKind.PRACTICE: "M8", OrganisationKind.PCN: "U9"}.get(kind, "X")
    organisation = Organisation(
        area=area,
        kind=kind,
        ods_code=ods_code or f"{prefix}{number:04d}",
        name=name or f"{kind.label} {number}",
        postcode="ST1 1AA",
        list_size=list_size if kind is OrganisationKind.PRACTICE else None,
        list_size_date=date(2025, 4, 1) if kind is OrganisationKind.PRACTICE else None,
        weighted_list_size=weighted_list_size,
    )
    db.session.add(organisation)
    if pcn is not None:
        db.session.add(PcnMembership(practice=organisation, pcn=pcn, valid_from=date(2025, 4, 1)))
    db.session.commit()
    return organisation


def make_user(
    organisation: Organisation | None = None,
    role: Role | None = None,
    *,
    email: str | None = None,
    name: str | None = None,
    password: str | None = DEFAULT_PASSWORD,
    second_factor: bool = True,
) -> User:
    """A person, with a membership when ``organisation`` and ``role`` are given. An officer or
    administrator gets an authenticator secret of their own (``second_factor=False`` makes
    one who has yet to set it up); ``fresh_totp_code`` gives a code from it."""
    number = next(_sequence)
    user = User(
        email=email or f"person{number}@example.nhs.uk",
        name=name or f"Person {number}",
        password_hash=hash_password(password) if password else None,
    )
    if role in OFFICER_ROLES and second_factor:
        _give_second_factor(user)
    db.session.add(user)
    if organisation is not None and role is not None:
        db.session.add(Membership(user=user, organisation=organisation, role=role))
    db.session.commit()
    return user


def add_membership(user: User, organisation: Organisation, role: Role) -> Membership:
    if role in OFFICER_ROLES and user.totp_secret is None:
        _give_second_factor(user)
    membership = Membership(user=user, organisation=organisation, role=role)
    db.session.add(membership)
    db.session.commit()
    return membership


def _give_second_factor(user: User) -> None:
    user.totp_secret = pyotp.random_base32()
    user.second_factor_since = utcnow()


def fresh_totp_code(email: str) -> str:
    """A code the portal will accept now for this person: from a time step after the last one
    they used.

    When the steps near now are used up (a test signing one officer in a third time within
    30 seconds), the record of the last step is moved back rather than waiting for the next
    step: reuse itself is tested in tests/accounts/test_second_factor.py.
    """
    db.session.commit()  # a fresh read: the app may have used a code since
    user = db.session.execute(sa.select(User).where(User.email == email)).scalar_one()
    assert user.totp_secret, f"{email} has no second factor"
    now = time.time()
    current = int(now) // TIME_STEP_SECONDS
    if user.totp_last_step is not None and user.totp_last_step >= current + 1:
        user.totp_last_step = current - 1
        db.session.commit()
    step = current if user.totp_last_step is None or user.totp_last_step < current else current + 1
    return pyotp.TOTP(user.totp_secret).at(step * TIME_STEP_SECONDS)
