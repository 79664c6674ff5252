"""Benchmark: published statements against the stack's ceiling, over HTTP with ``wrk``.

What it measures: requests a second, for a visitor who is not signed in, of each surface of a
published statement of the demo area -- its page, the index, the Atom feed, the API's list and
the API's item -- served by the portal under gunicorn (4 sync workers), and of a bare Flask app
that renders through Jinja exactly the same bytes (the body fetched from the portal once, handed
to a one-line template), under the same gunicorn. ``wrk`` (Debian's package) drives each with 50
connections on 2 threads. The two sides alternate, round after round, in the same run, so a
machine loaded by something else weighs on both alike; the figure of each side is the median of
its rounds. The target (issue 15): the portal at least 0.8 of the bare app.

On a machine shared with other work the rates swing with everyone else's load, so each side's
processor time per request is printed too: the user and system time its gunicorn workers spent
during a ``wrk`` run (from ``/proc``), over the requests answered. Other work slows a request's
wall time far more than the processor time it takes, so that ratio (bare over portal) is the
steadier figure of the two.

The portal runs on SQLite in a temporary folder, the schema from the migrations and the demo
area loaded (``load-demo``), with the testing settings (fixed keys, no rate limits, no Redis: its
statement cache is then each worker's own memory, as under ``make run``). Each portal round is
served with the statements' cache warm in every worker (a second of load, not counted, before
the rounds of each surface), which is the steady state: a published statement
changes only when it is superseded, withdrawn, signed or answered.

Run: ``.venv/bin/python bench/bench_statements.py [--seconds 5] [--rounds 3] [--only page]``
from the repository root (``make bench`` runs it). Needs ``wrk`` (``apt-get install wrk``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
TARGET = 0.8
WORKERS = 4
CONNECTIONS = 50
WARM_UP_SECONDS = 1
THREADS = 2
REQUESTS_PER_SECOND = re.compile(r"Requests/sec:\s+([\d.]+)")
REQUESTS_DONE = re.compile(r"(\d+) requests in ")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")

BARE_APP = textwrap.dedent(
    '''
    """The stack's ceiling: Flask rendering one Jinja template with the same bytes."""
    from pathlib import Path

    from flask import Flask, Response, render_template_string

    FOLDER = Path(__file__).parent
    app = Flask(__name__)
    PAGES = {
        path.stem: (path.read_text(encoding="utf-8"), (FOLDER / f"{path.stem}.type").read_text())
        for path in FOLDER.glob("*.body")
    }

    @app.get("/<name>")
    def page(name: str) -> Response:
        body, mimetype = PAGES[name]
        return Response(render_template_string("{{ body|safe }}", body=body), mimetype=mimetype)
    '''
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback only)
        return response.status, response.headers.get_content_type(), response.read()


def workers_cpu_seconds(master: int) -> float:
    """User and system time of a gunicorn master's workers so far (Linux ``/proc``)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return sum(process_cpu_ticks(Path(f"/proc/{child}/stat")) for child in children) / CLOCK_TICKS


def process_cpu_ticks(stat: Path) -> int:
    """A process's user and system time so far, in clock ticks, from its ``/proc`` stat file
    (0 once it has gone)."""
    try:
        fields = stat.read_text().rpartition(")")[2].split()
    except OSError:
        return 0
    # utime and stime: the 14th and 15th fields of stat, the 12th and 13th after the name.
    return int(fields[11]) + int(fields[12])


@dataclass
class Server:
    base: str
    pid: int


@contextmanager
def gunicorn(app: str, folder: Path, env: dict[str, str]) -> Iterator[Server]:
    port = free_port()
    log = (folder / f"gunicorn-{port}.log").open("w")
    process = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "-w",
            str(WORKERS),
            "-b",
            f"127.0.0.1:{port}",
            "--preload",
            "--access-logfile",
            "/dev/null",
            app,
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                fetch(f"{base}/healthz" if "wsgi" in app else f"{base}/none")
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn {app} did not start: see {log.name}") from None
                time.sleep(0.2)
        yield Server(base, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@dataclass
class Run:
    rate: float
    cpu_ms_per_request: float


def wrk(url: str, seconds: int, server: Server) -> Run:
    before = workers_cpu_seconds(server.pid)
    result = subprocess.run(
        [
            "wrk",
            f"-t{THREADS}",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    spent = workers_cpu_seconds(server.pid) - before
    bad = NON_2XX.search(result.stdout)
    if bad:
        raise SystemExit(f"{url}: {bad.group(1)} responses were not 2xx:\n{result.stdout}")
    found = REQUESTS_PER_SECOND.search(result.stdout)
    done = REQUESTS_DONE.search(result.stdout)
    if found is None or done is None:
        raise SystemExit(f"wrk printed no rate for {url}:\n{result.stdout}{result.stderr}")
    return Run(float(found.group(1)), spent * 1000 / max(int(done.group(1)), 1))


def prepare_portal(folder: Path) -> tuple[dict[str, str], str]:
    """A database with the demo area; returns the portal's environment and a statement."""
    env = {
        **os.environ,
        "PORTAL_ENV": "testing",
        "PORTAL_DATABASE_URL": f"sqlite:///{folder / 'portal.sqlite3'}",
        "PORTAL_OUTBOX_DIR": str(folder / "outbox"),
        "PORTAL_UPLOAD_DIR": str(folder / "uploads"),
    }
    env.pop("PORTAL_REDIS_URL", None)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of one wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each side, alternating")
    parser.add_argument("--only", help="one surface: page, index, atom, api-list, api-item")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench_statements: wrk is missing: apt-get install wrk", file=sys.stderr)
        return 1
    folder = Path(tempfile.mkdtemp(prefix="bench-statements-"))
    env, reference = prepare_portal(folder)
    surfaces = {
        "page": f"/statements/{reference}",
        "index": "/statements",
        "atom": "/statements.atom",
        "api-list": "/api/v1/statements",
        "api-item": f"/api/v1/statements/{reference}",
    }
    if options.only:
        surfaces = {options.only: surfaces[options.only]}
    bare = folder / "bare"
    bare.mkdir()
    (bare / "bare_app.py").write_text(BARE_APP)
    print(
        f"statements over HTTP: gunicorn -w {WORKERS}, wrk -t{THREADS} -c{CONNECTIONS} "
        f"-d{options.seconds}s, {options.rounds} alternating rounds a side, medians; "
        f"{os.cpu_count()} cores, shared with whatever else runs on this machine"
    )
    with gunicorn("wsgi:app", folder, env) as portal:
        for name, path in surfaces.items():
            status, mimetype, body = fetch(portal.base + path)
            assert status == 200, (name, status)
            (bare / f"{name}.body").write_bytes(body)
            (bare / f"{name}.type").write_text(mimetype)
        bare_env = {**os.environ, "PYTHONPATH": str(bare)}
        with gunicorn("bare_app:app", folder, bare_env) as ceiling:
            for name, path in surfaces.items():
                sizes = len((bare / f"{name}.body").read_bytes())
                # Every worker holds its own copy of the cache: one second of load, not
                # counted, has each of them answer once before the rounds measure them.
                wrk(portal.base + path, WARM_UP_SECONDS, portal)
                wrk(f"{ceiling.base}/{name}", WARM_UP_SECONDS, ceiling)
                portal_runs, bare_runs = [], []
                for _round in range(options.rounds):
                    portal_runs.append(wrk(portal.base + path, options.seconds, portal))
                    bare_runs.append(wrk(f"{ceiling.base}/{name}", options.seconds, ceiling))
                ours = statistics.median(run.rate for run in portal_runs)
                theirs = statistics.median(run.rate for run in bare_runs)
                our_cpu = statistics.median(run.cpu_ms_per_request for run in portal_runs)
                their_cpu = statistics.median(run.cpu_ms_per_request for run in bare_runs)
                ratio = ours / theirs
                verdict = "meets" if ratio >= TARGET else "BELOW"
                print(
                    f"{name:9} {path:32} {sizes / 1024:5.1f} KB  portal {ours:7.0f} req/s  "
                    f"bare Flask+Jinja {theirs:7.0f} req/s  ratio {ratio:.2f} "
                    f"({verdict} the {TARGET} target);  processor time a request: portal "
                    f"{our_cpu:.2f} ms, bare {their_cpu:.2f} ms, ratio {their_cpu / our_cpu:.2f}"
                )
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
