"""Who may see and do what in the two needs channels. Deny by default.

``visible_needs_query`` is the one place that decides which needs a person may see: every
page, list, search, dashboard count and export starts from it, and ``can_see_need`` asks it
about a single need, so no view can disagree with another.

- Practice channel: members (GP partners, practice managers) of the area's practices and LMC
  officers. A need marked "LMC only" is seen only by its own practice's members and LMC
  officers.
- PCN channel: clinical directors of the area's PCNs, members a PCN has authorised to speak for
  it, federation directors and LMC officers.
- ICS readers and area administrators see neither channel unless they also hold one of the
  roles above.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from portal.accounts.models import Membership, Role, User
from portal.extensions import db
from portal.needs.models import Need, NeedChannel, PcnNeedAuthorisation
from portal.organisations.models import Area, Organisation, OrganisationKind, PcnMembership
from portal.organisations.permissions import is_lmc_officer, roles_in_area

Viewer: TypeAlias = User | AnonymousUserMixin | None

PRACTICE_MEMBER_ROLES = frozenset({Role.GP_PARTNER, Role.PRACTICE_MANAGER})
PCN_CHANNEL_READER_ROLES = frozenset(
    {Role.PCN_CLINICAL_DIRECTOR, Role.FEDERATION_DIRECTOR, Role.LMC_OFFICER}
)


def _signed_in(user: Viewer) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False))


def _memberships(user: Viewer, area: Area, roles: frozenset[Role]) -> list[Membership]:
    if not _signed_in(user):
        return []
    return [
        membership
        for membership in user.memberships  # type: ignore[union-attr]
        if membership.role in roles and membership.organisation.area_id == area.id
    ]


def practice_ids(user: Viewer, area: Area) -> frozenset[int]:
    """The area's practices ``user`` belongs to as a GP partner or practice manager."""
    return frozenset(m.organisation_id for m in _memberships(user, area, PRACTICE_MEMBER_ROLES))


def led_pcn_ids(user: Viewer, area: Area) -> frozenset[int]:
    """The area's PCNs ``user`` is a clinical director of."""
    memberships = _memberships(user, area, frozenset({Role.PCN_CLINICAL_DIRECTOR}))
    return frozenset(membership.organisation_id for membership in memberships)


def authorised_pcn_ids(user: Viewer, area: Area) -> frozenset[int]:
    """PCNs that have authorised ``user`` to speak for them, while the authorisation is live
    and ``user`` still belongs to a practice currently in that PCN."""
    own_practices = practice_ids(user, area)
    if not own_practices:
        return frozenset()
    query = (
        sa.select(PcnNeedAuthorisation.pcn_id)
        .join(PcnMembership, PcnMembership.pcn_id == PcnNeedAuthorisation.pcn_id)
        .join(Organisation, Organisation.id == PcnNeedAuthorisation.pcn_id)
        .where(
            PcnNeedAuthorisation.user_id == getattr(user, "id", None),
            PcnNeedAuthorisation.revoked_at.is_(None),
            PcnMembership.valid_to.is_(None),
            PcnMembership.practice_id.in_(own_practices),
            Organisation.area_id == area.id,
        )
    )
    return frozenset(db.session.scalars(query))


def can_see_channel(user: Viewer, area: Area, channel: NeedChannel) -> bool:
    roles = roles_in_area(user, area)
    if Role.LMC_OFFICER in roles:
        return True
    if channel is NeedChannel.PRACTICE:
        return bool(roles & PRACTICE_MEMBER_ROLES)
    return bool(roles & PCN_CHANNEL_READER_ROLES) or bool(authorised_pcn_ids(user, area))


def visible_channels(user: Viewer, area: Area) -> list[NeedChannel]:
    return [channel for channel in NeedChannel if can_see_channel(user, area, channel)]


def can_see_needs(user: Viewer, area: Area) -> bool:
    """Whether the header links to the needs: ``user`` sees at least one channel."""
    return bool(visible_channels(user, area))


