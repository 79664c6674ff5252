"""A secret ballot's scrutineers: who holds its full record, and how they open it.

One or more people are named when a secret ballot is set up; each is emailed, and each sets
a passphrase on their scrutineer page. At close the full record
(``gp-collective-voice/ballot-record@2``, with a random 128-bit salt) is sealed to the
scrutineers' keys (``portal.voting.sealing``); the database keeps only that sealed copy, so it
links nothing by itself. Everyone entitled to the results sees the SHA-256 of the salted
record; a scrutineer who opens it (with the passphrase; each opening is audited) can show
with ``sha256sum`` that the copy is the one counted. Members may download the record only
when the attacker (``portal.voting.secrecy.record_unmasked``) finds nobody unmasked in it.

A scrutineer who has not set a passphrase could not be sealed to, so a secret ballot with
scrutineers does not open until every one of them has set one (``check_ready_to_open``). A
secret ballot with no scrutineer keeps no full record at all: only its fingerprint, and the
record itself only where members may have it.

Services flush, never commit, and write the audit entry; choices never reach the audit log.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from portal.accounts.models import User
from portal.audit.services import record
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.mail import queue_email
from portal.organisations.models import Area
from portal.organisations.permissions import is_group_member
from portal.urls import external_url
from portal.voting import rules as counting
from portal.voting import sealing, secrecy
from portal.voting.models import (
    BallotSecrecy,
    Scrutineer,
    Vote,
    VoteState,
    seal_to_scrutineers,
)
from portal.voting.permissions import can_manage_votes

MAX_SCRUTINEERS = 5
_SEPARATORS = re.compile(r"[\s,;]+")


def _record_context(vote: Vote) -> bytes:
    return f"gp-collective-voice/vote/{vote.id}/record".encode()


def _key_context(scrutineer: Scrutineer) -> bytes:
    return f"gp-collective-voice/vote/{scrutineer.vote_id}/scrutineer/{scrutineer.id}".encode()


def find_scrutineers(area: Area, text: str) -> list[User]:
    """The active members of ``area`` named by email address in ``text`` (any separator)."""
    emails = list(dict.fromkeys(e.lower() for e in _SEPARATORS.split(text or "") if e))
    if len(emails) > MAX_SCRUTINEERS:
        raise DomainError(f"Name at most {MAX_SCRUTINEERS} scrutineers")
    users = []
    for email in emails:
        user = db.session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()
        if user is None or not user.active or not is_group_member(user, area):
            raise DomainError(
                "Scrutineers must be active members of this area: nobody here has the email "
                f"address {email}"
            )
        users.append(user)
    return users


def appoint(actor: User, vote: Vote, users: list[User]) -> None:
    """Make ``users`` the scrutineers of a draft secret ballot, emailing each new one."""
    if not can_manage_votes(actor, vote.area):
        raise NotPermitted("Only LMC officers and area administrators can name scrutineers")
    if vote.state is not VoteState.DRAFT:
        raise Conflict("Scrutineers are named before the vote opens")
    if users and vote.secrecy is not BallotSecrecy.SECRET:
        raise DomainError("Only a secret ballot has scrutineers: an open ballot's record is public")
    wanted = {user.id for user in users}
    for scrutineer in list(vote.scrutineers):
        if scrutineer.user_id not in wanted:
            vote.scrutineers.remove(scrutineer)
    present = {scrutineer.user_id for scrutineer in vote.scrutineers}
    for user in users:
        if user.id in present:
            continue
        vote.scrutineers.append(Scrutineer(user=user))
        db.session.flush()
        record(
            "vote.scrutineer_named",
            f"Scrutineer named: {user.name}",
            actor=actor,
            area=vote.area,
            subject=vote,
            details={"user_id": user.id},
        )
        # No title: the vote may be on a draft whose tier its scrutineer's email must not carry.
        queue_email(
            user.email,
            "You have been named a scrutineer of a secret ballot",
            f"Dear {user.name},\n\nYou have been named a scrutineer of a secret ballot in "
            f"GP Collective Voice for {vote.area.name}. When it closes, its full ballot record "
            "will be sealed so that only its scrutineers can open it, each with their own "
            "passphrase.\n\nSet your passphrase before the vote opens: it cannot open until "
            f"every scrutineer has one.\n{_page_url(vote)}\n",
        )
    db.session.flush()


def _page_url(vote: Vote) -> str:
    return external_url("scrutiny.scrutineer", area_slug=vote.area.slug, vote_id=vote.id)


def scrutineer_for(user: User, vote: Vote) -> Scrutineer | None:
    return next((s for s in vote.scrutineers if s.user_id == user.id), None)


def set_passphrase(
    user: User, vote: Vote, passphrase: str, confirmation: str, now: datetime
) -> None:
    """Give a scrutineer a new key, unlocked by ``passphrase``; possible until the vote closes
    (a forgotten passphrase before then costs nothing, after it the record is sealed)."""
    scrutineer = scrutineer_for(user, vote)
    if scrutineer is None:
        raise NotPermitted("You are not a scrutineer of this vote")
    if vote.state in (VoteState.CLOSED, VoteState.CANCELLED):
        raise Conflict("This vote is over: its record was sealed to the passphrase you had set")
    if passphrase != confirmation:
        raise DomainError("The two passphrases are not the same")
    try:
        key = sealing.make_key(
            passphrase, _key_context(scrutineer), cost=current_app.config["SCRUTINY_SCRYPT_COST"]
        )
    except ValueError as error:
        raise DomainError(str(error)) from error
    scrutineer.take_key(key, now)
    db.session.flush()
    record(
        "vote.scrutineer_passphrase_set",
        f"Scrutineer passphrase set: {user.name}",
        actor=user,
        area=vote.area,
        subject=vote,
    )


def missing_passphrases(vote: Vote) -> list[Scrutineer]:
    return [scrutineer for scrutineer in vote.scrutineers if scrutineer.public_key is None]


def check_ready_to_open(vote: Vote) -> None:
    """Refuse to open a secret ballot whose record could not be sealed to every scrutineer."""
    missing = missing_passphrases(vote)
    if missing:
        names = ", ".join(scrutineer.user.name for scrutineer in missing)
        raise DomainError(
            f"The vote cannot open until every scrutineer has set a passphrase; not yet: {names}"
        )


def keep_secret_record(vote: Vote, full_record: dict, attacked: secrecy.Ballot) -> None:
    """At close, before the ballots go: the salted @2 record's fingerprint, the record sealed
    to the scrutineers, and the record in the clear only if the attacker finds nobody in it."""
    data = counting.secret_record(full_record, secrets.token_hex(16))
    raw = counting.canonical_json(data)
    vote.ballot_record_sha256 = hashlib.sha256(raw).hexdigest()
    by_kind_published = bool((vote.published or {}).get("by_kind"))
    unmasked = secrecy.record_unmasked(attacked, by_kind_published=by_kind_published)
    vote.ballot_record = None if unmasked else raw.decode()
    vote.sealed_record = seal_to_scrutineers(vote.scrutineers, raw, _record_context(vote))


def open_record(user: User, vote: Vote, passphrase: str) -> bytes:
    """The full record for one of its scrutineers, byte for byte as fingerprinted; audited."""
    scrutineer = scrutineer_for(user, vote)
    if scrutineer is None:
        raise NotPermitted("You are not a scrutineer of this vote")
    if vote.state is not VoteState.CLOSED or vote.sealed_record is None:
        raise Conflict("There is no sealed record to open: the vote has not closed")
    key = scrutineer.stored_key()
    if key is None or scrutineer.wrapped_key is None:
        raise Conflict("The record was not sealed to you: you had set no passphrase")
    try:
        raw = sealing.open_with_passphrase(
            passphrase,
            key,
            scrutineer.wrapped_key,
            vote.sealed_record,
            _key_context(scrutineer),
            _record_context(vote),
        )
    except sealing.WrongPassphrase as error:
        raise DomainError(str(error)) from error
    record(
        "vote.record_opened",
        f"Sealed ballot record opened by scrutineer {user.name}",
        actor=user,
        area=vote.area,
        subject=vote,
        details={"sha256": hashlib.sha256(raw).hexdigest()},
    )
    return raw
