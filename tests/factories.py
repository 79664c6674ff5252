"""Factories that build real rows through the models (and commit them), for tests."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from portal.accounts.models import Membership, Role, User
from portal.accounts.passwords import hash_password
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
) -> User:
    number = next(_sequence)
    user = User(
        email=email or f"person{number}@example.nhs.uk",
        name=name or f"Person {number}",
        password_hash=hash_password(password) if password else None,
        session_token=f"token-{number}",
    )
    db.session.add(user)
    if organisation is not None and role is not None:
        db.session.add(Membership(user=user, organisation=organisation, role=role))
    db.session.commit()
    return user


def add_membership(user: User, organisation: Organisation, role: Role) -> Membership:
    membership = Membership(user=user, organisation=organisation, role=role)
    db.session.add(membership)
    db.session.commit()
    return membership
