"""``flask --app wsgi import-nhs``: import the published NHS files into an area."""

from __future__ import annotations

import os
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
DIRECTORY = click.Path(exists=True, file_okay=False, readable=True, path_type=Path)
# The published national files live beside the repository (../shared/data/nhs) unless
# PORTAL_NHS_DATA_DIR names another folder; their names carry the publication date.
NATIONAL_FILES = {
    "mapping": "gp-reg-pat-prac-map*.csv",
    "list_sizes": "gp-reg-pat-prac-all*.csv",
    "payments": "nhspaymentsgp-*-prac.csv",
}


def national_data_dir() -> Path:
    configured = os.environ.get("PORTAL_NHS_DATA_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2].parent / "shared" / "data" / "nhs"


def _latest(directory: Path, pattern: str) -> Path | None:
    """The newest publication matching ``pattern``: names sort by their dates."""
    found = sorted(directory.glob(pattern))
    return found[-1] if found else None


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
    help="Mapping file gp-reg-pat-prac-map.csv (practice -> PCN, sub-ICB, ICB); "
    "default: the newest in --data-dir.",
)
@click.option(
    "--list-sizes",
    type=FILE,
    help="Totals file gp-reg-pat-prac-all.csv (registered patients per practice); "
    "default: the newest in --data-dir.",
)
@click.option(
    "--payments",
    type=FILE,
    help="Practice-level 'NHS Payments to General Practice' CSV (weighted list sizes); "
    "default: the newest in --data-dir, when --mapping is not given either.",
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
@click.option("--area", "area_slug", metavar="SLUG", help="The area's slug.")
@click.option("--area-name", metavar="NAME", help="Name of the area (default: the ICB's name).")
@click.option(
    "--all-icbs",
    is_flag=True,
    help="One area per ICB (all 42), created or updated in one run, instead of --area.",
)
@click.option(
    "--data-dir",
    type=DIRECTORY,
    help="Folder of the published national files (default: PORTAL_NHS_DATA_DIR, or "
    "../shared/data/nhs beside the repository).",
)
@with_appcontext
def import_nhs_command(
    mapping: Path | None,
    list_sizes: Path | None,
    payments: Path | None,
    payments_date: date | None,
    icb: str | None,
    sub_icb: str | None,
    area_slug: str | None,
    area_name: str | None,
    all_icbs: bool,
    data_dir: Path | None,
) -> None:
    """Import practices, PCNs, list sizes and PCN membership from the NHS files.

    Without --icb or --sub-icb the area is all of England; with --all-icbs every ICB gets
    its own area. Every file is checked first; a faulty file is refused with its name and
    line, and nothing is written. Running the same files again changes nothing.
    """
    from portal.organisations.importer import import_all_icbs, import_nhs

    if all_icbs and (area_slug or area_name or icb or sub_icb):
        raise click.UsageError("--all-icbs names its own areas: leave out --area, --icb, --sub-icb")
    if not all_icbs and not area_slug:
        raise click.UsageError("give --area SLUG, or --all-icbs")
    if payments_date is not None and payments is None and mapping is not None:
        raise click.UsageError("--payments-date needs --payments")
    mapping, list_sizes, payments = _files(mapping, list_sizes, payments, data_dir)
    started = time.perf_counter()
    try:
        if all_icbs:
            reports = import_all_icbs(
                mapping, list_sizes, payments, actor=None, payments_as_of=payments_date
            )
        else:
            assert area_slug is not None
            reports = [
                import_nhs(
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
            ]
    except DomainError as refusal:
        db.session.rollback()
        click.echo(f"Refused: {refusal.message}", err=True)
        sys.exit(1)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    elapsed = time.perf_counter() - started
    changed = sum(report.changed for report in reports)
    if all_icbs:
        # Forty-two full reports would bury the answer: one line per area, as audited.
        for report in reports:
            click.echo(f"{report.summary()} [{report.area_name}]")
        click.echo(f"{len(reports)} areas, {changed} changed.")
    else:
        click.echo(str(reports[0]))
    click.echo(f"Done in {elapsed:.2f} s" + ("." if changed else " (nothing written)."))


def _files(
    mapping: Path | None, list_sizes: Path | None, payments: Path | None, data_dir: Path | None
) -> tuple[Path, Path, Path | None]:
    """The files given, or the newest national ones for those left out."""
    if mapping is not None and list_sizes is not None:
        return mapping, list_sizes, payments
    directory = data_dir or national_data_dir()
    found = {name: _latest(directory, pattern) for name, pattern in NATIONAL_FILES.items()}
    mapping = mapping or found["mapping"]
    list_sizes = list_sizes or found["list_sizes"]
    if mapping is None or list_sizes is None:
        raise click.UsageError(
            f"no mapping and totals files in {directory}: give --mapping and --list-sizes, "
            "or --data-dir"
        )
    return mapping, list_sizes, payments or found["payments"]
