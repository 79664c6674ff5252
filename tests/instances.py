"""Real portal processes for the tests and benchmarks that need several: gunicorn instances
(each a master with its workers), the worker, and a browser-like HTTP client whose cookies
go to every instance, as one browser's would behind a load balancer.

Used by tests/app/test_two_instances.py and bench/bench_faults.py.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = REPO_ROOT / ".venv" / "bin"
CSRF_FIELD = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def portal_environment(database_url: str, redis_url: str, **settings: str) -> dict[str, str]:
    """The environment of every process of one deployment: one database, one Redis, one key."""
    inherited = {
        key: value for key, value in os.environ.items() if not key.startswith(("PORTAL_", "FLASK_"))
    }
    return {
        **inherited,
        "PORTAL_ENV": "testing",
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_REDIS_URL": redis_url,
        "PORTAL_RATELIMIT_ENABLED": "1",
        "PORTAL_MAIL_DELIVERY": "worker",
        **{f"PORTAL_{key}": value for key, value in settings.items()},
    }


@dataclass
class Gunicorn:
    """One instance: a gunicorn master on its own port with ``workers`` workers."""

    port: int
    environment: dict[str, str]
    log_dir: Path
    workers: int = 4
    process: subprocess.Popen[bytes] | None = None
    name: str = "instance"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def error_log(self) -> Path:
        return self.log_dir / f"{self.name}-{self.port}.log"

    def start(self) -> Gunicorn:
        command = [
            str(BIN / "gunicorn"),
            "-w",
            str(self.workers),
            "-b",
            f"127.0.0.1:{self.port}",
            "--error-logfile",
            str(self.error_log),
            "--capture-output",
            # Load the app once, then fork: quicker to start, and a killed worker is replaced
            # by a fork of the same app.
            "--preload",
            "--timeout",
            "60",
            "wsgi:app",
        ]
        self.process = subprocess.Popen(command, cwd=REPO_ROOT, env=self.environment)
        return self

    def wait_until_serving(self, timeout: float = 120) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn stopped: {self.error_log.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=5):  # noqa: S310
                    pass
                if len(self.worker_pids()) >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"gunicorn did not start: {self.error_log.read_text()}")

    def worker_pids(self) -> list[int]:
        """The master's children, from /proc (gunicorn has no command that lists them)."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def kill_one_worker(self) -> int:
        """SIGKILL one worker, as the kernel's OOM killer would; the master starts another."""
        pid = self.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class FlaskProcess:
    """``flask --app wsgi <command>`` (the worker, the scheduler) as a process of its own."""

    arguments: list[str]
    environment: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    _log_handle: Any = field(default=None, repr=False)

    def start(self) -> FlaskProcess:
        self._log_handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [str(BIN / "flask"), "--app", "wsgi", *self.arguments],
            cwd=REPO_ROOT,
            env=self.environment,
            stdout=self._log_handle,
            stderr=subprocess.STDOUT,
        )
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None

    def restart(self) -> None:
        self.stop()
        self.start()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Answer:
    status: int
    headers: Any
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")

    @property
    def location(self) -> str:
        return str(self.headers.get("Location", ""))

    def csrf_token(self) -> str:
        match = CSRF_FIELD.search(self.text)
        assert match, f"no CSRF token in the page ({self.status})"
        return match.group(1)


class Browser:
    """One person's browser: a cookie jar shared by every instance (cookies ignore ports)."""

    def __init__(self) -> None:
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects()
        )

    def request(
        self,
        url: str,
        data: dict[str, str] | None = None,
        timeout: float = 60,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        # Only ever the loopback instances this module started.
        prepared = urllib.request.Request(url, data=body, headers=headers or {})  # noqa: S310
        try:
            with self.opener.open(prepared, timeout=timeout) as response:
                return Answer(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.headers, error.read())

    def get(self, url: str) -> Answer:
        return self.request(url)

    def post(self, url: str, data: dict[str, str]) -> Answer:
        return self.request(url, data)

    def post_multipart(
        self, url: str, fields: dict[str, str], files: dict[str, tuple[str, str, bytes]]
    ) -> Answer:
        """A form with files (``name: (filename, media type, bytes)``), as a browser sends it."""
        boundary = f"----portal{secrets.token_hex(12)}"
        parts: list[bytes] = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for name, (filename, media_type, content) in files.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {media_type}\r\n\r\n'.encode()
                + content
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        # Only ever the loopback instances this module started.
        prepared = urllib.request.Request(  # noqa: S310
            url, data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )
        try:
            with self.opener.open(prepared, timeout=60) as response:
                return Answer(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.headers, error.read())

    def sign_in(
        self,
        base: str,
        email: str,
        password: str,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """Password (and, when asked, a second-factor code) through the real forms."""
        form = self.request(f"{base}/accounts/login", headers=headers)
        answer = self.request(
            f"{base}/accounts/login",
            {"email": email, "password": password, "next": "", "csrf_token": form.csrf_token()},
            headers=headers,
        )
        if answer.status == 302 and answer.location.endswith("/accounts/login/code"):
            assert code is not None, "this account needs its second-factor code"
            step = self.request(f"{base}/accounts/login/code", headers=headers)
            answer = self.request(
                f"{base}/accounts/login/code",
                {"code": code, "csrf_token": step.csrf_token()},
                headers=headers,
            )
        return answer
