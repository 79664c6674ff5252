"""The email that tells the people of the organisations behind a need that it has news: its
status changed at triage, or someone commented.

Everyone active in the organisation that raised it or in one that supports it, and who may
see the need, hears of it, except whoever made the change. A need is not public (an "LMC
only" one is not even the group's), so the email carries no title or text, only a link, as
the publication policy says. Each member chooses how they get these ("Updates on needs"): at
once, in a digest, or not at all.
"""

from __future__ import annotations

import sqlalchemy as sa

from portal.accounts.models import Membership, User
from portal.email_kinds import Kind
from portal.extensions import db
from portal.mail import queue_email
from portal.needs.models import Need
from portal.needs.permissions import can_see_need
from portal.urls import external_url


def people_behind(need: Need) -> list[User]:
    """The active people of the raising and supporting organisations who may see the need."""
    organisation_ids = {need.organisation_id} | {s.organisation_id for s in need.supports}
    people = db.session.scalars(
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id.in_(organisation_ids), User.active.is_(True))
        .distinct()
        .order_by(User.email)
    )
    return [person for person in people if can_see_need(person, need)]


def tell_of_news(need: Need, actor: User, news: str) -> int:
    """Email ``news`` ("Its status has changed") with a link; return how many were told."""
    link = external_url("needs.detail", area_slug=need.area.slug, need_id=need.id)
    told = 0
    for person in people_behind(need):
        if person.id == actor.id:
            continue
        queue_email(
            person.email,
            f"News on need {need.id}",
            f"Dear {person.name},\n\n{news} on a need your organisation raised or supports "
            f"(need {need.id}). Sign in to read it:\n{link}\n",
            kind=Kind.NEEDS,
            area=need.area,
        )
        told += 1
    return told
