"""Email that leaves only after the database has committed, and is never lost.

Services call ``queue_email``: it writes the message to the outbox table (``portal/outbox.py``)
in the same transaction as the change it reports. When ``MAIL_DELIVERY`` is ``"request"``, the
request's own messages are sent once its response has gone to the browser
(``deliver_after_response``), so no request waits for, or is timed by, the mail server; a
command sends its own after its commit (``deliver_queued``). The worker (``deliver_due``, run
by ``flask --app wsgi worker``) sends everything else and retries what failed. With
``PORTAL_SMTP_HOST`` set messages go through SMTP; without it they are written as ``.eml``
files to the outbox folder for a developer to read.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterable
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import sqlalchemy as sa
from flask import Response, current_app, g

from portal.database import utcnow
from portal.extensions import db
from portal.outbox import REQUEST_GRACE, OutboxMessage, OutboxState, due_messages

log = logging.getLogger(__name__)
MESSAGE_ID_DOMAIN = "gp-collective-voice.invalid"


def queue_email(to: str, subject: str, body: str) -> None:
    now = utcnow()
    sends_itself = current_app.config["MAIL_DELIVERY"] == "request"
    message = OutboxMessage(
        message_id=make_msgid(domain=MESSAGE_ID_DOMAIN),
        recipient=to,
        subject=subject,
        body=body,
        created_at=now,
        next_attempt_at=now + REQUEST_GRACE if sends_itself else now,
    )
    db.session.add(message)
    g.setdefault("queued_email", []).append(message)


def discard_queued() -> None:
    """Forget the request's messages; the rollback that goes with this removes their rows."""
    g.pop("queued_email", None)


def outbox_dir() -> Path:
    configured = current_app.config.get("OUTBOX_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "outbox"
    path.mkdir(parents=True, exist_ok=True)
    return path


def as_email(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = message.message_id
    email.set_content(message.body)
    return email


def _write_to_outbox_folder(email: EmailMessage, message: OutboxMessage) -> None:
    stamp = message.created_at.strftime("%Y%m%dT%H%M%S%f")
    (outbox_dir() / f"{stamp}-{message.id}.eml").write_bytes(bytes(email))


def _send(messages: Iterable[OutboxMessage]) -> int:
    """Try each message once, recording the outcome on its row; return how many went."""
    now = utcnow()
    pending = list(messages)
    if not current_app.config.get("SMTP_HOST"):
        for message in pending:
            _write_to_outbox_folder(as_email(message), message)
            message.mark_sent(now)
        return len(pending)
    config = current_app.config
    sent = 0
    try:
        with smtplib.SMTP(
            config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=config["SMTP_TIMEOUT"]
        ) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
            while pending:
                message = pending[0]
                try:
                    smtp.send_message(as_email(message))
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as refusal:
                    # This message was refused; the connection is still good for the rest.
                    message.mark_failed_attempt(now, f"refused: {refusal}")
                else:
                    message.mark_sent(now)
                    sent += 1
                pending.pop(0)
    except (OSError, smtplib.SMTPException) as error:
        log.warning(
            "SMTP delivery failed (%s); %d message(s) wait for a retry", error, len(pending)
        )
        for message in pending:
            message.mark_failed_attempt(now, f"could not reach the mail server: {error}")
    return sent


def deliver_queued() -> int:
    """After a command's own commit: send the messages it queued, if this portal does that."""
    messages: list[OutboxMessage] = g.pop("queued_email", [])
    if not messages:
        return 0
    if current_app.config["MAIL_DELIVERY"] != "request":
        _hand_to_queue(messages)
        return 0
    sent = _send(messages)
    db.session.commit()
    return sent


def deliver_after_response(response: Response) -> None:
    """After the request's commit: send its messages once ``response`` has been sent and closed.

    Whether an email went out (a password reset for a known address, say) then cannot show
    in how long the response took. The rows are read afresh in a context of their own; one the
    worker has sent meanwhile is not sent again.
    """
    messages: list[OutboxMessage] = g.pop("queued_email", [])
    if not messages:
        return
    if current_app.config["MAIL_DELIVERY"] != "request":
        _hand_to_queue(messages)
        return
    ids = _ids(messages)
    app = current_app._get_current_object()

    def send() -> None:
        with app.app_context():
            deliver_messages(ids)

    response.call_on_close(send)


def _ids(messages: list[OutboxMessage]) -> list[int]:
    # The identity, unlike the expired attribute, is known without asking the database again.
    return [sa.inspect(message).identity[0] for message in messages]


def _hand_to_queue(messages: list[OutboxMessage]) -> None:
    """With Redis a worker is told at once; without it, the worker's next sweep finds them."""
    from portal.queue import enqueue_delivery

    enqueue_delivery(_ids(messages))


def deliver_messages(ids: Iterable[int]) -> int:
    """Send those of these outbox messages still waiting (none the worker sent meanwhile)."""
    query = sa.select(OutboxMessage).where(
        OutboxMessage.id.in_(list(ids)), OutboxMessage.state == OutboxState.WAITING
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # A sweep sending the same rows at this moment skips them, and this skips its rows.
        query = query.with_for_update(skip_locked=True)
    sent = _send(list(db.session.execute(query).scalars()))
    db.session.commit()
    return sent


def deliver_due(limit: int = 100) -> int:
    """The worker's round: send the waiting messages whose time has come; return how many."""
    sent = _send(due_messages(db.session, utcnow(), limit))
    db.session.commit()
    return sent
