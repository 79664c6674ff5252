"""Absolute links for emails, feeds and the API, always from ``PORTAL_EXTERNAL_URL``.

The request's ``Host`` header is never used: a reset asked for with ``Host: evil.example``
must still mail a link to the portal. Without a configured address (development only;
production refuses to start without one) links point at the development server.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app

DEVELOPMENT_URL = "http://127.0.0.1:5000"


def external_base(app: Flask) -> str:
    return (app.config.get("EXTERNAL_URL") or DEVELOPMENT_URL).rstrip("/")


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute address of ``endpoint`` at the portal's own address, built from the URL
    map alone, so it reads the same in a request, a cron command or a queued job."""
    base = urlsplit(external_base(current_app))
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    current_app.inject_url_defaults(endpoint, values)
    return adapter.build(endpoint, values, force_external=True)


def trusted_hosts(app: Flask) -> list[str] | None:
    """Host names a request may name: the external address's, plus ``PORTAL_TRUSTED_HOSTS``
    (comma-separated, e.g. for a health check on the server's own name). None checks nothing:
    the development server with no external address set."""
    extra = app.config.get("TRUSTED_HOSTS")
    hosts = [h.strip() for h in extra.split(",") if h.strip()] if isinstance(extra, str) else []
    if isinstance(extra, list | tuple):
        hosts = list(extra)
    external = app.config.get("EXTERNAL_URL")
    if external:
        hosts.insert(0, urlsplit(external).hostname or "")
    return hosts or None
