"""Retention: ballots unlinked from organisations a set period after a vote ends, former
members' personal data removed a set period after they left; both by the worker, both
audited, the audit chain and the published SHA-256 still checkable."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from config import load_settings
from portal.accounts import services as account_services
from portal.accounts.models import Membership, Role, User, UserSession
from portal.audit.models import AuditEntry
from portal.audit.services import verify_chain
from portal.database import utcnow
from portal.mail import queue_email
from portal.outbox import OutboxMessage
from portal.retention import RetentionPeriods, ballot_links_expired, run_retention
from portal.voting import casting, closing, proxies
from portal.voting.models import (
    Ballot,
    BallotSecrecy,
    Receipt,
    ReceiptStanding,
    Vote,
    VoteKind,
)
from portal.worker import run_round
from tests.factories import World, make_user, make_world
from tests.voting.helpers import MOTION_RULES, WEIGHTED_WORLD, open_weighted_vote
from tests.voting.test_secret_ballot_keeps_no_link import OPTIONS, _choices_found

YEAR = timedelta(days=365)


@pytest.fixture
def setting(db: Any) -> World:
    return make_world(**WEIGHTED_WORLD)


@pytest.fixture
def expired() -> Iterator[list[Vote]]:
    """Votes the retention job told other domains about (as a scrutineers' store would hear)."""
    heard: list[Vote] = []

    def receiver(vote: Vote) -> None:
        heard.append(vote)

    ballot_links_expired.connect(receiver)
    yield heard
    ballot_links_expired.disconnect(receiver)


def closed_choice_vote(db: Any, setting: World, ended_ago: timedelta, **changes: Any) -> Vote:
    """A choice vote with a change of mind and a proxy instruction, closed ``ended_ago``."""
    rules = {**MOTION_RULES, "threshold": {"rule": "plurality"}}
    vote = open_weighted_vote(
        setting, db, kind=VoteKind.CHOICE, options=OPTIONS, rules=rules, **changes
    )
    grantor, holder = setting.practices[3], setting.practices[2]
    proxies.name_proxy(setting.partners[3], vote, grantor, holder, "Plan Osprey", utcnow())
    for partner, practice, choice in [(0, 0, "Plan Kestrel"), (1, 1, "Plan Heron")]:
        casting.cast_ballot(
            setting.partners[partner], vote, setting.practices[practice], choice, utcnow()
        )
    casting.cast_ballot(setting.partners[1], vote, setting.practices[1], "Plan Kestrel", utcnow())
    vote.opens_at = utcnow() - timedelta(days=2)
    vote.closes_at = utcnow() - timedelta(seconds=1)
    closing.close_vote(vote, utcnow())
    vote.closed_at = utcnow() - ended_ago
    db.session.commit()
    return vote


def count(db: Any, model: Any, *where: Any) -> int:
    return db.session.execute(
        sa.select(sa.func.count()).select_from(model).where(*where)
    ).scalar_one()


def audit_actions(db: Any) -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.sequence)))


def test_an_open_ballot_a_year_after_close_keeps_no_link_to_any_choice(
    db: Any, setting: World, expired: list[Vote]
) -> None:
    vote = closed_choice_vote(db, setting, YEAR + timedelta(minutes=1))
    published_sha256 = vote.ballot_record_sha256
    result = dict(vote.result or {})
    # The check below can fail: before the job, ballots, receipts and the record hold choices.
    assert {table for table, _, _ in _choices_found(db)} >= {"ballots", "receipts", "votes"}

    reports = run_round()

    assert any(report.startswith("apply retention periods: 1 vote(s)") for report in reports)
    db.session.expire_all()
    assert _choices_found(db) == []
    assert count(db, Ballot, Ballot.vote_id == vote.id) == 0
    receipts = list(db.session.scalars(sa.select(Receipt).where(Receipt.vote_id == vote.id)))
    assert sorted(receipt.standing.value for receipt in receipts if receipt.standing) == [
        "counted",
        "counted",
        "replaced",
    ]
    assert all(receipt.ballot_id is None and receipt.choice is None for receipt in receipts)
    vote = db.session.get(Vote, vote.id)
    assert vote.ballot_record is None
    assert vote.ballot_record_sha256 == published_sha256
    assert vote.result == result
    assert vote.records_removed_at is not None
    assert [member.voted for member in vote.electorate] == [True, True, False, False]
    assert expired == [vote]
    # The removal is in the chain, which still verifies, with the hash it keeps.
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "vote.ballot_links_removed")
    ).one()
    assert entry.details["ballot_record_sha256"] == published_sha256
    assert entry.details["ballots_removed"] == 2
    assert entry.details["receipts_unlinked"] == 3
    assert verify_chain() is None


