"""Email that leaves only after the database has committed, and is never lost.

Services call ``queue_email``: it writes the message to the outbox table (``portal/outbox.py``)
in the same transaction as the change it reports. When ``MAIL_DELIVERY`` is ``"request"``, the
request's own messages are sent once its response has gone to the browser
(``deliver_after_response``), so no request waits for, or is timed by, the mail server; a
command sends its own after its commit (``deliver_queued``). The worker (``deliver_due``, run
by ``flask --app wsgi worker``) sends everything else and retries what failed. With
``PORTAL_SMTP_HOST`` set messages go through SMTP; without it they are written as ``.eml``
files to the outbox folder for a developer to read.

Each email is queued with a kind (``portal.notifications.kinds.Kind``); the recipient's
preference for that kind decides here whether it is written to the outbox, held for their
digest, or dropped, so no domain needs to know about preferences. Every email goes as plain
text (the canonical wording, as the service wrote it) with an HTML alternative in the NHS.UK
style rendered from the same text, and each ends with a link to the recipient's preferences.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Iterable
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import cast

import sqlalchemy as sa
from flask import Response, current_app, g, render_template

from portal.database import utcnow
from portal.extensions import db
from portal.notifications import services as notifications
from portal.notifications.kinds import Frequency, Kind
from portal.organisations.models import Area
from portal.outbox import REQUEST_GRACE, OutboxMessage, OutboxState, due_messages

log = logging.getLogger(__name__)
MESSAGE_ID_DOMAIN = "gp-collective-voice.invalid"
LINK = re.compile(r"https?://[^\s<>\"]+")


def queue_email(
    to: str,
    subject: str,
    body: str,
    *,
    kind: Kind = Kind.PERSONAL,
    area: Area | None = None,
) -> None:
    """Queue an email of ``kind`` as its recipient wants that kind: at once, in a digest, or not.

    ``area`` is the area whose administrators see the message in their outbox page; by
    default the area of the page that caused it (none for a scheduled job that names none).
    A digest links to an email it holds by the last link in its ``body``.
    """
    shown_in = area if area is not None else g.get("area")
    area_id = shown_in.id if shown_in is not None else None
    user, frequency = notifications.delivery_for(to, kind)
    if frequency is Frequency.OFF:
        return
    if user is not None and frequency is not Frequency.IMMEDIATE:
        links = LINK.findall(body)
        notifications.hold_for_digest(
            user,
            kind,
            frequency,
            subject,
            links[-1] if links else None,
            area_id,
            utcnow(),
        )
        return
    write_message(to, subject, body, kind=kind, area_id=area_id, user_id=user.id if user else None)


def write_message(
    to: str, subject: str, body: str, *, kind: Kind, area_id: int | None, user_id: int | None
) -> OutboxMessage:
    """Write one message to the outbox, to go at once whatever anyone's preferences."""
    now = utcnow()
    sends_itself = current_app.config["MAIL_DELIVERY"] == "request"
    message = OutboxMessage(
        message_id=make_msgid(domain=MESSAGE_ID_DOMAIN),
        recipient=to,
        subject=subject,
        body=body,
        kind=kind.value,
        area_id=area_id,
        user_id=user_id,
        created_at=now,
        next_attempt_at=now + REQUEST_GRACE if sends_itself else now,
    )
    db.session.add(message)
    g.setdefault("queued_email", []).append(message)
    return message


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
    footer, link = _footer(message)
    if message.user_id is not None and _kind_of(message).choosable:
        # Mail programs offer this as their own "unsubscribe"; it opens the same page.
        email["List-Unsubscribe"] = f"<{link}>"
    text = message.body.rstrip("\n")
    email.set_content(f"{text}\n\n--\n{footer}\n{link}\n")
    email.add_alternative(
        render_template(
            "email/message.html",
            subject=message.subject,
            paragraphs=[_segments(paragraph) for paragraph in re.split(r"\n\s*\n", text)],
            footer=footer,
            link=link,
        ),
        subtype="html",
    )
    return email


def _kind_of(message: OutboxMessage) -> Kind:
    try:
        return Kind(message.kind)
    except ValueError:
        # A kind this version does not know (written by a newer one) goes as one nobody chose.
        return Kind.PERSONAL


def _footer(message: OutboxMessage) -> tuple[str, str]:
    """The sentence at the foot of an email and the preferences link it ends with."""
    kind = _kind_of(message)
    link = notifications.preferences_link(message.user_id, kind)
    if message.user_id is None:
        return "Once you have an account, choose which emails you get here:", link
    if kind is Kind.DIGEST:
        return "You chose to get these in a digest. Change how you get each kind of email:", link
    if not kind.choosable:
        return "This email cannot be turned off. Choose how you get other emails:", link
    if Frequency.OFF in kind.choices:
        return f"{kind.label}: to get these in a digest, or stop them:", link
    return f"{kind.label}: to get these in a digest instead:", link


def _segments(paragraph: str) -> list[list[tuple[str, bool]]]:
    """A paragraph's lines, each as pieces of text and links, for the HTML template to escape."""
    lines = []
    for line in paragraph.strip("\n").split("\n"):
        pieces: list[tuple[str, bool]] = []
        position = 0
        for match in LINK.finditer(line):
            if match.start() > position:
                pieces.append((line[position : match.start()], False))
            pieces.append((match.group(0), True))
            position = match.end()
        if position < len(line):
            pieces.append((line[position:], False))
        lines.append(pieces)
    return lines


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
    if not messages or current_app.config["MAIL_DELIVERY"] != "request":
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
    if not messages or current_app.config["MAIL_DELIVERY"] != "request":
        return
    # The identity, unlike the expired attribute, is known without asking the database again.
    ids = [cast(tuple[int], sa.inspect(message).identity)[0] for message in messages]
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def send() -> None:
        with app.app_context():
            waiting = db.session.execute(
                sa.select(OutboxMessage).where(
                    OutboxMessage.id.in_(ids), OutboxMessage.state == OutboxState.WAITING
                )
            ).scalars()
            _send(list(waiting))
            db.session.commit()

    response.call_on_close(send)


def deliver_due(limit: int = 100) -> int:
    """The worker's round: send the waiting messages whose time has come; return how many."""
    sent = _send(due_messages(db.session, utcnow(), limit))
    db.session.commit()
    return sent
