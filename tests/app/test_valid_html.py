"""Every kind of page is valid HTML: one page of each GET route in Flask's URL map (the walk of
tests/app/page_walk.py), asked by a visitor and by each role of the demo area, has no error in
the Nu HTML Checker. Every HTML answer is checked, a refusal's page (403, 404) as much as a
page that renders; an answer that is not HTML (CSV, JSON, PDF, a feed, an image) is not.

All the pages are written to one temporary directory and checked in one run of the checker
(starting Java costs seconds); a page that several people get byte for byte is written once.
The checker is npm's ``vnu-jar`` (package.json; ``npm ci`` installs it), or the jar named by
``VNU_JAR``; it needs Java 17 or later on ``PATH`` (Debian's ``default-jre-headless``, which
``make browser`` installs). Without either the test fails saying what to install: it never
skips.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from portal.database import utcnow
from portal.demo.loader import load_demo_area
from tests.app.page_walk import demo_arguments, page_path, walked_rules
from tests.app.test_no_server_errors import DEMO_PEOPLE, _sign_in

ROOT = Path(__file__).resolve().parents[2]
NPM_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def _checker() -> list[str]:
    """The command that runs the checker, or a failure saying what is missing."""
    jar = Path(os.environ.get("VNU_JAR") or NPM_JAR)
    if not jar.is_file():
        pytest.fail(f"the Nu HTML Checker is missing at {jar}: run `npm ci` (or set VNU_JAR)")
    java = shutil.which("java")
    if java is None:
        pytest.fail("Java is missing: `sudo apt-get install default-jre-headless` (make browser)")
    return [java, "-jar", str(jar), "--errors-only", "--format", "json"]


def _errors(command: list[str], pages: list[Path]) -> list[dict[str, object]]:
    finished = subprocess.run(
        [*command, *map(str, pages)], capture_output=True, text=True, timeout=600, check=False
    )
    # The JSON report is on standard error; exit status 1 means it lists errors.
    try:
        messages = json.loads(finished.stderr)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"the checker did not report (exit {finished.returncode}): {finished.stderr}")
    return list(messages)


def test_every_page_is_valid_html(app, db, tmp_path, monkeypatch):
    command = _checker()
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    load_demo_area()
    db.session.commit()
    arguments = demo_arguments(utcnow())
    # Each distinct page, by its file, and who got it where.
    seen: dict[str, Path] = {}
    asked: dict[Path, list[str]] = {}
    for person, email in DEMO_PEOPLE.items():
        client = app.test_client()
        if email:
            _sign_in(client, email)
        for rule in walked_rules(app):
            path = page_path(rule, arguments)
            response = client.get(path)
            if response.mimetype != "text/html":
                continue
            body = response.get_data()
            digest = hashlib.sha256(body).hexdigest()
            if digest not in seen:
                seen[digest] = tmp_path / f"page-{len(seen):04}.html"
                seen[digest].write_bytes(body)
            asked.setdefault(seen[digest], []).append(
                f"{path} as {person} ({response.status_code})"
            )
    # The walk renders pages, not only refusals: hundreds of distinct ones (860 in the demo).
    assert len(seen) > 300, len(seen)

    failures = []
    for message in _errors(command, list(asked)):
        page = Path(str(message.get("url", "")).removeprefix("file:"))
        who = asked.get(page, [str(page)])
        where = "; ".join(who[:3]) + (f" and {len(who) - 3} more" if len(who) > 3 else "")
        failures.append(
            f"{where}\n  line {message.get('lastLine')}: {message.get('message')}\n"
            f"  {str(message.get('extract', '')).strip()}"
        )
    assert failures == [], f"{len(failures)} errors:\n" + "\n".join(failures)


def test_the_checker_sees_an_invalid_page(tmp_path):
    """The guard can fail: the error reported on /statements before it was fixed is found."""
    page = tmp_path / "invalid.html"
    page.write_text(
        '<!doctype html><html lang="en"><title>Statements</title>'
        '<table><tr role="row"><td>GPV-2026-001</td></tr></table></html>'
    )
    errors = _errors(_checker(), [page])
    assert [Path(str(error["url"]).removeprefix("file:")) for error in errors] == [page]
    assert "role" in str(errors[0]["message"])