def test_a_vote_inside_its_period_is_left_alone_and_a_second_run_does_nothing(
    db: Any, setting: World, expired: list[Vote]
) -> None:
    recent = closed_choice_vote(db, setting, YEAR - timedelta(minutes=1))
    now = utcnow()

    assert run_retention(now).votes == 0
    db.session.commit()
    assert count(db, Ballot, Ballot.vote_id == recent.id) == 2

    later = now + timedelta(minutes=2)
    assert run_retention(later).votes == 1
    db.session.commit()
    assert run_retention(later).votes == 0
    db.session.commit()
    assert audit_actions(db).count("vote.ballot_links_removed") == 1
    assert len(expired) == 1


def test_the_period_is_a_setting(app: Flask, db: Any, setting: World) -> None:
    vote = closed_choice_vote(db, setting, timedelta(days=31))
    assert run_retention(utcnow()).votes == 0
    db.session.commit()

    assert run_retention(utcnow(), RetentionPeriods(ballot_days=30, former_member_days=90)).votes
    db.session.commit()
    assert count(db, Ballot, Ballot.vote_id == vote.id) == 0
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "vote.ballot_links_removed")
    ).one()
    assert entry.details["retention_days"] == 30
    environ = {"PORTAL_RETENTION_BALLOT_DAYS": "400", "PORTAL_RETENTION_FORMER_MEMBER_DAYS": "30"}
    assert RetentionPeriods.from_config(load_settings("testing", environ)) == RetentionPeriods(
        ballot_days=400, former_member_days=30
    )


def test_a_cancelled_open_ballot_is_unlinked_a_year_after_it_was_called_off(
    db: Any, setting: World
) -> None:
    vote = open_weighted_vote(setting, db)
    casting.cast_ballot(setting.partners[0], vote, setting.practices[0], "for", utcnow())
    closing.cancel_vote(setting.officer, vote, "Withdrawn by the ICB", utcnow())
    vote.cancelled_at = utcnow() - YEAR - timedelta(minutes=1)
    db.session.commit()
    assert count(db, Ballot, Ballot.vote_id == vote.id) == 1

    assert run_retention(utcnow()).votes == 1
    db.session.commit()

    assert count(db, Ballot, Ballot.vote_id == vote.id) == 0
    standings = set(db.session.scalars(sa.select(Receipt.standing)))
    assert standings == {ReceiptStanding.CANCELLED}
    assert verify_chain() is None


def test_a_secret_ballot_is_recorded_as_done_and_other_records_are_told(
    db: Any, setting: World, expired: list[Vote]
) -> None:
    vote = closed_choice_vote(
        db, setting, YEAR + timedelta(minutes=1), secrecy=BallotSecrecy.SECRET
    )

    report = run_retention(utcnow())
    db.session.commit()

    # Its ballots went at close; what other domains keep about it goes now.
    assert (report.votes, report.ballots) == (1, 0)
    assert expired == [vote]
    assert db.session.get(Vote, vote.id).records_removed_at is not None


