"""Benchmark: Lighthouse scores of the public pages against issue 15's targets.

What it measures: Lighthouse's performance, accessibility and best-practices scores of each
public page a visitor who is not signed in meets -- the home page, sign-in, the statements list
and a published statement -- with Lighthouse's defaults (a mobile phone, simulated slow 4G and a
4x slower processor). The portal is served as ``make run`` serves it, the demo area loaded, but
under gunicorn (2 workers) from a temporary SQLite database, with the assets as
``scripts/build_assets.py`` built them. Each page is measured ``--runs`` times and the median of
each score is printed beside its target: performance at least 0.95, accessibility 1.0, best
practices at least the figure before this work (``BEST_PRACTICES_BEFORE``).

The NHS.UK webfonts come from assets.nhs.uk, which this machine may not reach: Lighthouse is
told to block that host, so every run measures the same thing (the page as it is with the
fallback fonts, which is also what a visitor sees while the webfonts load, since they are
declared ``font-display: swap``).

Needs Chromium (``make browser``) and Lighthouse 12.2.3 (13 needs Node 22): from
``node_modules`` after ``npm ci`` (a development dependency), or named with ``--lighthouse``
(``cd /tmp/lh && npm i -E lighthouse@12.2.3`` gives ``/tmp/lh/node_modules/.bin/lighthouse``).

Run: ``.venv/bin/python bench/bench_lighthouse.py [--runs 3] [--lighthouse PATH]`` from the
repository root (``make bench`` runs it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage "
    "--disable-background-networking --disable-component-update --disable-sync --no-first-run"
)
CATEGORIES = ("performance", "accessibility", "best-practices")
TARGETS = {"performance": 0.95, "accessibility": 1.0}
# Best practices as Lighthouse 12.2.3 scored these pages before issue 15's work on the CSS.
BEST_PRACTICES_BEFORE = 1.0
BLOCKED = "https://assets.nhs.uk/*"
ATTEMPTS = 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lighthouse_command(given: str | None) -> list[str]:
    candidates = [Path(given)] if given else [ROOT / "node_modules" / ".bin" / "lighthouse"]
    for candidate in candidates:
        if candidate.exists():
            return [str(candidate)]
    raise SystemExit(
        "bench_lighthouse: Lighthouse is missing: `npm ci` (it is a development dependency), "
        "or `cd /tmp/lh && npm i -E lighthouse@12.2.3` and --lighthouse "
        "/tmp/lh/node_modules/.bin/lighthouse"
    )


def prepare_portal(folder: Path) -> tuple[dict[str, str], str]:
    """A database with the demo area; returns the portal's environment and a public statement."""
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")},
        "PORTAL_ENV": "development",
        "PORTAL_DATABASE_URL": f"sqlite:///{folder / 'portal.sqlite3'}",
        "PORTAL_OUTBOX_DIR": str(folder / "outbox"),
        "PORTAL_UPLOAD_DIR": str(folder / "uploads"),
    }
    flask = [str(VENV_BIN / "flask"), "--app", "wsgi"]
    for command in (["db", "upgrade"], ["load-demo"]):
        subprocess.run([*flask, *command], cwd=ROOT, env=env, check=True, capture_output=True)
    found = subprocess.run(
        [
            str(VENV_BIN / "python"),
            "-c",
            "from wsgi import app\n"
            "from portal.extensions import db\n"
            "from portal.statements.models import Statement\n"
            "from portal.positions.models import Tier\n"
            "import sqlalchemy as sa\n"
            "with app.app_context():\n"
            "    print(db.session.scalar(sa.select(Statement.reference)"
            ".where(Statement.tier == Tier.PUBLIC).order_by(Statement.id)))\n",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    reference = found.stdout.strip().splitlines()[-1]
    if not reference.startswith("GPV-"):
        raise SystemExit(f"the demo has no public statement: {found.stdout}{found.stderr}")
    return env, reference


def wait_until_serving(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5):  # noqa: S310 (loopback)
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start: see {log}") from None
            time.sleep(0.2)


def audit(lighthouse: list[str], url: str, folder: Path) -> dict[str, float]:
    """One Lighthouse run of ``url``, tried again when Lighthouse itself fails (on a loaded
    machine it sometimes loses the trace: NO_NAVSTART)."""
    for _attempt in range(ATTEMPTS - 1):
        try:
            return _audit_once(lighthouse, url, folder)
        except LighthouseFailed as failure:
            print(f"  (tried again: {failure})", file=sys.stderr)
    return _audit_once(lighthouse, url, folder)


class LighthouseFailed(Exception):
    pass


def _audit_once(lighthouse: list[str], url: str, folder: Path) -> dict[str, float]:
    report = folder / "report.json"
    result = subprocess.run(
        [
            *lighthouse,
            url,
            "--quiet",
            "--output=json",
            f"--output-path={report}",
            f"--only-categories={','.join(CATEGORIES)}",
            f"--chrome-path={CHROMIUM}",
            f"--chrome-flags={CHROME_FLAGS}",
            f"--blocked-url-patterns={BLOCKED}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CHROME_PATH": CHROMIUM},
    )
    if result.returncode != 0 or not report.exists():
        raise LighthouseFailed(f"lighthouse failed on {url}: {result.stdout}{result.stderr}")
    categories = json.loads(report.read_text())["categories"]
    report.unlink()
    return {name: float(categories[name]["score"] or 0) for name in CATEGORIES}


def verdict(category: str, score: float) -> str:
    target = TARGETS.get(category, BEST_PRACTICES_BEFORE)
    return f"{score:.2f} ({'meets' if score >= target else 'BELOW'} {target:.2f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs of each page")
    parser.add_argument("--lighthouse", help="the lighthouse command (default: node_modules)")
    options = parser.parse_args()
    lighthouse = lighthouse_command(options.lighthouse)
    if not Path(CHROMIUM).exists():
        print(f"bench_lighthouse: {CHROMIUM} is missing: make browser", file=sys.stderr)
        return 1
    folder = Path(tempfile.mkdtemp(prefix="bench-lighthouse-"))
    env, reference = prepare_portal(folder)
    pages = {
        "home": "/",
        "sign-in": "/accounts/login",
        "statements": "/statements",
        "a statement": f"/statements/{reference}",
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = folder / "gunicorn.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    print(
        f"Lighthouse (mobile, default throttling), median of {options.runs} runs a page; "
        f"gunicorn -w 2, demo area, {os.cpu_count()} cores shared with whatever else runs"
    )
    below = 0
    try:
        wait_until_serving(base, process, log)
        for name, path in pages.items():
            runs = [audit(lighthouse, base + path, folder) for _ in range(options.runs)]
            medians = {c: statistics.median(run[c] for run in runs) for c in CATEGORIES}
            below += sum(medians[c] < TARGETS.get(c, BEST_PRACTICES_BEFORE) for c in CATEGORIES)
            print(
                f"{name:12} {path:28} "
                + "  ".join(f"{c} {verdict(c, medians[c])}" for c in CATEGORIES)
            )
    finally:
        process.terminate()
        process.wait(timeout=30)
    shutil.rmtree(folder, ignore_errors=True)
    print("every page meets its targets" if not below else f"{below} scores BELOW target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
