"""Casting a ballot: the cast itself, its receipt code and the check of a receipt, and the
confirmation that lets a ballot be cast once.

A cast share-locks the vote's row, so no ballot can commit after the count. Choosing an answer
(a POST) issues a one-time token for the "Check your answer" page; the answer itself stays in
the voter's signed session, so the table of tokens names neither a person nor an answer
(nothing in it can link a person to a secret ballot). Casting (a POST carrying the token) uses
the token up in the same transaction as the cast: an atomic ``UPDATE ... WHERE NOT used`` lets
exactly one request through, so a reload, the back button or a double submission of the same
page casts nothing more and goes to the receipt page.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.audit.services import record
from portal.database import insert_at_once
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.mail import queue_email
from portal.names import display_name
from portal.organisations.models import Organisation
from portal.voting.guards import check_accepting, lock_vote_to_cast
from portal.voting.models import (
    Ballot,
    BallotOrigin,
    BallotSecrecy,
    CastConfirmation,
    Receipt,
    ReceiptStanding,
    Vote,
    VoteState,
    new_receipt_id,
)
from portal.voting.permissions import casts_for
from portal.voting.proxies import proxy_held_by


def ballot_of(vote: Vote, organisation: Organisation, *, for_update: bool = False) -> Ballot | None:
    """The organisation's ballot in ``vote``; with ``for_update``, row-locked and read afresh,
    so two partners changing it at once each build on the other's version."""
    query = sa.select(Ballot).where(
        Ballot.vote_id == vote.id, Ballot.organisation_id == organisation.id
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.execute(query).scalar_one_or_none()


RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols: 5 bits each


RECEIPT_LENGTH = 28  # 140 bits: guessing a code is hopeless even at millions of tries a second


def new_receipt_code() -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def receipt_hash(code: str) -> str:
    """Hash of the code's letters and digits, so it matches however it was typed."""
    normalised = "".join(character for character in code.upper() if character.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()


def cast_ballot(
    user: User, vote: Vote, organisation: Organisation, choice: str, now: datetime
) -> tuple[Ballot, str]:
    """Cast (or replace) ``organisation``'s ballot; return it and the voter's receipt code.

    The vote's row is share-locked first, so a ballot can never commit after the count: the
    close waits for casts in progress, and a cast that waited for a close sees it closed.
    """
    lock = lock_vote_to_cast(vote, organisation)
    check_accepting(vote, now)
    if not lock.in_electorate:
        raise NotPermitted(
            f"{display_name(organisation.name)} is not in the electorate of this vote"
        )
    if lock.recused:
        raise NotPermitted(f"{organisation.name} has been recused from this vote")
    proxy = None
    if not casts_for(user, organisation):
        proxy = proxy_held_by(user, vote, organisation)
        if proxy is None:
            raise NotPermitted(f"You cannot cast {organisation.name}'s ballot")
        if proxy.instruction and choice != proxy.instruction:
            raise DomainError(
                f"{organisation.name} instructed its proxy to vote {proxy.instruction}"
            )
    if choice not in vote.options:
        raise DomainError("Choose one of the options")
    # A first ballot (the common case) reads nothing more: another cast of it at the same
    # moment meets the unique constraint below.
    existing = ballot_of(vote, organisation, for_update=True) if lock.has_ballot else None
    if existing is not None and proxy is not None and existing.proxy_id is None:
        raise Conflict(f"{organisation.name} has cast its own ballot, which overrides the proxy")
    if existing is None:
        ballot = Ballot(
            vote_id=vote.id,
            organisation_id=organisation.id,
            choice=choice,
            cast_by_id=user.id,
            proxy_id=proxy.id if proxy else None,
            cast_at=now,
            version=1,
            origin=BallotOrigin.PROXY if proxy else BallotOrigin.ONLINE,
        )
        # No savepoint: a clash rolls the whole cast back anyway (the caller undoes the
        # transaction on a Conflict), and two round trips fewer on every first ballot. The
        # name is read first: after a failed insert the session reads nothing until then.
        name = organisation.name
        try:
            insert_at_once(db.session, ballot)
            db.session.flush()
        except IntegrityError as error:
            raise Conflict(
                f"Someone else cast {name}'s ballot at the same moment. "
                "Check the ballot below and change it if you need to: the last one cast counts."
            ) from error
        action, summary = "ballot.cast", f"Ballot cast for {organisation.name}"
    else:
        ballot = existing
        ballot.choice = choice
        ballot.cast_by_id = user.id
        ballot.proxy_id = proxy.id if proxy else None
        ballot.cast_at = now
        ballot.origin = BallotOrigin.PROXY if proxy else BallotOrigin.ONLINE
        ballot.version += 1
        action, summary = "ballot.changed", f"Ballot changed for {organisation.name}"
    db.session.flush()
    code = new_receipt_code()
    secret = vote.secrecy is BallotSecrecy.SECRET
    insert_at_once(
        db.session,
        Receipt(
            id=new_receipt_id(),
            vote_id=vote.id,
            code_hash=receipt_hash(code),
            ballot_id=ballot.id,
            ballot_version=ballot.version,
            # A secret ballot's receipt proves inclusion, never content.
            choice=None if secret else choice,
            issued_at=now,
            standing=None,
        ),
    )
    # The audit log cannot be cleared at close, so in a secret ballot it never names the
    # person who cast, nor which version of the organisation's ballot this was.
    record(
        action,
        summary + (f" by its proxy {proxy.holder.name}" if proxy else ""),
        actor=None if secret else user,
        area=vote.area,
        subject=vote,
        details={"organisation": organisation.ods_code}
        | ({} if secret else {"version": ballot.version}),
    )
    db.session.flush()
    return ballot, code


@dataclass(frozen=True)
class ReceiptCheck:
    """What a receipt shows. ``choice`` is None for a secret ballot: it proves inclusion only."""

    vote: Vote
    choice: str | None
    counted: bool
    superseded: bool
    cancelled: bool
    #: Voting has closed and the worker has not counted the ballots yet.
    being_counted: bool = False


def check_receipt(code: str, now: datetime) -> ReceiptCheck | None:
    receipt = db.session.execute(
        sa.select(Receipt).where(Receipt.code_hash == receipt_hash(code))
    ).scalar_one_or_none()
    if receipt is None:
        return None
    vote = receipt.vote
    if receipt.standing is not None:  # a secret ballot that is over: its ballots are gone
        return ReceiptCheck(
            vote,
            None,
            counted=receipt.standing is ReceiptStanding.COUNTED,
            superseded=receipt.standing is ReceiptStanding.REPLACED,
            cancelled=receipt.standing is ReceiptStanding.CANCELLED,
        )
    ballot = receipt.ballot
    assert ballot is not None  # the check constraint: no standing means a ballot
    superseded = ballot.version != receipt.ballot_version
    counted = vote.state is VoteState.CLOSED and not superseded
    cancelled = vote.state is VoteState.CANCELLED
    choice = None if vote.secrecy is BallotSecrecy.SECRET else receipt.choice
    being_counted = vote.state is VoteState.OPEN and now >= vote.closes_at and not superseded
    return ReceiptCheck(vote, choice, counted, superseded, cancelled, being_counted)


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


_confirmations = cast(sa.Table, CastConfirmation.__table__)
# Built once (every cast runs it), on the table: no copy of a token is in the session to update.
_USE_TOKEN = (
    sa.update(_confirmations)
    .where(
        _confirmations.c.token_hash == sa.bindparam("hash_of_token"),
        _confirmations.c.vote_id == sa.bindparam("for_vote"),
        _confirmations.c.organisation_id == sa.bindparam("for_organisation"),
        _confirmations.c.used.is_(False),
    )
    .values(used=True)
)


@dataclass(frozen=True)
class Confirmed:
    """What a confirmation did: the ballot and its new receipt code, or nothing (``code`` None)
    because this confirmation had already been used."""

    ballot: Ballot | None
    code: str | None


def confirm(
    user: User, vote: Vote, organisation: Organisation, token: str, choice: str, now: datetime
) -> Confirmed:
    """Cast ``choice`` as the token confirms, once; a used token casts nothing.

    The token is found and used up in one statement (the common case: one round trip); only
    when that changes no row is it looked up, to tell a used token from an unknown one."""
    if token and choice in vote.options:
        # An UPDATE's result is a cursor result, which has the row count.
        used = cast(
            "sa.CursorResult[Any]",
            db.session.execute(
                _USE_TOKEN,
                {
                    "hash_of_token": _hash(token),
                    "for_vote": vote.id,
                    "for_organisation": organisation.id,
                },
            ),
        )
        if used.rowcount == 1:
            ballot, code = cast_ballot(user, vote, organisation, choice, now)
            return Confirmed(ballot, code)
    confirmation = _find(vote, organisation, token)
    if confirmation is None or not confirmation.used:
        raise DomainError(EXPIRED)
    return Confirmed(ballot_of(vote, organisation), None)


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
