"""Under gunicorn as deployed (four workers, one Redis): the statements' responses are shared by
every worker, so any of them answers another's ETag with 304; static files come fingerprinted,
brotli-compressed and immutable for a year, as under ``flask run``."""

from __future__ import annotations

import os
import re
import subprocess
import urllib.request

from portal import static_files
from portal.extensions import db
from tests.app.test_rate_limits_gunicorn import GUNICORN, _prepare_database, _wait_until_serving
from tests.app.test_static_files import YEAR_IMMUTABLE
from tests.conftest import REPO_ROOT, free_port


def _get(url: str, **headers: str):
    request = urllib.request.Request(url, headers=headers)  # noqa: S310  (loopback)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, b""


def test_four_workers_share_statements_and_serve_static_files(app, tmp_path, redis_url):
    with app.app_context():
        static_files.build(REPO_ROOT / "portal" / "static")
        db.engine.dispose()
    database_url = _prepare_database(tmp_path / "portal.sqlite3")
    port = free_port()
    log = tmp_path / "gunicorn.log"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "FLASK_"))},
        "PORTAL_ENV": "testing",
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_REDIS_URL": redis_url,
        "PORTAL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "PORTAL_UPLOAD_DIR": str(tmp_path / "uploads"),
    }
    command = [str(GUNICORN), "-w", "4", "-b", f"127.0.0.1:{port}", "wsgi:app"]
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base, process, log)
        status, headers, _ = _get(f"{base}/api/v1/statements")
        assert status == 200
        etag = headers["ETag"]
        # More requests than workers, each answered from the one Redis.
        answers = [_get(f"{base}/api/v1/statements", **{"If-None-Match": etag}) for _ in range(12)]
        assert {status for status, _, _ in answers} == {304}

        status, _, page = _get(f"{base}/accounts/login")
        href = re.search(rb'<link rel="stylesheet" href="([^"]+)"', page).group(1).decode()
        assert static_files.FINGERPRINTED.search(href)
        status, headers, body = _get(base + href, **{"Accept-Encoding": "br"})
        assert status == 200
        assert headers["Content-Encoding"] == "br"
        assert headers["Cache-Control"] == YEAR_IMMUTABLE
    finally:
        process.terminate()
        process.wait(timeout=30)
