"""A secret election's scrutineers: who holds its BLT file, and how they open it.

As for a secret vote (``portal.voting.scrutiny``): up to five active members of the area are
named by email when the election is set up (or, while nominations are open, on the
election's scrutineers page); each is emailed and sets a passphrase on their scrutineer page.
At the count the BLT file of the ballots is sealed to the scrutineers' keys
(``portal.voting.sealing``) and the database keeps only that sealed copy; everyone who sees
the result sees the file's SHA-256, and a scrutineer who opens it (with the passphrase; each
opening is audited and rate-limited) can show with ``sha256sum`` that it is the file
counted, and recount it with ``python -m portal.elections.count``.

A scrutineer without a passphrase could not be sealed to, so a secret election with
scrutineers does not go from nominations to voting until every one of them has set one
(``check_ready_for_voting``; an officer who cannot wait names others, or none). A secret
election with no scrutineer keeps no BLT file at all, only its fingerprint.

Why the file is sealed and not just withheld from members: an election of organisations
weighted by list size gives each practice a weight that is, in practice, its own, so the
ballot lines ``weight preferences 0`` say how that practice ranked the candidates. The
sealed file's title carries a random salt (``fingerprint salt ...``), so that nobody can
find the file from its published SHA-256 by trying every way the known electorate could
have voted.

Services flush, never commit, and write the audit entry; rankings never reach the log.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import current_app

from portal.accounts.models import User
from portal.audit.services import record
from portal.elections.models import Election, ElectionScrutineer, ElectionState
from portal.elections.permissions import can_manage_elections
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.mail import queue_email
from portal.urls import external_url
from portal.voting import sealing
from portal.voting.models import seal_to_scrutineers


def _file_context(election: Election) -> bytes:
    return f"gp-collective-voice/election/{election.id}/ballots.blt".encode()


def _key_context(scrutineer: ElectionScrutineer) -> bytes:
    return (
        f"gp-collective-voice/election/{scrutineer.election_id}/scrutineer/{scrutineer.id}"
    ).encode()


def appoint(actor: User, election: Election, users: list[User]) -> None:
    """Make ``users`` the scrutineers of a secret election, emailing each new one; while
    nominations are in progress only, because voting starts only once each has a passphrase."""
    if not can_manage_elections(actor, election.area):
        raise NotPermitted("Only LMC officers and area administrators can name scrutineers")
    if election.state is not ElectionState.NOMINATIONS:
        raise Conflict("Scrutineers are named before voting begins")
    if users and not election.secret:
        raise DomainError(
            "Only a secret election has scrutineers: an open ballot's file is open to members"
        )
    wanted = {user.id for user in users}
    for scrutineer in list(election.scrutineers):
        if scrutineer.user_id not in wanted:
            election.scrutineers.remove(scrutineer)
            record(
                "election.scrutineer_removed",
                f"Scrutineer no longer named: {scrutineer.user.name}",
                actor=actor,
                area=election.area,
                subject=election,
                details={"user_id": scrutineer.user_id},
            )
    present = {scrutineer.user_id for scrutineer in election.scrutineers}
    for user in users:
        if user.id in present:
            continue
        election.scrutineers.append(ElectionScrutineer(user=user))
        db.session.flush()
        record(
            "election.scrutineer_named",
            f"Scrutineer named: {user.name}",
            actor=actor,
            area=election.area,
            subject=election,
            details={"user_id": user.id},
        )
        # No title, as for a vote's scrutineer: the email carries nothing the page does not.
        queue_email(
            user.email,
            "You have been named a scrutineer of a secret election",
            f"Dear {user.name},\n\nYou have been named a scrutineer of a secret election in "
            f"GP Collective Voice for {election.area.name}. When it is counted, its ballots "
            "file will be sealed so that only its scrutineers can open it, each with their "
            "own passphrase.\n\nSet your passphrase before nominations close: voting cannot "
            f"begin until every scrutineer has one.\n{_page_url(election)}\n",
        )
    db.session.flush()


def _page_url(election: Election) -> str:
    return external_url(
        "elections.scrutineer", area_slug=election.area.slug, election_id=election.id
    )


def scrutineer_for(user: User, election: Election) -> ElectionScrutineer | None:
    return next((s for s in election.scrutineers if s.user_id == user.id), None)


def set_passphrase(
    user: User, election: Election, passphrase: str, confirmation: str, now: datetime
) -> None:
    """Give a scrutineer a new key, unlocked by ``passphrase``; possible until the count (a
    forgotten passphrase before then costs nothing, after it the file is sealed)."""
    scrutineer = scrutineer_for(user, election)
    if scrutineer is None:
        raise NotPermitted("You are not a scrutineer of this election")
    if election.state not in (ElectionState.NOMINATIONS, ElectionState.VOTING):
        raise Conflict(
            "This election is decided: its ballots were sealed to the passphrase you had set"
        )
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
        "election.scrutineer_passphrase_set",
        f"Scrutineer passphrase set: {user.name}",
        actor=user,
        area=election.area,
        subject=election,
    )


def missing_passphrases(election: Election) -> list[ElectionScrutineer]:
    return [scrutineer for scrutineer in election.scrutineers if scrutineer.public_key is None]


def check_ready_for_voting(election: Election) -> None:
    """Refuse to start the ballot of an election whose file could not be sealed to every
    scrutineer."""
    missing = missing_passphrases(election)
    if missing:
        names = ", ".join(scrutineer.user.name for scrutineer in missing)
        raise DomainError(
            "Voting cannot begin until every scrutineer has set a passphrase; not yet: "
            f"{names}. An officer can name other scrutineers on the election's scrutineers page."
        )


def seal_ballots(election: Election, blt: bytes) -> None:
    """At the count of a secret election: the file's fingerprint, and the file sealed to the
    scrutineers; never the file in the clear."""
    election.ballots_blt_sha256 = hashlib.sha256(blt).hexdigest()
    election.ballots_blt = None
    election.sealed_ballots_blt = seal_to_scrutineers(
        election.scrutineers, blt, _file_context(election)
    )


def open_ballots(user: User, election: Election, passphrase: str) -> bytes:
    """The BLT file for one of its scrutineers, byte for byte as fingerprinted; audited."""
    scrutineer = scrutineer_for(user, election)
    if scrutineer is None:
        raise NotPermitted("You are not a scrutineer of this election")
    if election.state is not ElectionState.COUNTED or election.sealed_ballots_blt is None:
        raise Conflict("There is no sealed ballots file to open: the election is not counted")
    key = scrutineer.stored_key()
    if key is None or scrutineer.wrapped_key is None:
        raise Conflict("The ballots file was not sealed to you: you had set no passphrase")
    try:
        raw = sealing.open_with_passphrase(
            passphrase,
            key,
            scrutineer.wrapped_key,
            election.sealed_ballots_blt,
            _key_context(scrutineer),
            _file_context(election),
        )
    except sealing.WrongPassphrase as error:
        raise DomainError(str(error)) from error
    record(
        "election.ballots_opened",
        f"Sealed ballots file opened by scrutineer {user.name}",
        actor=user,
        area=election.area,
        subject=election,
        details={"sha256": hashlib.sha256(raw).hexdigest()},
    )
    return raw
