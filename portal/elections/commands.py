"""Cron task for elections: ``close-due-elections``."""

from __future__ import annotations

import click

from portal.database import utcnow
from portal.elections import closing
from portal.extensions import db
from portal.mail import deliver_queued


@click.command("close-due-elections")
def close_due_elections_command() -> None:
    """Close nominations that are due, and count every election whose voting has closed."""
    done = closing.close_due(utcnow())
    db.session.commit()
    deliver_queued()
    for election, what in done:
        click.echo(f"Election {election.id} ({election.title}): {what}")
    click.echo(f"{len(done)} election step(s) done.")
