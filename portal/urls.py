"""Absolute links for emails, feeds and the API, always from ``PORTAL_EXTERNAL_URL``.

The request's ``Host`` header is never used: a reset asked for with ``Host: evil.example``
must still mail a link to the portal. Without a configured address (development only;
production refuses to start without one) links point at the development server.
"""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app
from werkzeug.routing import IntegerConverter, Map

# The largest id any table holds (PostgreSQL's integer); a longer number in a URL is a 404.
LARGEST_ID = 2**31 - 1

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


def local_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site (``/votes/?page=2``), else None.

    Refused: anything with a scheme or a host (``https://x``, ``//x``), a backslash (which
    browsers read as a slash), whitespace or any control character (a CR/LF would split the
    Location header; a tab is dropped by browsers, turning ``/\t/x`` into ``//x``).
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(
        character.isspace() or unicodedata.category(character).startswith("C")
        for character in target
    ):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


class IdConverter(IntegerConverter):
    """Flask's ``int`` converter, bounded: ``/votes/99999999999999999999`` matches no route."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = LARGEST_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)