def test_the_results_page_still_shows_the_result_and_the_hash(
    client: FlaskClient, db: Any, setting: World, login: Any
) -> None:
    vote = closed_choice_vote(db, setting, YEAR + timedelta(minutes=1))
    sha256 = vote.ballot_record_sha256
    run_retention(utcnow())
    db.session.commit()
    login(setting.partners[0])

    page = client.get(f"/areas/{setting.area.slug}/votes/{vote.id}/results")

    assert page.status_code == 200
    shown = page.get_data(as_text=True)
    assert sha256 in shown
    assert 'id="record-removed"' in shown
    # How each kind voted went with the ballots: not a table of zeros.
    assert "Removed with the ballots" in shown
    assert "Download the ballot record" not in shown
    for download in ("record.json", "ballots.csv"):
        url = f"/areas/{setting.area.slug}/votes/{vote.id}/{download}"
        assert client.get(url).status_code == 404


# --- members who left ---------------------------------------------------------------------


def deactivate(setting: World, user: User, ago: timedelta) -> None:
    admin = make_user(setting.lmc, Role.AREA_ADMIN)
    account_services.set_user_active(admin, user, setting.area, active=False)
    user.deactivated_at = utcnow() - ago


def test_a_former_member_is_anonymised_after_the_period(db: Any, setting: World) -> None:
    leaver = setting.manager
    email = leaver.email
    queue_email(email, "Welcome", "Hello")
    queue_email(setting.partners[0].email, "For someone still here", "Hello")
    db.session.add(UserSession(key_hash="k" * 64, user_id=leaver.id))
    deactivate(setting, leaver, timedelta(days=91))
    db.session.commit()

    report = run_retention(utcnow())
    db.session.commit()

    assert report.former_members == 1
    db.session.expire_all()
    leaver = db.session.get(User, leaver.id)
    assert leaver.name == "Former member"
    assert leaver.email == f"former-member-{leaver.id}@removed.invalid"
    assert leaver.password_hash is None
    assert leaver.totp_secret is None
    assert leaver.anonymised_at is not None
    assert not leaver.active
    assert count(db, Membership, Membership.user_id == leaver.id) == 0
    assert count(db, UserSession, UserSession.user_id == leaver.id) == 0
    recipients = set(db.session.scalars(sa.select(OutboxMessage.recipient)))
    assert email not in recipients
    assert setting.partners[0].email in recipients
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "account.anonymised")
    ).one()
    # The new entry names the account number only; the chain is not rewritten and verifies.
    assert email not in entry.summary
    assert email not in str(entry.details)
    assert verify_chain() is None
    # Everyone else is as they were.
    assert db.session.get(User, setting.partners[0].id).email != leaver.email
    assert run_retention(utcnow()).former_members == 0


def test_a_recent_leaver_and_a_reactivated_member_are_kept(db: Any, setting: World) -> None:
    recent = setting.partners[0]
    deactivate(setting, recent, timedelta(days=89))
    returned = setting.partners[1]
    deactivate(setting, returned, timedelta(days=200))
    admin = make_user(setting.lmc, Role.AREA_ADMIN)
    account_services.set_user_active(admin, returned, setting.area, active=True)
    db.session.commit()

    assert returned.deactivated_at is None
    assert run_retention(utcnow()).former_members == 0
    db.session.commit()
    assert db.session.get(User, recent.id).anonymised_at is None


# --- the privacy notice ---------------------------------------------------------------------


def test_the_privacy_notice_shows_the_configured_periods(app: Flask, client: FlaskClient) -> None:
    previous = app.config["RETENTION_BALLOT_DAYS"], app.config["RETENTION_FORMER_MEMBER_DAYS"]
    app.config.update(RETENTION_BALLOT_DAYS=400, RETENTION_FORMER_MEMBER_DAYS=45)
    try:
        page = client.get("/privacy").get_data(as_text=True)
    finally:
        app.config["RETENTION_BALLOT_DAYS"], app.config["RETENTION_FORMER_MEMBER_DAYS"] = previous

    assert '<strong id="retention-ballot-days">400 days</strong>' in page
    assert '<strong id="retention-former-member-days">45 days</strong>' in page
    assert 'href="/privacy">Privacy notice</a>' in client.get("/").get_data(as_text=True)
