"""``flask --app wsgi audit-verify`` and ``audit-checkpoint``: check the chain, keep its head."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from portal.audit.chain import ChainHead


def _read_checkpoint(path: Path) -> ChainHead:
    try:
        return ChainHead.from_dict(json.loads(path.read_text()))
    except (OSError, ValueError) as error:
        raise click.BadParameter(f"{path}: {error}", param_hint="--checkpoint") from error


@click.command("audit-verify")
@click.option(
    "--checkpoint",
    "checkpoint_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file written by audit-checkpoint; the chain must still reach it unchanged.",
)
def audit_verify(checkpoint_files: tuple[Path, ...]) -> None:
    """Check the audit chain (and every head shown on a published page); exit 1 if broken."""
    from portal.audit.services import pending_entries, verify_chain

    checkpoints = [_read_checkpoint(path) for path in checkpoint_files]
    fault = verify_chain(checkpoints)
    if fault is not None:
        click.echo(f"Audit chain BROKEN at {fault}", err=True)
        sys.exit(1)
    click.echo("Audit chain intact.")
    _say_pending(pending_entries())


def _say_pending(pending: int) -> None:
    if pending:
        click.echo(
            f"{pending} newer entr{'y is' if pending == 1 else 'ies are'} not chained yet "
            "(the worker chains them within a round)."
        )


@click.command("audit-checkpoint")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def audit_checkpoint(file: Path) -> None:
    """Write the chain's head (entries and last hash) to FILE, for officers to keep."""
    from portal.audit.services import chain_head, pending_entries

    head = chain_head()
    file.write_text(json.dumps(head.as_dict(), indent=2) + "\n")
    click.echo(f"Audit chain head written to {file}: {head}.")
    _say_pending(pending_entries())
