"""Absolute links for emails, from ``PORTAL_EXTERNAL_URL`` when set, else the request's host.

Cron commands have no request, so there the link is built in a throwaway request context
for the configured address (or the development address).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, url_for

DEVELOPMENT_URL = "http://127.0.0.1:5000"


def external_url(endpoint: str, **values: Any) -> str:
    base = current_app.config.get("EXTERNAL_URL")
    if has_request_context() and not base:
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context("/", base_url=base or DEVELOPMENT_URL):
        return url_for(endpoint, _external=True, **values)
