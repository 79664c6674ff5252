"""Browser fixtures: the app served on loopback and driven by Debian's Chromium.

Playwright cannot download its own browser here, so the tests launch ``/usr/bin/chromium``.
Without it they are skipped, except in CI (``CI=true``), where a missing browser fails the run.

The live server runs the test session's app in a thread and shares its database: rows the
factories commit during a test are what the server reads. Every page blocks requests to any host
but 127.0.0.1 (the NHS.UK fonts come from assets.nhs.uk), and records console errors, uncaught
exceptions and local requests that failed, for ``BrowserLog.assert_clean``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.serving import make_server

REPO_ROOT = Path(__file__).resolve().parents[2]


def _closed_before_sending(app: Flask) -> Any:
    """The app with each response closed as soon as it is made, as a production server closes
    it once sent. Werkzeug's development server closes a response only after it has drained
    the browser's socket, which a browser holding the connection open can put off for a long
    time; the portal sends its email when the response closes, and the tests read that email.
    """

    def serve(environ: Any, start_response: Any) -> list[bytes]:
        response = app(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            close = getattr(response, "close", None)
            if close is not None:
                close()

    return serve


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
AXE_SCRIPT = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
STATIC_BUNDLE = REPO_ROOT / "portal" / "static" / "vendor" / "nhsuk" / "nhsuk-frontend.min.css"
LOCAL_HOST = "127.0.0.1"


def _unavailable(reason: str) -> None:
    """Fail in CI, where the browser tests must run; skip elsewhere, saying why."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """The test app on a free loopback port; yields its base URL."""
    if not STATIC_BUNDLE.is_file():
        _unavailable(
            f"{STATIC_BUNDLE.relative_to(REPO_ROOT)} is missing: "
            "run `.venv/bin/python scripts/build_assets.py`"
        )
    server = make_server(LOCAL_HOST, 0, _closed_before_sending(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://{LOCAL_HOST}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"{CHROMIUM} is not installed (`make browser` or apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (requirements-dev.txt)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class BrowserLog:
    """What went wrong in the pages of one test, as the browser saw it."""

    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    blocked_urls: set[str] = field(default_factory=set)

    def watch(self, page: Any) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console_errors.append(f"uncaught: {error}"))
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)

    def _on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        # Chromium logs "Failed to load resource" for each request the test itself aborted.
        if message.location.get("url") in self.blocked_urls:
            return
        self.console_errors.append(f"{message.text} ({message.location.get('url')})")

    def _on_request_failed(self, request: Any) -> None:
        if not _is_local(request.url):
            return
        failure = request.failure or ""
        # A navigation cancels what the previous page still had in flight (its favicon, say).
        # A missing or refused file is a response with an error status, checked below.
        if "ERR_ABORTED" in failure:
            return
        self.failed_requests.append(f"{request.method} {request.url}: {failure}")

    def _on_response(self, response: Any) -> None:
        if _is_local(response.url) and response.status >= 400:
            self.failed_requests.append(
                f"{response.request.method} {response.url}: HTTP {response.status}"
            )

    def assert_clean(self) -> None:
        assert self.console_errors == [], "console errors in the browser"
        assert self.failed_requests == [], "local requests failed"


def _is_local(url: str) -> bool:
    return urlsplit(url).hostname == LOCAL_HOST


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


@pytest.fixture
def open_page(
    db: Any, browser: Any, live_server: str, browser_log: BrowserLog
) -> Iterator[Callable[..., Any]]:
    """``open_page(**context_options)``: a page in a fresh browser context (its own cookies).

    Options are Playwright's ``new_context`` ones (``java_script_enabled``, ``viewport`` ...).
    Relative URLs resolve against the live server. Depends on ``db`` so that every context is
    closed, and the server idle, before the database is emptied.
    """
    contexts: list[Any] = []

    def new_page(**context_options: Any) -> Any:
        context = browser.new_context(base_url=live_server, **context_options)
        contexts.append(context)
        if context_options.get("java_script_enabled") is False:
            scriptless_contexts.add(id(context))
        context.route("**/*", _local_only(browser_log))
        page = context.new_page()
        browser_log.watch(page)
        return page

    yield new_page
    for context in contexts:
        scriptless_contexts.discard(id(context))
        context.close()


def _local_only(log: BrowserLog) -> Callable[[Any], None]:
    def handle(route: Any) -> None:
        url = route.request.url
        if _is_local(url):
            route.continue_()
        else:
            log.blocked_urls.add(url)
            route.abort()

    return handle


@pytest.fixture
def page(open_page: Callable[..., Any]) -> Any:
    """A page in a new browser context, for one test."""
    return open_page()


# Browser contexts opened with JavaScript off; axe cannot run in them, and Playwright would
# wait for ever for its script instead of failing.
scriptless_contexts: set[int] = set()


def axe_check(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page (WCAG 2.2 A and AA rules); return its violations.

    The script is evaluated through the DevTools protocol rather than added as a ``<script>``:
    the portal's CSP refuses inline scripts (so ``add_script_tag(content=...)`` fails), and
    ``bypass_csp`` would switch the CSP off for the whole page and hide the app's own violations.
    """
    if id(page.context) in scriptless_contexts:
        raise AssertionError("axe needs JavaScript: check this page in a context that has it")
    # Check the page as a person sees it once it has settled: the header's script tucks links
    # that do not fit under "More" after load, and colours change through a CSS transition.
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => document.getAnimations().every(animation => animation.playState !== 'running')"
    )
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    return page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})
            .then(results => results.violations.map(violation => ({
                id: violation.id,
                impact: violation.impact,
                help: violation.help,
                nodes: violation.nodes.map(node => ({
                    target: node.target.join(' '),
                    summary: node.failureSummary,
                })),
            })))""",
        AXE_TAGS,
    )


def _axe_source() -> str:
    if not AXE_SCRIPT.is_file():
        _unavailable(f"{AXE_SCRIPT.relative_to(REPO_ROOT)} is missing: run `npm ci`")
    return AXE_SCRIPT.read_text(encoding="utf-8")


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.extend(f"    {node['target']}: {node['summary']}" for node in violation["nodes"])
    return "\n".join(lines)


@pytest.fixture
def assert_accessible() -> Callable[[Any], None]:
    def check(page: Any) -> None:
        violations = axe_check(page)
        assert violations == [], f"axe violations on {page.url}:\n{describe_violations(violations)}"

    return check
