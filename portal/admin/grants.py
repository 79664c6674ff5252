"""Who is told when someone gains the right to cast an organisation's ballot.

A grant of a casting role (a practice's GP partner, a PCN's clinical director, ...) is
emailed to the organisation's existing members and to the area's LMC officers, so that an
administrator cannot quietly make someone (or a friend) able to cast a practice's vote. The
email is queued in the grant's transaction and leaves only once it commits.
"""

from __future__ import annotations

from typing import Any

from portal.accounts.models import Membership, Role, User
from portal.accounts.services import area_memberships
from portal.accounts.signals import role_granted
from portal.email_kinds import Kind
from portal.mail import queue_email
from portal.names import display_name
from portal.urls import external_url
from portal.voting.permissions import CASTING_ROLE


def can_cast_through(membership: Membership) -> bool:
    return CASTING_ROLE.get(membership.organisation.kind) is membership.role


def people_to_tell(membership: Membership) -> list[User]:
    """The organisation's other active members and the area's active LMC officers."""
    organisation = membership.organisation
    people: dict[int, User] = {}
    for other in area_memberships(organisation.area):
        if other.user_id == membership.user_id or not other.user.active:
            continue
        if other.organisation_id == organisation.id or other.role is Role.LMC_OFFICER:
            people[other.user_id] = other.user
    return sorted(people.values(), key=lambda user: user.email)


def tell_of_casting_grant(membership: Membership, *, granted_by: User | None, **_: Any) -> None:
    if not can_cast_through(membership):
        return
    organisation, grantee = membership.organisation, membership.user
    by = f"{granted_by.name} ({granted_by.email})" if granted_by is not None else "the portal"
    page = external_url(
        "organisations.organisation",
        area_slug=organisation.area.slug,
        ods_code=organisation.ods_code,
    )
    for person in people_to_tell(membership):
        queue_email(
            person.email,
            f"{grantee.name} can now cast {display_name(organisation.name)}'s ballot",
            f"Dear {person.name},\n\n"
            f"{grantee.name} ({grantee.email}) is now {membership.role.label} of "
            f"{display_name(organisation.name)}, granted by {by}. From now on they can cast "
            f"{display_name(organisation.name)}'s ballot in the group's votes.\n\n"
            "If this is not expected, tell your LMC at once: the grant is in the area's "
            "audit log.\n\n"
            f"{page}\n",
            kind=Kind.SECURITY,
            area=organisation.area,
        )


def init_app() -> None:
    role_granted.connect(tell_of_casting_grant)
