"""Declared interests and conflicts of interest in a vote, and the officer's ruling on them.

A recusal takes the organisation, and any ballot it has cast, out of the vote.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.audit.services import record
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.names import display_name
from portal.organisations.models import Organisation
from portal.voting.casting import ballot_of
from portal.voting.guards import lock_vote, member_for, refuse_once_over
from portal.voting.models import (
    ConflictDeclaration,
    ConflictRuling,
    Interest,
    InterestCategory,
    Vote,
)
from portal.voting.permissions import CASTING_ROLE, can_manage_votes, casts_for


def declare_interest(
    user: User, organisation: Organisation, category: InterestCategory, description: str
) -> Interest:
    if not any(m.organisation_id == organisation.id for m in user.memberships):
        raise NotPermitted(f"You are not a member of {display_name(organisation.name)}")
    if not description.strip():
        raise DomainError("Describe the interest")
    interest = Interest(
        organisation_id=organisation.id,
        category=category,
        description=description.strip(),
        declared_by_id=user.id,
    )
    db.session.add(interest)
    db.session.flush()
    record(
        "interest.declared",
        f"{organisation.name} declared a {category.label.lower()} interest",
        actor=user,
        area=organisation.area,
        subject=interest,
    )
    return interest


def declarations(vote: Vote) -> list[ConflictDeclaration]:
    return list(
        db.session.execute(
            sa.select(ConflictDeclaration)
            .where(ConflictDeclaration.vote_id == vote.id)
            .order_by(ConflictDeclaration.id)
        ).scalars()
    )


def declare_conflict(
    user: User,
    vote: Vote,
    organisation: Organisation,
    category: InterestCategory,
    description: str,
    now: datetime,
) -> ConflictDeclaration:
    refuse_once_over(vote, now, "conflicts can no longer be declared")
    if CASTING_ROLE.get(organisation.kind) is None or not casts_for(user, organisation):
        raise NotPermitted(f"You cannot declare a conflict for {display_name(organisation.name)}")
    if not description.strip():
        raise DomainError("Describe the conflict")
    declaration = ConflictDeclaration(
        vote_id=vote.id,
        organisation_id=organisation.id,
        category=category,
        description=description.strip(),
        declared_by_id=user.id,
        declared_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(declaration)
    except IntegrityError as error:
        raise Conflict(
            f"{display_name(organisation.name)} has already declared a conflict in this vote"
        ) from error
    record(
        "conflict.declared",
        f"{organisation.name} declared a conflict of interest",
        actor=user,
        area=vote.area,
        subject=vote,
        details={"organisation": organisation.ods_code, "category": category.value},
    )
    return declaration


def rule_on_conflict(
    actor: User, declaration: ConflictDeclaration, ruling: ConflictRuling, now: datetime
) -> None:
    """Record the officer's ruling. Recusal takes the organisation (and any ballot it cast)
    out of the vote: weights and quorum are then computed without it."""
    vote = declaration.vote
    if not can_manage_votes(actor, vote.area):
        raise NotPermitted("Only LMC officers and area administrators rule on conflicts")
    # Casts hold a share lock on the vote: a recusal waits for them, so it also removes a
    # ballot cast a moment before, and no cast can slip in after it.
    lock_vote(vote, shared=False)
    refuse_once_over(vote, now, "rulings can no longer change")
    if ruling is ConflictRuling.PENDING:
        raise DomainError("Choose a ruling")
    declaration.ruling = ruling
    declaration.ruled_by_id = actor.id
    declaration.ruled_at = now
    member = member_for(vote, declaration.organisation)
    if member is not None and ruling is ConflictRuling.RECUSED and not member.recused:
        still_eligible = [m for m in vote.electorate if not m.recused and m is not member]
        if not still_eligible:
            raise Conflict("Every other member is recused: recusing this one would leave no vote")
    if member is not None:
        member.recused = ruling is ConflictRuling.RECUSED
        if member.recused:
            ballot = ballot_of(vote, declaration.organisation)
            if ballot is not None:
                db.session.delete(ballot)
    record(
        "conflict.ruled",
        f"Ruling on {declaration.organisation.name}'s conflict: {ruling.value}",
        actor=actor,
        area=vote.area,
        subject=vote,
        details={"organisation": declaration.organisation.ods_code, "ruling": ruling.value},
    )
    db.session.flush()
