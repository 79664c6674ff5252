"""A secret ballot's scrutineers: named and emailed, a passphrase each before the vote opens,
the full record sealed to them at close (the database alone holds nothing readable), opened
with the passphrase (audited), its SHA-256 the one everyone sees; members download it only
when the attacker finds nobody in it."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.audit.models import AuditEntry
from portal.database import utcnow
from portal.errors import Conflict, DomainError, NotPermitted
from portal.outbox import OutboxMessage
from portal.retention import run_retention
from portal.voting import casting, closing, scrutiny, services
from portal.voting import rules as counting
from portal.voting.models import BallotSecrecy
from tests.conftest import csrf_token_from
from tests.factories import Person, World, make_world
from tests.voting.helpers import MOTION_RULES, WEIGHTED_WORLD, weighted_vote_details

PASSPHRASE = "a long enough scrutineer passphrase"


@pytest.fixture
def setting(db) -> World:
    scrutineer = Person("scrutineer", "lmc", Role.LMC_OFFICER, name="Sam Scrutineer")
    return make_world(**WEIGHTED_WORLD).add(people=[scrutineer])


def _draft(db, setting: World, **changes):
    vote = services.create_vote(
        setting.officer,
        setting.area,
        weighted_vote_details(secrecy=BallotSecrecy.SECRET, **changes),
    )
    scrutiny.appoint(setting.officer, vote, [setting.scrutineer])
    db.session.commit()
    return vote


def _close(db, vote) -> None:
    vote.opens_at = utcnow() - timedelta(days=2)
    vote.closes_at = utcnow() - timedelta(seconds=1)
    closing.close_vote(vote, utcnow())
    db.session.commit()


def _cast(db, setting: World, vote, choices: list[str]) -> None:
    for partner, practice, choice in zip(
        setting.partners, setting.practices, choices, strict=False
    ):
        casting.cast_ballot(partner, vote, practice, choice, utcnow())
    db.session.commit()


def test_a_named_scrutineer_is_emailed_without_the_title(db, setting):
    vote = _draft(db, setting)
    message = db.session.execute(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == setting.scrutineer.email)
    ).scalar_one()
    assert "scrutineer" in message.subject
    assert vote.title not in message.subject + message.body
    assert f"/votes/{vote.id}/scrutiny" in message.body


def test_only_members_of_the_area_can_be_named(db, setting):
    with pytest.raises(DomainError, match=r"nobody here has the email address x@example\.org"):
        scrutiny.find_scrutineers(setting.area, "x@example.org")
    assert scrutiny.find_scrutineers(setting.area, setting.scrutineer.email.upper()) == [
        setting.scrutineer
    ]


def test_the_vote_does_not_open_until_every_scrutineer_has_a_passphrase(db, setting):
    vote = _draft(db, setting)
    with pytest.raises(DomainError, match=r"every scrutineer has set a passphrase.*Sam Scrutineer"):
        services.open_vote(setting.officer, vote, utcnow())
    db.session.rollback()
    with pytest.raises(DomainError, match="not the same"):
        scrutiny.set_passphrase(setting.scrutineer, vote, PASSPHRASE, PASSPHRASE + "x", utcnow())
    with pytest.raises(DomainError, match="at least 12"):
        scrutiny.set_passphrase(setting.scrutineer, vote, "short", "short", utcnow())
    with pytest.raises(NotPermitted):
        scrutiny.set_passphrase(setting.officer, vote, PASSPHRASE, PASSPHRASE, utcnow())
    scrutiny.set_passphrase(setting.scrutineer, vote, PASSPHRASE, PASSPHRASE, utcnow())
    services.open_vote(setting.officer, vote, utcnow())
    db.session.commit()
    assert vote.opened_at is not None


def _closed_secret_vote(db, setting: World, choices: list[str], **changes):
    vote = _draft(db, setting, **changes)
    scrutiny.set_passphrase(setting.scrutineer, vote, PASSPHRASE, PASSPHRASE, utcnow())
    services.open_vote(setting.officer, vote, utcnow())
    db.session.commit()
    _cast(db, setting, vote, choices)
    _close(db, vote)
    return vote


def test_the_record_is_sealed_and_only_the_scrutineer_opens_it(db, setting):
    # List sizes 4,000, 6,000, 10,000 and 20,000: every share is unique, so the record
    # would unmask every voter; members get no copy, the database holds it only sealed.
    vote = _closed_secret_vote(db, setting, ["for", "against", "for", "abstain"])
    assert vote.ballot_record is None
    assert vote.sealed_record is not None
    assert b"A10001" not in vote.sealed_record
    assert b"against" not in vote.sealed_record
    assert len(vote.ballot_record_sha256) == 64

    with pytest.raises(DomainError, match="does not open"):
        scrutiny.open_record(setting.scrutineer, vote, "the wrong passphrase entirely")
    with pytest.raises(NotPermitted):
        scrutiny.open_record(setting.officer, vote, PASSPHRASE)

    raw = scrutiny.open_record(setting.scrutineer, vote, PASSPHRASE)
    db.session.commit()
    assert hashlib.sha256(raw).hexdigest() == vote.ballot_record_sha256
    data = json.loads(raw)
    assert data["format"] == counting.SECRET_FORMAT
    assert len(data["salt"]) >= 32
    assert all(set(ballot) == {"share", "choice"} for ballot in data["ballots"])
    recounted = counting.recount(data)
    assert recounted["outcome"] == vote.result["outcome"]
    assert recounted["totals"] == vote.result["totals"]
    opened = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "vote.record_opened")
    ).scalar_one()
    assert opened.details["sha256"] == vote.ballot_record_sha256
    assert "against" not in json.dumps(opened.details)


def test_a_year_after_close_the_sealed_record_is_removed_and_its_hash_stays(db, setting):
    vote = _closed_secret_vote(db, setting, ["for", "against", "for", "abstain"])
    published = vote.ballot_record_sha256
    vote.closed_at = utcnow() - timedelta(days=366)
    db.session.commit()

    run_retention(utcnow())
    db.session.commit()

    assert vote.sealed_record is None
    assert all(scrutineer.wrapped_key is None for scrutineer in vote.scrutineers)
    assert vote.ballot_record_sha256 == published
    removed = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "vote.ballot_links_removed")
    ).scalar_one()
    assert removed.details["sealed_record_removed"] is True
    with pytest.raises(DomainError):
        scrutiny.open_record(setting.scrutineer, vote, PASSPHRASE)


def test_the_passphrase_cannot_change_once_the_record_is_sealed(db, setting):
    vote = _closed_secret_vote(db, setting, ["for", "against"])
    with pytest.raises(Conflict):
        scrutiny.set_passphrase(setting.scrutineer, vote, PASSPHRASE, PASSPHRASE, utcnow())


def test_members_download_the_record_only_when_nobody_is_unmasked_in_it(db, setting, client, login):
    # Equal weights: four practices of 1/4 each, two for and two against. Any of them could
    # have cast any ballot, so the record is published to members too.
    equal = {**services_rules(), "weighting": {"scheme": "equal"}}
    vote = _closed_secret_vote(db, setting, ["for", "against", "for", "against"], rules=equal)
    assert vote.ballot_record is not None
    assert hashlib.sha256(vote.ballot_record.encode()).hexdigest() == vote.ballot_record_sha256
    login(setting.partners[0])
    page = client.get(f"/areas/{setting.area.slug}/votes/{vote.id}/results")
    assert vote.ballot_record_sha256 in page.get_data(as_text=True)
    download = client.get(f"/areas/{setting.area.slug}/votes/{vote.id}/record.json")
    assert download.status_code == 200
    assert download.data == vote.ballot_record.encode()


def services_rules() -> dict:
    return dict(MOTION_RULES)


def test_the_scrutineer_page_sets_the_passphrase_and_opens_the_record(db, setting, client, login):
    vote = _draft(db, setting)
    base = f"/areas/{setting.area.slug}/votes/{vote.id}/scrutiny"
    login(setting.officer)
    assert client.get(base).status_code == 404  # naming scrutineers is no way in
    client.post("/accounts/logout", data={"csrf_token": csrf_token_from(client.get("/").text)})

    login(setting.scrutineer)
    page = client.get(base)
    assert page.status_code == 200
    assert "Not set yet" in page.text
    token = csrf_token_from(page.text)
    refused = client.post(
        f"{base}/passphrase",
        data={"passphrase": PASSPHRASE, "confirmation": "different", "csrf_token": token},
    )
    assert refused.status_code == 400
    assert "not the same" in refused.text
    assert PASSPHRASE not in refused.text
    done = client.post(
        f"{base}/passphrase",
        data={"passphrase": PASSPHRASE, "confirmation": PASSPHRASE, "csrf_token": token},
    )
    assert done.status_code == 302

    db.session.expire_all()
    services.open_vote(setting.officer, vote, utcnow())
    db.session.commit()
    _cast(db, setting, vote, ["for", "against"])
    _close(db, vote)

    vote_page = client.get(f"/areas/{setting.area.slug}/votes/{vote.id}")
    assert "your scrutineer page" in vote_page.text
    page = client.get(base)
    assert vote.ballot_record_sha256 in page.text
    token = csrf_token_from(page.text)
    wrong = client.post(f"{base}/record", data={"passphrase": "not it at all", "csrf_token": token})
    assert wrong.status_code == 400
    assert "does not open" in wrong.text
    right = client.post(f"{base}/record", data={"passphrase": PASSPHRASE, "csrf_token": token})
    assert right.status_code == 200
    assert "attachment" in right.headers["Content-Disposition"]
    assert hashlib.sha256(right.data).hexdigest() == vote.ballot_record_sha256


def test_passphrase_tries_are_rate_limited(app):
    from portal.ratelimits import PASSPHRASE, limit_for

    assert limit_for(app, "scrutiny.open_record") is PASSPHRASE
    assert limit_for(app, "scrutiny.set_passphrase") is PASSPHRASE
