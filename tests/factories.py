"""Factories that build real rows through the models (and commit them), for tests.

``make_world`` is the one place a suite's world is built: an area with the organisations
(``Org``: practices with their list sizes and PCN, PCNs, the federation, the LMC, the ICS) and
people (``Person``: a role in one of them, more memberships, another name) the suite lists, in
the order listed, and any other areas (for the outsider who must be refused). Each suite keeps
its layout as data beside its tests (``tests/voting/helpers.py``'s ``VOTES_WORLD``) and a thin
fixture hands it over; ``tests/architecture/test_one_world.py`` keeps it so.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pyotp
import sqlalchemy as sa

from portal.accounts.models import OFFICER_ROLES, Membership, Role, User
from portal.accounts.passwords import hash_password
from portal.accounts.second_factor import TIME_STEP_SECONDS
from portal.database import utcnow
from portal.elections.models import CountingMethod, ElectorateKind
from portal.elections.setup import ElectionDetails
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


@dataclass(frozen=True)
class Org:
    """An organisation of a world, by the name the tests call it (``key``).

    ``pcn`` names a PCN of the same world the practice belongs to; ``area`` names the area it
    is in (the world's own unless another is named); ``group`` adds it to a list of the world
    (``world.practices``) in the order given.
    """

    key: str
    kind: OrganisationKind = OrganisationKind.PRACTICE
    name: str | None = None
    ods_code: str | None = None
    list_size: int | None = 8000
    weighted_list_size: Decimal | None = None
    pcn: str | None = None
    area: str | None = None
    group: str | None = None


def pcn(key: str, **fields: Any) -> Org:
    return Org(key, OrganisationKind.PCN, **fields)


def lmc(key: str = "lmc", **fields: Any) -> Org:
    return Org(key, OrganisationKind.LMC, **fields)


def federation(key: str = "federation", **fields: Any) -> Org:
    return Org(key, OrganisationKind.FEDERATION, **fields)


def ics(key: str = "ics", **fields: Any) -> Org:
    return Org(key, OrganisationKind.ICS, **fields)


@dataclass(frozen=True)
class Person:
    """A person of a world: ``key`` (a name, or a role when a suite looks people up by role),
    a membership of the organisation named ``at`` in ``role``, and any further memberships
    (``also``: organisation names and roles). ``aliases`` are further names for the same person;
    ``group`` adds them to a list of the world (``world.partners``)."""

    key: Hashable
    at: str
    role: Role
    name: str | None = None
    email: str | None = None
    also: tuple[tuple[str, Role], ...] = ()
    aliases: tuple[Hashable, ...] = ()
    group: str | None = None


@dataclass
class World:
    """The one test world: an area, the organisations and people a suite names, and any other
    areas (for the person who must be refused because they belong elsewhere).

    ``rows`` holds what a suite made in the world before its tests begin (needs already raised).
    Everything is reached by the name the suite gave it, as an attribute (``world.officer``,
    ``world.hill``, ``world.practices``) or by key (``world["officer"]``,
    ``world.people[Role.GP_PARTNER]``). ``url`` is the area's address with the suite's section.
    """

    area: Area
    section: str = ""
    areas: dict[str, Area] = field(default_factory=dict)
    organisations: dict[str, Organisation] = field(default_factory=dict)
    people: dict[Hashable, User] = field(default_factory=dict)
    groups: dict[str, list[Any]] = field(default_factory=dict)
    rows: dict[str, Any] = field(default_factory=dict)

    def url(self, rest: str = "") -> str:
        return f"/areas/{self.area.slug}/{self.section}{rest}"

    def __getattr__(self, name: str) -> Any:
        # Only names that are not fields or methods arrive here.
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: Hashable) -> Any:
        if key == "area":
            return self.area
        for table in ("areas", "organisations", "people", "groups", "rows"):
            found = self.__dict__.get(table, {})
            if key in found:
                return found[key]
        raise KeyError(key)

    def add_area(self, key: str, slug: str, name: str) -> Area:
        self.areas[key] = make_area(slug=slug, name=name)
        return self.areas[key]

    def add(self, organisations: Sequence[Org] = (), people: Sequence[Person] = ()) -> World:
        """Create ``organisations`` then ``people``, each in the order given, then the further
        memberships in the same order."""
        for org in organisations:
            made = make_organisation(
                self.areas[org.area] if org.area else self.area,
                org.kind,
                ods_code=org.ods_code,
                name=org.name,
                list_size=org.list_size,
                weighted_list_size=org.weighted_list_size,
                pcn=self.organisations[org.pcn] if org.pcn else None,
            )
            self.organisations[org.key] = made
            if org.group:
                self.groups.setdefault(org.group, []).append(made)
        for person in people:
            user = make_user(
                self.organisations[person.at], person.role, name=person.name, email=person.email
            )
            for key in (person.key, *person.aliases):
                self.people[key] = user
            if person.group:
                self.groups.setdefault(person.group, []).append(user)
        for person in people:
            for organisation_key, role in person.also:
                add_membership(self.people[person.key], self.organisations[organisation_key], role)
        return self


def make_world(
    organisations: Sequence[Org] = (),
    people: Sequence[Person] = (),
    *,
    slug: str = "test-area",
    name: str = "Test Area ICB",
    section: str = "",
    other_areas: Sequence[tuple[str, str, str]] = (),
    area_key: str | None = None,
) -> World:
    """Build a world: the area (``slug``, ``name``), then ``other_areas`` (key, slug, name),
    then ``organisations`` and ``people`` in the order given (see ``World.add``).

    ``area_key`` is a further name for the world's own area, beside ``world.area``.
    """
    world = World(area=make_area(slug=slug, name=name), section=section)
    if area_key:
        world.areas[area_key] = world.area
    for key, other_slug, other_name in other_areas:
        world.add_area(key, other_slug, other_name)
    return world.add(organisations, people)


def election_details(now: datetime | None = None, **changes: Any) -> ElectionDetails:
    """What an officer fills in to set up an election: by default one seat, counted by the
    Scottish rules, GP partners and salaried GPs voting in secret, nominations closing in an
    hour and voting from then for an hour. ``changes`` are the answers typed differently."""
    start = now or utcnow()
    answers: dict[str, Any] = {
        "title": "LMC committee 2027",
        "seats": 1,
        "method": CountingMethod.SCOTTISH,
        "electorate_kind": ElectorateKind.PEOPLE,
        "roles": [Role.GP_PARTNER, Role.SALARIED_GP],
        "kinds": [],
        "weighting": "equal",
        "band": None,
        "pcn_codes": [],
        "secret": True,
        "nominations_close_at": start + timedelta(hours=1),
        "voting_opens_at": start + timedelta(hours=1),
        "voting_closes_at": start + timedelta(hours=2),
    }
    return ElectionDetails(**(answers | changes))
