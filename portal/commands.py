"""Command-line tasks: ``flask --app wsgi <command>``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app

from portal.extensions import db


@click.command("load-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the demo area already exists.")
def load_demo(if_empty: bool) -> None:
    """Load the demo area: real Staffordshire and Stoke-on-Trent practices, demo people."""
    from portal.demo.loader import DemoRefused, load_demo_area

    try:
        message = load_demo_area(if_empty=if_empty)
    except DemoRefused as refusal:
        db.session.rollback()
        click.echo(f"Refused: {refusal}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(message)


@click.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(destination: Path) -> None:
    """Write a consistent copy of the portal's database to DESTINATION."""
    from portal.backup import BackupError, backup

    try:
        backup(current_app.config["DATABASE_URL"], destination)
    except BackupError as error:
        click.echo(f"Backup failed: {error}", err=True)
        sys.exit(1)
    click.echo(f"Backed up to {destination}.")


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite a database that already holds tables.")
def restore_command(source: Path, replace: bool) -> None:
    """Load a backup made by ``backup`` into the portal's database."""
    from portal.backup import BackupError, restore

    db.engine.dispose()
    try:
        restore(current_app.config["DATABASE_URL"], source, replace=replace)
    except BackupError as error:
        click.echo(f"Restore failed: {error}", err=True)
        sys.exit(1)
    click.echo(f"Restored from {source}.")


@click.command("worker")
@click.option("--once", is_flag=True, help="Run one round of the scheduled work, then stop.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
@click.option(
    "--burst", is_flag=True, help="With Redis: run the jobs waiting on the queue, then stop."
)
def worker_command(once: bool, interval: float, burst: bool) -> None:
    """Close due votes, remind voters and send the outbox's email, round after round.

    With PORTAL_REDIS_URL set this is an RQ worker, and `flask scheduler` enqueues the rounds;
    without it, it polls the database every --interval seconds.
    """
    from portal.queue import redis_url, run_worker
    from portal.worker import run_forever, run_round

    if once:
        for report in run_round():
            click.echo(report)
        return
    if redis_url() is not None:
        run_worker(burst=burst)
        return
    if burst:
        raise click.UsageError("--burst needs PORTAL_REDIS_URL (the queue)")
    run_forever(interval)


@click.command("scheduler")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
def scheduler_command(interval: float) -> None:
    """With PORTAL_REDIS_URL: put a round of scheduled work on the queue every --interval."""
    from portal.queue import redis_url, run_scheduler

    if redis_url() is None:
        raise click.UsageError(
            "the scheduler needs PORTAL_REDIS_URL; without Redis, `flask worker` runs the rounds"
        )
    run_scheduler(interval)


def init_app(app: Flask) -> None:
    from portal.audit.commands import audit_checkpoint, audit_verify
    from portal.elections.commands import close_due_elections_command
    from portal.organisations.commands import import_nhs_command
    from portal.trust.commands import send_trust_reminders_command
    from portal.voting.commands import close_due_votes_command, send_vote_reminders_command

    for command in (
        audit_verify,
        backup_command,
        restore_command,
        audit_checkpoint,
        load_demo,
        worker_command,
        scheduler_command,
        import_nhs_command,
        close_due_votes_command,
        send_vote_reminders_command,
        close_due_elections_command,
        send_trust_reminders_command,
    ):
        app.cli.add_command(command)