def visible_needs_query(user: Viewer, area: Area, channel: NeedChannel) -> sa.Select[Any]:
    """Every need of ``channel`` in ``area`` that ``user`` may see, merged ones included."""
    query = sa.select(Need).where(Need.area_id == area.id, Need.channel == channel)
    if not can_see_channel(user, area, channel):
        return query.where(sa.false())
    if channel is NeedChannel.PRACTICE and not is_lmc_officer(user, area):
        query = query.where(
            sa.or_(Need.lmc_only.is_(False), Need.organisation_id.in_(practice_ids(user, area)))
        )
    return query


def can_see_need(user: Viewer, need: Need) -> bool:
    query = visible_needs_query(user, need.area, need.channel).where(Need.id == need.id)
    return db.session.scalar(sa.select(query.exists())) is True


def organisations_user_may_speak_for(
    user: Viewer, area: Area, channel: NeedChannel
) -> list[Organisation]:
    """The open organisations ``user`` may raise, support and comment for in ``channel``:
    their own practices in the practice channel; in the PCN channel the PCNs they lead and
    those that have authorised them."""
    if channel is NeedChannel.PRACTICE:
        ids = practice_ids(user, area)
    else:
        ids = led_pcn_ids(user, area) | authorised_pcn_ids(user, area)
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .where(
                Organisation.id.in_(ids),
                Organisation.kind == channel.organisation_kind,
                Organisation.closed_on.is_(None),
            )
            .order_by(sa.func.lower(Organisation.name), Organisation.id)
        )
    )


def may_speak_for(user: Viewer, organisation: Organisation, channel: NeedChannel) -> bool:
    return any(
        candidate.id == organisation.id
        for candidate in organisations_user_may_speak_for(user, organisation.area, channel)
    )


def can_raise_in_channel(user: Viewer, area: Area, channel: NeedChannel) -> bool:
    return bool(organisations_user_may_speak_for(user, area, channel))


def lmc_organisations(user: Viewer, area: Area) -> list[Organisation]:
    """The LMCs ``user`` is an officer of in ``area``: LMC officers comment for their LMC."""
    memberships = _memberships(user, area, frozenset({Role.LMC_OFFICER}))
    return [
        membership.organisation
        for membership in memberships
        if membership.organisation.kind is OrganisationKind.LMC
    ]


def support_organisations(user: Viewer, need: Need) -> list[Organisation]:
    """Organisations ``user`` may add support for: others of the same channel, not the one
    that raised the need. An "LMC only" need takes no support: no other practice sees it."""
    if need.lmc_only or not can_see_need(user, need):
        return []
    return [
        organisation
        for organisation in organisations_user_may_speak_for(user, need.area, need.channel)
        if organisation.id != need.organisation_id
    ]


def can_support(user: Viewer, need: Need, organisation: Organisation) -> bool:
    return any(candidate.id == organisation.id for candidate in support_organisations(user, need))


def comment_organisations(user: Viewer, need: Need) -> list[Organisation]:
    """Organisations ``user`` may comment for: those they speak for in the need's channel, and
    their LMC. On an "LMC only" need, only the raising practice and the LMC may comment."""
    if not can_see_need(user, need):
        return []
    speaking = organisations_user_may_speak_for(user, need.area, need.channel)
    if need.lmc_only:
        speaking = [org for org in speaking if org.id == need.organisation_id]
    return speaking + lmc_organisations(user, need.area)


def can_comment(user: Viewer, need: Need, organisation: Organisation) -> bool:
    return any(candidate.id == organisation.id for candidate in comment_organisations(user, need))


def can_triage(user: Viewer, need: Need) -> bool:
    """Changing status and merging duplicates belong to the area's LMC officers."""
    return is_lmc_officer(user, need.area) and can_see_need(user, need)


def can_see_overview(user: Viewer, area: Area) -> bool:
    """The two channels side by side are for the LMC, which negotiates for both."""
    return is_lmc_officer(user, area)


def can_manage_pcn_authorisations(user: Viewer, pcn: Organisation) -> bool:
    return (
        pcn.kind is OrganisationKind.PCN
        and pcn.closed_on is None
        and pcn.id in led_pcn_ids(user, pcn.area)
    )
