"""Command-line tasks: ``flask --app wsgi <command>``."""

from __future__ import annotations

import sys

import click
from flask import Flask

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


def init_app(app: Flask) -> None:
    from portal.audit.commands import audit_checkpoint, audit_verify
    from portal.organisations.commands import import_nhs_command
    from portal.voting.commands import close_due_votes_command, send_vote_reminders_command

    for command in (
        audit_verify,
        audit_checkpoint,
        load_demo,
        import_nhs_command,
        close_due_votes_command,
        send_vote_reminders_command,
    ):
        app.cli.add_command(command)
