"""Logs a machine can read: one JSON object a line, each carrying the request's id.

Every request gets an id: the one a trusted proxy sent in ``X-Request-ID`` when it looks like
an id, else a new random one. It goes back in the response's ``X-Request-ID`` header, on every
log line written while the request runs, and on the 5xx page, so a person who meets an error
can quote it and the operator finds every line of that request.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request
from flask.logging import default_handler

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's id is kept only when it cannot smuggle anything into a log line or a header.
ACCEPTABLE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
ACCESS_LOG = logging.getLogger("portal.access")


def request_id_from(offered: str) -> str:
    """The id a proxy offered in ``X-Request-ID`` when it looks like one, else a new one."""
    return offered if ACCEPTABLE_REQUEST_ID.fullmatch(offered) else secrets.token_hex(8)


def log_access(method: str, path: str, status: int, seconds: float, **fields: object) -> None:
    """The access log's line for one request."""
    ACCESS_LOG.info(
        "%s %s %s",
        method,
        path,
        status,
        extra={
            "fields": {
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": round(seconds * 1000, 1),
                **fields,
            }
        },
    )


def current_request_id() -> str | None:
    if has_request_context():
        return g.get("request_id")
    return None


class JsonFormatter(logging.Formatter):
    """Each record as one line of JSON: time, level, logger, message, request id, error."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": current_request_id(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def _configure_json_logging() -> None:
    root = logging.getLogger()
    if any(isinstance(handler.formatter, JsonFormatter) for handler in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def init_app(app: Flask) -> None:
    if app.config["LOG_JSON"]:
        _configure_json_logging()
        # Flask's own handler would print the app's errors a second time, not as JSON.
        app.logger.removeHandler(default_handler)

    @app.before_request
    def _assign_request_id() -> None:
        g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER, ""))
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_the_request(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        elapsed = time.perf_counter() - g.get("request_started", time.perf_counter())
        log_access(request.method, request.path, response.status_code, elapsed)
        return response
