"""Cron task for the trust pulse: ``send-trust-reminders``."""

from __future__ import annotations

import click

from portal.database import utcnow
from portal.extensions import db
from portal.mail import deliver_queued
from portal.trust import services


@click.command("send-trust-reminders")
def send_trust_reminders_command() -> None:
    """Remind, once per open round, everyone who has not answered it."""
    sent = services.send_reminders(utcnow())
    db.session.commit()
    delivered = deliver_queued()
    click.echo(f"{sent} trust pulse reminder(s) queued, {delivered} sent.")
