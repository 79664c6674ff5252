"""The demo area: Staffordshire and Stoke-on-Trent's real practices, PCNs and list sizes
(NHS England open data), with a demo federation, LMC and ICS reader organisation and one
demo person for every role. It exists only for trying the portal: it refuses to load in
production, and every demo person shares one published password.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from portal.accounts.models import Membership, Role, User
from portal.accounts.passwords import hash_password
from portal.agreements.demo import load_demo_agreements
from portal.audit.services import record
from portal.database import utcnow
from portal.demo import data_files
from portal.elections.demo import load_demo_election
from portal.errors import DomainError
from portal.extensions import db
from portal.mandates.demo import load_demo_mandates
from portal.meetings.demo import load_demo_meetings
from portal.needs.demo import load_demo_needs
from portal.organisations.importer import import_nhs
from portal.organisations.models import Area, Organisation, OrganisationKind
from portal.positions.demo import load_demo_positions
from portal.statements.demo import load_demo_statement
from portal.trust.demo import load_demo_trust
from portal.voting.demo import load_demo_votes

DEMO_AREA_SLUG = "staffordshire-stoke"
DEMO_AREA_NAME = "Staffordshire and Stoke-on-Trent"
DEMO_PASSWORD = "demo password 2026"  # noqa: S105  (published in the README on purpose)
DEMO_EMAIL_DOMAIN = "staffs-demo.example.org"

# Fixed authenticator secrets for the demo officer and administrator, published in the README
# so that anyone trying the demo can add them to an authenticator app. Demo only.
DEMO_TOTP_SECRETS = {
    f"admin@{DEMO_EMAIL_DOMAIN}": "DEMOADMINKEYSTAFFSANDSTOKEAAAAAA",
    f"lmc.officer@{DEMO_EMAIL_DOMAIN}": "DEMOOFFICERKEYSTAFFSANDSTOKEAAAA",
}

# Organisations the NHS files do not list; names say plainly that they are demo ones.
HAND_MADE_ORGANISATIONS = [
    (OrganisationKind.LMC, "LMC-DEMO", "Staffordshire Local Medical Committee (demo)"),
    (OrganisationKind.FEDERATION, "FED-DEMO", "Staffordshire GP Federation (demo)"),
    (OrganisationKind.ICS, "QNC", "NHS Staffordshire and Stoke-on-Trent ICB (demo readers)"),
]


@dataclass(frozen=True)
class DemoPerson:
    role: Role
    organisation_code: str
    email_name: str
    name: str

    @property
    def email(self) -> str:
        return f"{self.email_name}@{DEMO_EMAIL_DOMAIN}"


# Horsefair Practice (M83001) and Hazeldene House Surgery (M83022) are both in Rugeley &
# Great Haywood PCN (U16318); Mayfield Surgery (M83004) is in South Stoke Central PCN.
DEMO_PEOPLE = [
    DemoPerson(Role.AREA_ADMIN, "LMC-DEMO", "admin", "Alex Admin"),
    DemoPerson(Role.LMC_OFFICER, "LMC-DEMO", "lmc.officer", "Lee Officer"),
    DemoPerson(Role.GP_PARTNER, "M83001", "partner.horsefair", "Dr Harriet Hughes"),
    DemoPerson(Role.GP_PARTNER, "M83001", "partner2.horsefair", "Dr Omar Shah"),
    DemoPerson(Role.PRACTICE_MANAGER, "M83001", "manager.horsefair", "Priya Manager"),
    DemoPerson(Role.GP_PARTNER, "M83022", "partner.hazeldene", "Dr Grace Hall"),
    DemoPerson(Role.PCN_CLINICAL_DIRECTOR, "U16318", "partner.hazeldene", "Dr Grace Hall"),
    DemoPerson(Role.GP_PARTNER, "M83004", "partner.mayfield", "Dr Sam Mayfield"),
    DemoPerson(Role.SALARIED_GP, "M83004", "salaried.mayfield", "Dr Sana Begum"),
    DemoPerson(Role.PCN_CLINICAL_DIRECTOR, "U85685", "cd.southstoke", "Dr Chris Director"),
    DemoPerson(Role.FEDERATION_DIRECTOR, "FED-DEMO", "federation", "Fran Federation"),
    DemoPerson(Role.ICS_READER, "QNC", "ics.reader", "Ivy Reader"),
]


def _in_leadership_group(user: User) -> bool:
    return any(membership.role is not Role.ICS_READER for membership in user.memberships)


class DemoRefused(DomainError):
    pass


def load_demo_area(*, if_empty: bool = False) -> str:
    """Create the demo area and its people; flush, never commit. Return what was done."""
    if current_app.config["ENV_NAME"] == "production":
        raise DemoRefused("the demo area and its shared password never go into production")
    existing = db.session.execute(
        sa.select(Area).where(Area.slug == DEMO_AREA_SLUG)
    ).scalar_one_or_none()
    if existing is not None:
        if if_empty:
            return f"Demo area {DEMO_AREA_NAME} is already loaded."
        raise DemoRefused(f"the demo area {DEMO_AREA_SLUG} already exists")

    report = import_nhs(
        DEMO_AREA_SLUG,
        data_files.MAPPING_FILE,
        data_files.LIST_SIZES_FILE,
        data_files.PAYMENTS_FILE,
        icb=data_files.DEMO_ICB_CODE,
        area_name=DEMO_AREA_NAME,
    )
    area = db.session.execute(sa.select(Area).where(Area.slug == DEMO_AREA_SLUG)).scalar_one()
    for kind, code, name in HAND_MADE_ORGANISATIONS:
        db.session.add(Organisation(area_id=area.id, kind=kind, ods_code=code, name=name))
    db.session.flush()
    organisations = {
        organisation.ods_code: organisation
        for organisation in db.session.execute(
            sa.select(Organisation).where(Organisation.area_id == area.id)
        ).scalars()
    }
    password_hash = hash_password(DEMO_PASSWORD)
    users: dict[str, User] = {}
    for person in DEMO_PEOPLE:
        user = users.get(person.email)
        if user is None:
            user = User(
                email=person.email,
                name=person.name,
                password_hash=password_hash,
                totp_secret=DEMO_TOTP_SECRETS.get(person.email),
                second_factor_since=utcnow() if person.email in DEMO_TOTP_SECRETS else None,
            )
            db.session.add(user)
            users[person.email] = user
        db.session.add(
            Membership(
                user=user, organisation=organisations[person.organisation_code], role=person.role
            )
        )
    db.session.flush()
    load_demo_needs(area)
    officer = users[f"lmc.officer@{DEMO_EMAIL_DOMAIN}"]
    now = utcnow()
    votes = load_demo_votes(area, officer, now)
    load_demo_positions(area, users, now)
    load_demo_statement(area, users, now)
    load_demo_election(area, users, officer, now)
    by_name = {email.split("@")[0]: user for email, user in users.items()}
    load_demo_meetings(area, by_name, organisations, now)
    load_demo_mandates(area, by_name, now)
    load_demo_agreements(area, by_name, organisations, now)
    load_demo_trust(
        area, officer, [user for user in users.values() if _in_leadership_group(user)], now
    )
    record(
        "demo.loaded",
        f"Demo area loaded with {len(users)} demo people",
        actor=None,
        area=area,
        subject=area,
    )
    return (
        f"Demo area {DEMO_AREA_NAME} loaded: {report.practices} practices, {report.pcns} PCNs, "
        f"{len(users)} demo people and {len(votes)} votes (sign-in details are in the README)."
    )
