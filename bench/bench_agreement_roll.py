"""Benchmark: an agreement every practice of the demo area has signed up to, read on a date.

What it measures, on SQLite in a temporary directory: the demo area is loaded, and all 141
practices of Staffordshire and Stoke-on-Trent are signed up to its "Document management hub"
(the rows written directly, as the demo does for practices without demo people). Then, each
repeated and the median taken:

* ``roll_on`` (who is in on a day, by PCN, with each practice's share of the cost), and the
  number of SQL statements it runs (it must not grow with the number of practices);
* ``roll_csv`` of that roll;
* the agreement's page and its JSON (``/api/v1/agreements/<id>``) as the LMC officer sees them,
  through the app's test client, end to end.

Run: ``.venv/bin/python bench/bench_agreement_roll.py`` from the repository root.
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy import event  # noqa: E402

from config import load_settings  # noqa: E402
from portal import create_app  # noqa: E402

REPEATS = 20


def _median_ms(work: Callable[[], Any]) -> float:
    timings = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        work()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def main() -> None:
    from flask_migrate import upgrade

    from portal.agreements import rolls
    from portal.agreements.models import Agreement, Signatory
    from portal.database import utcnow
    from portal.demo.loader import load_demo_area
    from portal.extensions import db
    from portal.organisations.models import Organisation, OrganisationKind
    from portal.times import LONDON

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        app = create_app(
            {
                **load_settings("testing"),
                "DATABASE_URL": url,
                "SQLALCHEMY_DATABASE_URI": url,
                "OUTBOX_DIR": folder,
            }
        )
        with app.app_context():
            upgrade()
            load_demo_area()
            hub = db.session.execute(sa.select(Agreement)).scalar_one()
            today = utcnow().astimezone(LONDON).date()
            signed = {s.practice_id for s in hub.signatories}
            for practice in db.session.execute(
                sa.select(Organisation).where(
                    Organisation.kind == OrganisationKind.PRACTICE,
                    Organisation.closed_on.is_(None),
                )
            ).scalars():
                if practice.id not in signed:
                    db.session.add(
                        Signatory(
                            agreement_id=hub.id,
                            practice_id=practice.id,
                            joined_on=today,
                            signed_at=utcnow(),
                            version_number=1,
                        )
                    )
            db.session.commit()
            hub_id, area_slug = hub.id, hub.area.slug

            statements: list[str] = []
            engine = db.engine

            def count(*args: Any) -> None:
                statements.append(str(args[2]))

            db.session.expire_all()
            hub = db.session.get(Agreement, hub_id)
            event.listen(engine, "before_cursor_execute", count)
            roll = rolls.roll_on(hub, today)
            event.remove(engine, "before_cursor_execute", count)
            print(f"practices in on {today}: {len(roll.rows)}, patients {roll.patients:,}")
            print(f"roll_on: {len(statements)} SQL statements")
            print(f"roll_on: {_median_ms(lambda: rolls.roll_on(hub, today)):.1f} ms (median)")
            print(f"roll_csv: {_median_ms(lambda: rolls.roll_csv(roll)):.1f} ms (median)")

        from portal.demo.loader import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD

        client = app.test_client()
        login = client.get("/accounts/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', login)
        assert token is not None
        signed_in = client.post(
            "/accounts/login",
            data={
                "email": f"partner.mayfield@{DEMO_EMAIL_DOMAIN}",
                "password": DEMO_PASSWORD,
                "csrf_token": token.group(1),
            },
        )
        assert signed_in.status_code == 302, signed_in.status_code
        page = f"/areas/{area_slug}/agreements/{hub_id}"
        api = f"/api/v1/agreements/{hub_id}"
        assert client.get(page).status_code == 200
        assert client.get(api).status_code == 200
        print(f"agreement page: {_median_ms(lambda: client.get(page)):.1f} ms (median)")
        print(f"agreement JSON: {_median_ms(lambda: client.get(api)):.1f} ms (median)")


if __name__ == "__main__":
    main()
