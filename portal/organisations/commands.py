"""``flask --app wsgi import-nhs``: import the published NHS files into an area."""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext

from portal.errors import DomainError
from portal.extensions import db
from portal.times import parse_date

FILE = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)


def _iso_date(context: click.Context, parameter: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2023-03-31") from None


@click.command("import-nhs")
@click.option(
    "--mapping",
    type=FILE,
    required=True,
    help="Mapping file gp-reg-pat-prac-map.csv (practice -> PCN, sub-ICB, ICB).",
)
@click.option(
    "--list-sizes",
    type=FILE,
    required=True,
    help="Totals file gp-reg-pat-prac-all.csv (registered patients per practice).",
)
@click.option(
    "--payments",
    type=FILE,
    help="Practice-level 'NHS Payments to General Practice' CSV (weighted list sizes).",
)
@click.option(
    "--payments-date",
    callback=_iso_date,
    metavar="YYYY-MM-DD",
    help="As-of date of the payments figures; default: the end of the financial year in the "
    "file name (nhspaymentsgp-22-23-prac.csv -> 2023-03-31).",
)
@click.option("--icb", metavar="CODE", help="Only this ICB (ICB_CODE, e.g. QNC).")
@click.option("--sub-icb", metavar="CODE", help="Only this sub-ICB location (e.g. 05W).")
@click.option("--area", "area_slug", required=True, metavar="SLUG", help="The area's slug.")
@click.option("--area-name", metavar="NAME", help="Name of the area (default: the ICB's name).")
@with_appcontext
def import_nhs_command(
    mapping: Path,
    list_sizes: Path,
    payments: Path | None,
    payments_date: date | None,
    icb: str | None,
    sub_icb: str | None,
    area_slug: str,
    area_name: str | None,
) -> None:
    """Import practices, PCNs, list sizes and PCN membership from the NHS files.

    Without --icb or --sub-icb the area is all of England. Every file is checked first; a
    faulty file is refused with its name and line, and nothing is written. Running the same
    files again changes nothing.
    """
    from portal.organisations.importer import import_nhs

    if payments_date is not None and payments is None:
        raise click.UsageError("--payments-date needs --payments")
    started = time.perf_counter()
    try:
        report = import_nhs(
            area_slug,
            mapping,
            list_sizes,
            payments,
            icb=icb,
            sub_icb=sub_icb,
            area_name=area_name,
            actor=None,
            payments_as_of=payments_date,
        )
    except DomainError as refusal:
        db.session.rollback()
        click.echo(f"Refused: {refusal.message}", err=True)
        sys.exit(1)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    elapsed = time.perf_counter() - started
    click.echo(str(report))
    click.echo(f"Done in {elapsed:.2f} s" + ("." if report.changed else " (nothing written)."))
