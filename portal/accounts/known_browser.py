"""The long-lived signed cookie that marks a browser an account has signed in from.

It holds the ids of the accounts (at most a few) that completed a sign-in in this browser.
It is signed with the app's secret key, so it cannot be forged; it proves nothing by itself,
it only spares that browser the delays that follow failed attempts from elsewhere.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Request, current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

_SALT = "known-browser"
MAXIMUM_ACCOUNTS = 5


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _lifetime() -> timedelta:
    return timedelta(days=current_app.config["KNOWN_BROWSER_DAYS"])


def accounts_known_to(request: Request) -> frozenset[int]:
    raw = request.cookies.get(current_app.config["KNOWN_BROWSER_COOKIE_NAME"])
    if not raw:
        return frozenset()
    try:
        ids = _serializer().loads(raw, max_age=int(_lifetime().total_seconds()))
    except BadSignature:
        return frozenset()
    if not isinstance(ids, list):
        return frozenset()
    return frozenset(value for value in ids if isinstance(value, int))


def remember(response: Response, request: Request, user_id: int) -> None:
    """Add ``user_id`` to this browser's mark (renewing its lifetime)."""
    earlier = [value for value in accounts_known_to(request) if value != user_id]
    ids = [*earlier[-(MAXIMUM_ACCOUNTS - 1) :], user_id]
    config = current_app.config
    response.set_cookie(
        config["KNOWN_BROWSER_COOKIE_NAME"],
        _serializer().dumps(ids),
        max_age=int(_lifetime().total_seconds()),
        secure=config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
        path="/accounts/",
    )
