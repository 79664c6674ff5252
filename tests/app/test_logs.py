"""Every log line is JSON with the request's id, and the 5xx page gives the same id."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from portal import create_app
from portal.logs import JsonFormatter


@pytest.fixture
def json_logging_app(app):
    root = logging.getLogger()
    before = list(root.handlers)
    # An app built earlier in the run may have left its JSON handler on a stream now closed.
    root.handlers = [h for h in before if not isinstance(h.formatter, JsonFormatter)]
    # Not propagated, so the test sees the 500 page a person would.
    application = create_app({**app.config, "LOG_JSON": True, "PROPAGATE_EXCEPTIONS": False})

    @application.get("/test-only/boom")
    def boom() -> str:
        logging.getLogger("portal.test").warning("about to fail")
        raise RuntimeError("a fault the person must not see")

    yield application
    root.handlers = before


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_a_500_page_and_every_log_line_of_the_request_carry_one_request_id(json_logging_app):
    root = logging.getLogger()
    assert any(isinstance(handler.formatter, JsonFormatter) for handler in root.handlers)
    written = io.StringIO()
    # The same formatter on a stream the test can read (pytest swaps stderr between phases).
    collector = logging.StreamHandler(written)
    collector.setFormatter(JsonFormatter())
    root.addHandler(collector)

    response = json_logging_app.test_client().get("/test-only/boom")

    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{16}", request_id)
    page = response.get_data(as_text=True)
    assert f'<strong id="request-id">{request_id}</strong>' in page
    assert "a fault the person must not see" not in page
    lines = _json_lines(written.getvalue())
    assert {line["logger"] for line in lines} >= {"portal.test", "portal", "portal.access"}
    assert {line["request_id"] for line in lines} == {request_id}
    error_line = next(line for line in lines if line["logger"] == "portal")
    assert "RuntimeError: a fault the person must not see" in error_line["error"]
    access = next(line for line in lines if line["logger"] == "portal.access")
    assert access["status"] == 500
    assert access["path"] == "/test-only/boom"


def test_a_proxys_request_id_is_kept_only_when_it_is_safe(client):
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-2026-12-01-abc123"})
    assert kept.headers["X-Request-ID"] == "lb-2026-12-01-abc123"

    refused = client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert re.fullmatch(r"[0-9a-f]{16}", refused.headers["X-Request-ID"])
