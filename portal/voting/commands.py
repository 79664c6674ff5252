"""Cron tasks for votes: ``close-due-votes`` and ``send-vote-reminders``."""

from __future__ import annotations

import click

from portal.database import utcnow
from portal.extensions import db
from portal.mail import deliver_queued
from portal.voting import closing, notices, public


@click.command("close-due-votes")
def close_due_votes_command() -> None:
    """Close every open vote whose closing time has passed, and count it (once)."""
    closed = closing.close_due_votes(utcnow())
    db.session.commit()
    deliver_queued()
    for vote in closed:
        click.echo(f"Closed vote {vote.id} ({vote.title}): {public.outcome(vote)}")
    click.echo(f"{len(closed)} vote(s) closed.")


@click.command("send-vote-reminders")
def send_vote_reminders_command() -> None:
    """Remind those who have not voted, once, when a vote closes within 24 hours."""
    sent = notices.send_reminders(utcnow())
    db.session.commit()
    delivered = deliver_queued()
    click.echo(f"{sent} reminder(s) queued, {delivered} sent.")
