"""A ballot is cast once per confirmation.

Choosing an answer (a POST) issues a one-time token for the "Check your answer" page; the
answer itself stays in the voter's signed session, so the table of tokens names neither a
person nor an answer (nothing in it can link a person to a secret ballot). Casting (a POST
carrying the token) uses the token up in the same transaction as the cast: an atomic
``UPDATE ... WHERE NOT used`` lets exactly one request through, so a reload, the back button
or a double submission of the same page casts nothing more and goes to the receipt page.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from portal.accounts.models import User
from portal.errors import DomainError
from portal.extensions import db
from portal.mail import queue_email
from portal.organisations.models import Organisation
from portal.voting import services
from portal.voting.models import Ballot, CastConfirmation, Vote

EXPIRED = "This page has expired: choose your answer again, then cast the ballot."


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(vote: Vote, organisation: Organisation, choice: str) -> str:
    """A fresh token for casting ``organisation``'s ballot once; only its hash is kept."""
    if choice not in vote.options:
        raise DomainError("Choose one of the options")
    token = secrets.token_urlsafe(32)
    db.session.add(
        CastConfirmation(vote_id=vote.id, organisation_id=organisation.id, token_hash=_hash(token))
    )
    db.session.flush()
    return token


def _find(vote: Vote, organisation: Organisation, token: str) -> CastConfirmation | None:
    if not token:
        return None
    return db.session.execute(
        sa.select(CastConfirmation).where(
            CastConfirmation.token_hash == _hash(token),
            CastConfirmation.vote_id == vote.id,
            CastConfirmation.organisation_id == organisation.id,
        )
    ).scalar_one_or_none()


def is_unused(vote: Vote, organisation: Organisation, token: str) -> bool:
    """Whether ``token`` can still cast ``organisation``'s ballot (for the check page)."""
    confirmation = _find(vote, organisation, token)
    return confirmation is not None and not confirmation.used


@dataclass(frozen=True)
class Confirmed:
    """What a confirmation did: the ballot and its new receipt code, or nothing (``code`` None)
    because this confirmation had already been used."""

    ballot: Ballot | None
    code: str | None


def confirm(
    user: User, vote: Vote, organisation: Organisation, token: str, choice: str, now: datetime
) -> Confirmed:
    """Cast ``choice`` as the token confirms, once; a used token casts nothing."""
    confirmation = _find(vote, organisation, token)
    if confirmation is None or (not confirmation.used and choice not in vote.options):
        raise DomainError(EXPIRED)
    used = db.session.execute(
        sa.update(CastConfirmation)
        .where(CastConfirmation.id == confirmation.id, CastConfirmation.used.is_(False))
        .values(used=True)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        return Confirmed(services.ballot_of(vote, organisation), None)
    ballot, code = services.cast_ballot(user, vote, organisation, choice, now)
    return Confirmed(ballot, code)


def email_receipt(user: User, code: str, check_url: str) -> None:
    """Send the voter their receipt code. It names no vote: the group's votes are not public,
    and the code alone says nothing of who cast it."""
    queue_email(
        user.email,
        "Your ballot receipt code",
        f"Your receipt code is {code}\n\n"
        f"With it you can check which answer your ballot gave and whether it was counted, "
        f"without signing in: {check_url}\n",
    )
