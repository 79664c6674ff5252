"""Command-line tasks: ``flask --app wsgi <command>``."""

from __future__ import annotations

import sys

import click
from flask import Flask

from portal.extensions import db


@click.command("audit-verify")
def audit_verify() -> None:
    """Check the audit hash chain; report the first altered, removed or reordered entry."""
    from portal.audit.services import verify_chain

    fault = verify_chain()
    if fault is not None:
        click.echo(f"Audit chain BROKEN at {fault}", err=True)
        sys.exit(1)
    click.echo("Audit chain intact.")


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
    from portal.organisations.commands import import_nhs_command
    from portal.trust.commands import send_trust_reminders_command
    from portal.voting.commands import close_due_votes_command, send_vote_reminders_command

    for command in (
        audit_verify,
        load_demo,
        import_nhs_command,
        close_due_votes_command,
        send_vote_reminders_command,
        send_trust_reminders_command,
    ):
        app.cli.add_command(command)
