"""Digests: what a member chose to hold back goes in one email at the digest time, assembled by
the worker (travelled in time with a fixed ``now``) and sent through the outbox and SMTP."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from portal.accounts.models import Role
from portal.extensions import db
from portal.mail import queue_email
from portal.notifications import services
from portal.notifications.kinds import Frequency, Kind
from portal.notifications.models import DigestItem
from portal.notifications.services import LONDON, next_digest_time
from portal.outbox import OutboxMessage, OutboxState
from portal.worker import run_round
from tests.concurrency import postgresql_only
from tests.factories import make_area, make_organisation, make_user

VOTE_LINK = "https://portal.example/areas/test-area/votes/7"
STATEMENT_LINK = "https://portal.example/areas/test-area/statements/2"


def test_digest_times_are_seven_in_the_morning_london_daily_and_on_mondays_weekly():
    # A Tuesday in winter (GMT) and a Sunday in summer (BST).
    tuesday = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
    assert next_digest_time(Frequency.DAILY, tuesday) == datetime(2026, 12, 2, 7, tzinfo=LONDON)
    assert next_digest_time(Frequency.WEEKLY, tuesday) == datetime(2026, 12, 7, 7, tzinfo=LONDON)
    sunday = datetime(2026, 6, 28, 5, 59, tzinfo=UTC)  # 06:59 in London
    assert next_digest_time(Frequency.DAILY, sunday) == datetime(2026, 6, 28, 7, tzinfo=LONDON)
    assert next_digest_time(Frequency.WEEKLY, sunday) == datetime(2026, 6, 29, 7, tzinfo=LONDON)
    at_seven = datetime(2026, 6, 29, 6, 0, tzinfo=UTC)  # exactly 07:00 London, a Monday
    assert next_digest_time(Frequency.WEEKLY, at_seven) == datetime(2026, 7, 6, 7, tzinfo=LONDON)


def _member_with_digests():
    area = make_area()
    partner = make_user(make_organisation(area), Role.GP_PARTNER)
    services.set_preferences(
        partner,
        partner,
        {
            Kind.VOTES_OPENED: Frequency.DAILY,
            Kind.STATEMENTS: Frequency.DAILY,
            Kind.RESULTS: Frequency.WEEKLY,
        },
    )
    queue_email(
        partner.email,
        "Vote opened: Secret contract talks",
        f"Dear {partner.name},\n\nConfidential wording.\n\n{VOTE_LINK}\n",
        kind=Kind.VOTES_OPENED,
        area=area,
    )
    queue_email(
        partner.email,
        "New statement: Access to general practice",
        f"A statement.\n\n{STATEMENT_LINK}\n",
        kind=Kind.STATEMENTS,
        area=area,
    )
    queue_email(
        partner.email, "Result: Secret contract talks", "Agreed.\n", kind=Kind.RESULTS, area=area
    )
    db.session.commit()
    return area, partner


def _digests() -> list[OutboxMessage]:
    db.session.commit()
    return list(
        db.session.execute(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "digest").order_by("id")
        ).scalars()
    )


def test_the_worker_sends_one_digest_at_its_time_with_each_item_and_a_link(app, db, smtp_server):
    area, partner = _member_with_digests()
    assert _digests() == [], "nothing is emailed while the items wait"
    daily = next_digest_time(Frequency.DAILY, services.utcnow())
    weekly = next_digest_time(Frequency.WEEKLY, services.utcnow())

    run_round(now=daily - timedelta(seconds=1))
    assert _digests() == []
    assert smtp_server.messages == []

    reports = run_round(now=daily)

    assert "send digests: 1 digest(s) queued" in reports
    [digest] = _digests()
    assert digest.state is OutboxState.SENT
    assert digest.area_id == area.id
    [message] = smtp_server.messages
    assert message["To"] == partner.email
    text = message.get_content()
    # A non-public item is its kind and its link only; a public statement is named.
    assert "A vote or election has opened: " + VOTE_LINK in text
    assert "Secret contract talks" not in text
    assert "Confidential wording" not in text
    assert "New statement: Access to general practice: " + STATEMENT_LINK in text
    assert "You chose to get these in a digest" in text
    assert "/notifications/" in message.get_body(("html",)).get_content()
    digest_link = re.search(r"/notifications/email/\S+", text).group(0)
    if weekly != daily:
        assert "A result has been declared" not in text, "the weekly item waits for Monday"
        run_round(now=weekly)
        assert len(_digests()) == 2
        assert "A result has been declared" in smtp_server.messages[1].get_content()
    else:
        assert "A result has been declared" in text

    # Every item went in exactly one digest; later rounds send nothing again.
    run_round(now=weekly + timedelta(days=8))
    assert len(smtp_server.messages) == len(_digests())
    assert (
        db.session.execute(
            sa.select(sa.func.count()).where(DigestItem.digest_message_id.is_(None))
        ).scalar_one()
        == 0
    )
    assert len({str(m["Message-ID"]) for m in smtp_server.messages}) == len(smtp_server.messages)

    # The digest's link asks about every kind of email it may carry, with one button.
    page = app.test_client().get(digest_link).get_data(as_text=True)
    assert "Choose how you get each kind of email" in page
    for kind in (Kind.VOTES_OPENED, Kind.RESULTS, Kind.STATEMENTS, Kind.NEEDS):
        assert f'name="kind_{kind.value}"' in page
    assert page.count('type="submit"') == 1


def test_a_digest_waits_in_the_outbox_like_any_email_when_the_mail_server_is_down(app, db):
    from tests.conftest import free_port

    _member_with_digests()
    previous = {key: app.config[key] for key in ("SMTP_HOST", "SMTP_PORT")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())
    try:
        run_round(now=next_digest_time(Frequency.WEEKLY, services.utcnow()))
    finally:
        app.config.update(previous)
    [digest] = _digests()
    assert digest.state is OutboxState.WAITING
    assert "could not reach" in digest.last_error


def test_a_deactivated_member_is_sent_no_digest(app, db, smtp_server):
    _, partner = _member_with_digests()
    partner.active = False
    db.session.commit()

    run_round(now=next_digest_time(Frequency.WEEKLY, services.utcnow()))

    assert _digests() == []
    assert smtp_server.messages == []


@postgresql_only
def test_two_workers_at_once_put_each_item_in_one_digest(app, db):
    _member_with_digests()
    due = next_digest_time(Frequency.WEEKLY, services.utcnow())
    first_locked, second_done = threading.Event(), threading.Event()
    sent: dict[str, int] = {}

    def worker(name: str) -> None:
        with app.app_context():
            try:
                if name == "second":
                    first_locked.wait(20)
                sent[name] = services.send_due_digests(due)
                if name == "first":
                    first_locked.set()
                    # Keep the first transaction, and its row locks, open while the other runs.
                    second_done.wait(20)
                else:
                    second_done.set()
                db.session.commit()
            finally:
                first_locked.set()
                second_done.set()
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sent == {"first": 1, "second": 0}
    assert len(_digests()) == 1
