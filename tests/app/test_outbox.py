"""Email is a row written with its change, sent at least once, and never lost to an SMTP outage."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import abort

from portal import create_app
from portal.database import utcnow
from portal.extensions import db as database_extension
from portal.mail import queue_email
from portal.outbox import MAX_ATTEMPTS, OutboxMessage, OutboxState
from tests.conftest import RecordingHandler, free_port


class RefusingHandler(RecordingHandler):
    """An SMTP server that answers "try later" to the first ``refusals`` messages."""

    def __init__(self, refusals: int) -> None:
        super().__init__()
        self.refusals = refusals

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.refusals > 0:
            self.refusals -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def mailing_app(app, db):
    """The portal with two pages of its own: one that emails and one that then refuses."""
    application = create_app(dict(app.config))
    # The suite's client closes each response as a server would, which sends its email.
    application.test_client_class = app.test_client_class

    @application.post("/test-only/notify/<int:count>")
    def notify(count: int) -> str:
        for number in range(count):
            queue_email(f"partner{number}@example.nhs.uk", "Vote opened", "A vote has opened.")
        return "recorded"

    @application.post("/test-only/notify-then-refuse")
    def notify_then_refuse() -> str:
        queue_email("partner@example.nhs.uk", "Vote opened", "A vote has opened.")
        abort(409)

    application.config["WTF_CSRF_ENABLED"] = False
    return application


def _smtp(handler: RecordingHandler) -> Any:
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller


def _messages() -> list[OutboxMessage]:
    # A fresh transaction, so the test sees what the requests and the worker committed.
    database_extension.session.commit()
    return list(
        database_extension.session.execute(sa.select(OutboxMessage).order_by(OutboxMessage.id))
        .scalars()
        .all()
    )


def _message_ids(handler: RecordingHandler) -> list[str]:
    return [str(message["Message-ID"]).strip() for message in handler.messages]


def _run_worker(application) -> str:
    with application.app_context():
        result = application.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_refused_request_leaves_no_email(mailing_app):
    response = mailing_app.test_client().post("/test-only/notify-then-refuse")
    assert response.status_code == 409
    assert _messages() == []


def test_in_worker_mode_the_request_only_records_and_the_worker_sends_once(mailing_app):
    handler = RecordingHandler()
    server = _smtp(handler)
    mailing_app.config.update(MAIL_DELIVERY="worker", SMTP_HOST="127.0.0.1", SMTP_PORT=server.port)
    try:
        assert mailing_app.test_client().post("/test-only/notify/3").status_code == 200
        assert [m.state for m in _messages()] == [OutboxState.WAITING] * 3
        assert handler.messages == []

        assert "send email: 3 message(s) sent" in _run_worker(mailing_app)
        _run_worker(mailing_app)
    finally:
        server.stop()

    stored = _messages()
    assert [m.state for m in stored] == [OutboxState.SENT] * 3
    assert len(handler.messages) == 3
    assert sorted(_message_ids(handler)) == sorted(m.message_id for m in stored)


def test_a_mail_server_that_is_down_loses_nothing_and_the_worker_sends_it_later(mailing_app):
    mailing_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())

    response = mailing_app.test_client().post("/test-only/notify/2")

    assert response.status_code == 200
    waiting = _messages()
    assert [m.state for m in waiting] == [OutboxState.WAITING] * 2
    assert all(m.attempts == 1 and "could not reach" in m.last_error for m in waiting)
    assert all(m.next_attempt_at > utcnow() + timedelta(seconds=50) for m in waiting)

    handler = RecordingHandler()
    server = _smtp(handler)
    mailing_app.config.update(SMTP_PORT=server.port)
    try:
        _run_worker(mailing_app)
        assert handler.messages == [], "the worker waits for the retry time"
        for message in waiting:
            message.next_attempt_at = utcnow() - timedelta(seconds=1)
        database_extension.session.commit()
        _run_worker(mailing_app)
    finally:
        server.stop()
    assert [m.state for m in _messages()] == [OutboxState.SENT] * 2
    assert len(set(_message_ids(handler))) == 2


def test_a_refused_message_is_retried_under_the_same_message_id(mailing_app):
    handler = RefusingHandler(refusals=1)
    server = _smtp(handler)
    mailing_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port)
    try:
        mailing_app.test_client().post("/test-only/notify/1")
        [refused] = _messages()
        assert refused.state is OutboxState.WAITING
        assert "451" in refused.last_error
        refused.next_attempt_at = utcnow() - timedelta(seconds=1)
        database_extension.session.commit()
        _run_worker(mailing_app)
    finally:
        server.stop()
    [sent] = _messages()
    assert sent.state is OutboxState.SENT
    assert sent.attempts == 2
    assert _message_ids(handler) == [sent.message_id]


def test_retries_wait_longer_each_time_and_stop_after_the_last_attempt():
    now = utcnow()
    message = OutboxMessage(attempts=0, state=OutboxState.WAITING)
    waits = []
    for _ in range(MAX_ATTEMPTS - 1):
        message.mark_failed_attempt(now, "451 busy")
        waits.append(message.next_attempt_at - now)
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(waits) == timedelta(hours=1)
    assert message.state is OutboxState.WAITING

    message.mark_failed_attempt(now, "451 busy")
    assert message.state is OutboxState.FAILED
    assert message.attempts == MAX_ATTEMPTS
