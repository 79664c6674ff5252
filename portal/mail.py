"""Email that leaves only after the database has committed.

Services call ``queue_email``; after the request's commit, ``deliver_after_response`` sends the
messages once the response has gone to the browser, so no request waits for (or is timed by)
the mail server; a CLI command calls ``deliver_queued`` after its own commit. With
``PORTAL_SMTP_HOST`` set messages go through SMTP; without it they are written as ``.eml``
files to the outbox folder for a developer to read.
A message that SMTP refuses is kept in the outbox folder too, so nothing is lost.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from flask import Response, current_app, g

from portal.database import utcnow

log = logging.getLogger(__name__)


def queue_email(to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain="gp-collective-voice.invalid")
    message.set_content(body)
    g.setdefault("queued_email", []).append(message)


def discard_queued() -> None:
    g.pop("queued_email", None)


def outbox_dir() -> Path:
    configured = current_app.config.get("OUTBOX_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "outbox"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write_to_outbox(message: EmailMessage) -> Path:
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    path = outbox_dir() / f"{stamp}-{abs(hash(message['Message-ID'])):x}.eml"
    path.write_bytes(bytes(message))
    return path


def _send_smtp(messages: list[EmailMessage]) -> None:
    config = current_app.config
    with smtplib.SMTP(
        config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=config["SMTP_TIMEOUT"]
    ) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config.get("SMTP_USERNAME"):
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
        for message in messages:
            smtp.send_message(message)


def deliver_queued() -> int:
    """Send every queued message; return how many went out."""
    return _deliver(g.pop("queued_email", []))


def deliver_after_response(response: Response) -> None:
    """Send this request's queued messages when ``response`` has been sent and closed.

    Whether an email went out (a password reset for a known address, say) then cannot show
    in how long the response took.
    """
    messages: list[EmailMessage] = g.pop("queued_email", [])
    if not messages:
        return
    app = current_app._get_current_object()

    def send() -> None:
        with app.app_context():
            _deliver(messages)

    response.call_on_close(send)


def _deliver(messages: list[EmailMessage]) -> int:
    if not messages:
        return 0
    if not current_app.config.get("SMTP_HOST"):
        for message in messages:
            _write_to_outbox(message)
        return len(messages)
    try:
        _send_smtp(messages)
    except (OSError, smtplib.SMTPException):
        log.exception("SMTP delivery failed; %d message(s) kept in the outbox", len(messages))
        for message in messages:
            _write_to_outbox(message)
        return 0
    return len(messages)
