"""Four gunicorn workers share one Redis: the limit holds across them, not per worker."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from portal import create_app
from tests.conftest import REPO_ROOT, free_port

GUNICORN = REPO_ROOT / ".venv" / "bin" / "gunicorn"
# The API is limited to 120 requests a minute from one address.
PER_ADDRESS_API_REQUESTS = 120
REQUESTS = 180


def _prepare_database(path) -> str:
    url = f"sqlite:///{path}"
    from flask_migrate import upgrade

    app = create_app({"DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()
        from portal.extensions import db

        db.engine.dispose()
    return url


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310  (loopback)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _wait_until_serving(base: str, process: subprocess.Popen, log) -> None:
    # Generous: on a machine busy with other work, starting takes a while.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, f"gunicorn stopped: {log.read_text()}"
        try:
            urllib.request.urlopen(f"{base}/accounts/login", timeout=10).close()  # noqa: S310
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"gunicorn did not start: {log.read_text()}")


def test_four_workers_on_one_redis_let_through_exactly_the_limit(tmp_path, redis_url):
    database_url = _prepare_database(tmp_path / "portal.sqlite3")
    port = free_port()
    access_log = tmp_path / "access.log"
    error_log = tmp_path / "error.log"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "FLASK_"))},
        "PORTAL_ENV": "testing",
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_REDIS_URL": redis_url,
        "PORTAL_RATELIMIT_ENABLED": "1",
        "PORTAL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "PORTAL_UPLOAD_DIR": str(tmp_path / "uploads"),
    }
    command = [
        str(GUNICORN),
        "-w",
        "4",
        "-b",
        f"127.0.0.1:{port}",
        "--access-logfile",
        str(access_log),
        # %(p)s is the worker's process id: the log shows which worker answered.
        "--access-logformat",
        "%(p)s %(s)s %(U)s",
        "--error-logfile",
        str(error_log),
        # Load the app once, then fork: quicker to start, and the workers are the same app.
        "--preload",
        "wsgi:app",
    ]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=environment)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base, process, error_log)
        urls = [f"{base}/api/v1/openapi.json?n={number}" for number in range(REQUESTS)]
        # Many at once, so that every worker is kept busy and each takes its share.
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = Counter(pool.map(_status, urls))
    finally:
        process.terminate()
        process.wait(timeout=30)

    assert answers == {200: PER_ADDRESS_API_REQUESTS, 429: REQUESTS - PER_ADDRESS_API_REQUESTS}
    checks = [
        line.split()
        for line in access_log.read_text().splitlines()
        if "/api/v1/openapi.json" in line
    ]
    workers = {pid for pid, _status_code, _path in checks}
    assert len(workers) >= 2, f"one worker took every request: {checks}"
    let_through = Counter(pid for pid, status, _path in checks if status == "200")
    assert sum(let_through.values()) == PER_ADDRESS_API_REQUESTS
