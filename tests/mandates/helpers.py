"""Motions that grant mandates, decided through the voting services, in the statements tests'
world (``STATEMENTS_WORLD``: every role, four practices in a PCN)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from portal.accounts.models import Membership, User
from portal.database import utcnow
from portal.extensions import db
from portal.mandates import services
from portal.mandates.models import Mandate
from portal.organisations.models import Organisation
from portal.positions.models import Tier
from portal.voting import casting, closing
from portal.voting import services as voting
from portal.voting.models import BallotSecrecy, Vote, VoteKind
from tests.factories import World
from tests.statements.helpers import RULES, casters_of

MAY_AGREE = "A model of evening and weekend hubs, one per PCN, from April."
MAY_NOT_AGREE = "Any change to core hours, or a hub paid below the national rate."
COME_BACK = "Before agreeing anything that costs a practice more than it is paid."


def membership(user: User, organisation: Organisation | None = None) -> Membership:
    """The user's membership (in ``organisation`` when given)."""
    return next(
        m for m in user.memberships if organisation is None or m.organisation_id == organisation.id
    )


def draft_motion(world: World, title: str = "Mandate for enhanced access", **changes: Any) -> Vote:
    now = utcnow()
    details = {
        "title": title,
        "question": "Should the holders be mandated to agree enhanced access?",
        "body_markdown": "",
        "kind": VoteKind.MOTION,
        "secrecy": BallotSecrecy.OPEN,
        "options": [],
        "voting_kinds": ["practice"],
        "pcn_codes": None,
        "opens_at": now - timedelta(minutes=5),
        "closes_at": now + timedelta(days=3),
        "rules": dict(RULES),
        **changes,
    }
    vote = voting.create_vote(world.officer, world.area, voting.VoteDetails(**details))
    db.session.commit()
    return vote


def mandate_terms(world: World, **changes: Any) -> services.Terms:
    values: dict[str, Any] = {
        "title": "The enhanced access model with the ICB",
        "proposal": None,
        "may_agree": MAY_AGREE,
        "may_not_agree": MAY_NOT_AGREE,
        "come_back_when": COME_BACK,
        "ends_on": services.london_day(utcnow()) + timedelta(days=90),
        "tier": Tier.ICS,
        "holders": [membership(world.officer), membership(world.pcn_director)],
        **changes,
    }
    return services.Terms(**values)


def propose_mandate(world: World, vote: Vote | None = None, **changes: Any) -> Mandate:
    mandate = services.attach(
        world.officer, vote or draft_motion(world), mandate_terms(world, **changes)
    )
    db.session.commit()
    return mandate


def decide_motion(world: World, vote: Vote, choices: dict[Organisation, str] | None = None) -> None:
    """Open ``vote``, cast ``choices`` (three of four practices for by default), close it."""
    if choices is None:
        choices = dict(zip(world.practices, ("for", "for", "against", "for"), strict=True))
    now = utcnow()
    # As an officer opening a drafted motion now, rather than when it was set to open.
    vote.opens_at = now - timedelta(minutes=5)
    voting.open_vote(world.officer, vote, now)
    for organisation, choice in choices.items():
        casting.cast_ballot(casters_of(world)[organisation.id], vote, organisation, choice, now)
    vote.opens_at = now - timedelta(days=4)
    vote.closes_at = now - timedelta(seconds=1)
    # The worker's own close: voting counts it and sends vote_closed.
    closing.close_due_votes(utcnow())
    db.session.commit()


def grant_mandate(world: World, **changes: Any) -> Mandate:
    vote = draft_motion(world, title=changes.pop("motion_title", "Mandate for enhanced access"))
    mandate = propose_mandate(world, vote, **changes)
    decide_motion(world, vote)
    db.session.refresh(mandate)
    return mandate


def cancel(actor: User, vote: Vote, reason: str) -> None:
    closing.cancel_vote(actor, vote, reason, utcnow())


def count(model: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
