"""Benchmark: importing all of England from the published NHS files, twice.

What it measures, on each backend:

* reading and checking the three files (``read_mapping``, ``read_list_sizes``,
  ``read_payments``), each on its own;
* the first import of all of England into an empty database, as ``flask import-nhs`` does it
  (``import_nhs`` then one commit): 6,171 practices, 1,298 PCNs, 6,112 open PCN memberships
  (59 practices are in no PCN), 6,171 registered and 6,152 weighted list size records;
* a second import of the same files, which must change nothing and write no audit entry;
* the same files as ``flask import-nhs --all-icbs`` does them (``import_all_icbs`` then one
  commit): one area per ICB, 42 of them, in a fresh database; then a second such run, which
  must change nothing.

The files are ``../shared/data/nhs/`` beside the repository (or ``PORTAL_NHS_DATA_DIR``): the
January 2026 mapping file, the April 2025 totals file and the 2022-23 "NHS Payments to General
Practice" practice file.

Each import is printed against its target (issue 15): all of England under 2 s on SQLite and
3 s on PostgreSQL the first time, and under 0.5 s on either when nothing has changed; one area
or 42, the same targets. Beside each time is this process's processor time (CPU): on a busy
machine it stays near what a quiet one takes, where the time does not (PostgreSQL's own work is
in the time, not the CPU figure). The clock starts once the app is up (SQLAlchemy's mappers
configured, as in any running portal), so it times the import alone: reading the files,
writing, commit.

Backends: SQLite in a temporary directory, always; PostgreSQL when reachable, in a database
``bench_import_<pid>`` that this script creates and drops (through the server's ``postgres``
database with AUTOCOMMIT), so the test suite's database ``test`` is never touched. The server is
``postgresql+psycopg://postgres@127.0.0.1:5432``, or ``BENCH_POSTGRESQL_URL`` (any database on
the server; only its host and credentials are used). The schema comes from ``db.create_all()``.

Run: ``.venv/bin/python bench/bench_import_england.py`` from the repository root.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from config import load_settings  # noqa: E402
from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.organisations.nhs_files import (  # noqa: E402
    read_list_sizes,
    read_mapping,
    read_payments,
)

DATA = Path(os.environ.get("PORTAL_NHS_DATA_DIR") or ROOT.parent / "shared" / "data" / "nhs")
MAPPING = DATA / "gp-reg-pat-prac-map_2026-01-01.csv"
TOTALS = DATA / "gp-reg-pat-prac-all_2025-04-01.csv"
PAYMENTS = DATA / "nhspaymentsgp-22-23-prac.csv"
POSTGRESQL = os.environ.get("BENCH_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
# One database per run, so two people benchmarking on one server never meet.
BENCH_DATABASE = f"bench_import_{os.getpid()}"
# Seconds: (first import, second import with no changes), by backend.
TARGETS = {"SQLite": (2.0, 0.5), "PostgreSQL": (3.0, 0.5)}


def timed(function: Callable[[], Any]) -> tuple[Any, float, float]:
    """The result, the seconds it took and the seconds of processor time this process spent."""
    started, processor = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - started, time.process_time() - processor


def parse_times() -> None:
    print("Reading and checking the files (in process):")
    for path, reader in (
        (MAPPING, read_mapping),
        (TOTALS, read_list_sizes),
        (PAYMENTS, read_payments),
    ):
        parsed, elapsed, processor = timed(lambda path=path, reader=reader: reader(path))
        print(
            f"  {path.name:40} {len(parsed.rows):6,} rows  {elapsed:6.3f} s"
            f"  (CPU {processor:.3f} s)"
        )


def row_counts() -> dict[str, int]:
    from portal.audit.models import AuditEntry
    from portal.organisations.models import (
        ListSizeMeasure,
        ListSizeRecord,
        Organisation,
        OrganisationKind,
        PcnMembership,
    )

    def count(model: Any, *where: Any) -> int:
        query = sa.select(sa.func.count()).select_from(model).where(*where)
        return db.session.execute(query).scalar_one()

    return {
        "practices": count(Organisation, Organisation.kind == OrganisationKind.PRACTICE),
        "PCNs": count(Organisation, Organisation.kind == OrganisationKind.PCN),
        "open memberships": count(PcnMembership, PcnMembership.valid_to.is_(None)),
        "registered records": count(
            ListSizeRecord, ListSizeRecord.measure == ListSizeMeasure.REGISTERED
        ),
        "weighted records": count(
            ListSizeRecord, ListSizeRecord.measure == ListSizeMeasure.WEIGHTED
        ),
        "audit entries": count(AuditEntry),
    }


def bench(label: str, url: str, all_icbs: bool = False) -> None:
    from portal.organisations.importer import import_all_icbs, import_nhs

    app = create_app({**load_settings("testing"), "DATABASE_URL": url})
    with app.app_context():
        db.create_all()
        sa.orm.configure_mappers()

        def run() -> list[Any]:
            if all_icbs:
                reports = import_all_icbs(MAPPING, TOTALS, PAYMENTS)
            else:
                reports = [import_nhs("england", MAPPING, TOTALS, PAYMENTS)]
            db.session.commit()
            return reports

        first, first_time, first_processor = timed(run)
        after_first = row_counts()
        second, second_time, second_processor = timed(run)
        after_second = row_counts()
        db.session.remove()
        db.engine.dispose()

    if (
        not all(report.changed for report in first)
        or any(report.changed for report in second)
        or after_first != after_second
    ):
        raise SystemExit(f"{label}: the second run changed something")
    what = f"all ICBs, {len(first)} areas" if all_icbs else "one area"
    print(f"{label} ({what}):")
    first_target, second_target = TARGETS[label]
    first_figure = against(first_time, first_processor, first_target)
    second_figure = against(second_time, second_processor, second_target)
    print(f"  first import (parse, write, commit)   : {first_figure}")
    print(f"  second import (no changes, no writes) : {second_figure}")
    print("  rows: " + ", ".join(f"{name} {value:,}" for name, value in after_first.items()))


def against(seconds: float, processor: float, target: float) -> str:
    verdict = "met" if seconds < target else "MISSED"
    return f"{seconds:6.2f} s, CPU {processor:4.2f} s  (target under {target:.1f} s: {verdict})"


def bench_sqlite(all_icbs: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-import-") as directory:
        bench("SQLite", f"sqlite:///{Path(directory) / 'bench.sqlite3'}", all_icbs)


def bench_postgresql(all_icbs: bool) -> None:
    server = sa.engine.make_url(POSTGRESQL)
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}"'))
            connection.execute(sa.text(f'CREATE DATABASE "{BENCH_DATABASE}"'))
    except sa.exc.OperationalError as error:
        print(f"PostgreSQL: skipped, server not reachable ({str(error).splitlines()[0]})")
        admin.dispose()
        return
    try:
        url = server.set(database=BENCH_DATABASE).render_as_string(hide_password=False)
        bench("PostgreSQL", url, all_icbs)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    missing = [path for path in (MAPPING, TOTALS, PAYMENTS) if not path.exists()]
    if missing:
        raise SystemExit(f"missing {', '.join(str(path) for path in missing)}")
    print(f"All of England from {DATA}; Python {sys.version.split()[0]}")
    parse_times()
    for all_icbs in (False, True):
        bench_sqlite(all_icbs)
        bench_postgresql(all_icbs)


if __name__ == "__main__":
    main()
