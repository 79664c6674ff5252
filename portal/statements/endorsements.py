"""Organisations signing a statement after it was published.

A statement from a secret ballot is signed only this way, since no organisation may be shown to
have voted for it; one from an open ballot may be signed later by an organisation that voted for
it but was not on the list chosen at publication. Each endorsement records which organisation,
who signed for it (the person who casts its ballot) and when, and adds it to the signatories.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portal.accounts.models import User
from portal.audit.services import record
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.organisations.models import Organisation
from portal.statements.models import (
    Statement,
    StatementEndorsement,
    StatementSignatory,
    StatementState,
)
from portal.statements.permissions import can_read_statement
from portal.statements.services import supporters
from portal.voting.models import BallotSecrecy, ElectorateMember
from portal.voting.permissions import casts_for


def _member(statement: Statement, organisation: Organisation) -> ElectorateMember | None:
    """The organisation's place in the statement's vote, if it could vote and took part."""
    if statement.vote is None:
        return None
    return next(
        (
            member
            for member in statement.vote.electorate
            if member.organisation_id == organisation.id and not member.recused
        ),
        None,
    )


def refusal(statement: Statement, organisation: Organisation) -> str | None:
    """Why ``organisation`` may not sign ``statement`` now, or None if it may."""
    if statement.state is not StatementState.PUBLISHED:
        return f"{statement.reference} is no longer in force, so it cannot be signed"
    if statement.from_election:
        return "An election's result is declared, not signed: nobody signs it"
    member = _member(statement, organisation)
    if member is None:
        return f"{organisation.name} could not vote on this statement, so it cannot sign it"
    vote = statement.vote
    if vote.secrecy is BallotSecrecy.OPEN and member not in supporters(vote):
        return f"{organisation.name} did not vote for this statement, so it cannot sign it"
    if any(s.organisation_id == organisation.id for s in statement.signatories):
        return f"{organisation.name} already signs this statement"
    return None


def signable_for(user: Any, statement: Statement) -> list[Organisation]:
    """The organisations ``user`` may sign ``statement`` for, now."""
    if not getattr(user, "is_authenticated", False) or not can_read_statement(user, statement):
        return []
    organisations = [membership.organisation for membership in user.memberships]
    return [
        organisation
        for organisation in organisations
        if casts_for(user, organisation) and refusal(statement, organisation) is None
    ]


def endorse(
    actor: User, statement: Statement, organisation: Organisation, now: datetime
) -> StatementEndorsement:
    """``organisation`` signs ``statement``, by ``actor`` who casts its ballots."""
    if not can_read_statement(actor, statement) or not casts_for(actor, organisation):
        raise NotPermitted(f"Only the person who votes for {organisation.name} can sign for it")
    db.session.refresh(statement, with_for_update=True)
    if any(s.organisation_id == organisation.id for s in statement.signatories):
        raise Conflict(f"{organisation.name} already signs this statement")
    problem = refusal(statement, organisation)
    if problem is not None:
        raise DomainError(problem)
    member = _member(statement, organisation)
    assert member is not None
    endorsement = StatementEndorsement(
        statement_id=statement.id,
        organisation_id=organisation.id,
        endorsed_by_id=actor.id,
        endorsed_at=now,
    )
    db.session.add(endorsement)
    statement.signatories.append(
        StatementSignatory(
            organisation_id=organisation.id,
            name=member.name,
            kind=member.kind,
            ods_code=member.ods_code,
        )
    )
    db.session.flush()
    record(
        "statement.endorsed",
        f"{organisation.name} signed statement {statement.reference}",
        actor=actor,
        area=statement.area,
        subject=statement,
        details={"reference": statement.reference, "organisation_id": organisation.id},
    )
    return endorsement
