"""Asking a signed-in person for their password (and code) again before a sensitive change.

``require_recent_authentication`` wraps a view (``require_recent_authentication_to_post``
only its POSTs, for a page with a form that grants roles): unless the person confirmed who
they are in the last few minutes (``REAUTHENTICATION_MINUTES``), it sends them to the confirm
page, which returns them to the view afterwards. The time of the last confirmation (or of
sign-in) is kept in the signed session cookie.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import current_app, flash, redirect, request, session, url_for
from werkzeug.wrappers import Response

from portal.database import utcnow

CONFIRMED_AT_KEY = "confirmed_at"


def mark_confirmed(now: datetime) -> None:
    session[CONFIRMED_AT_KEY] = int(now.timestamp())


def recently_confirmed(now: datetime) -> bool:
    confirmed_at = session.get(CONFIRMED_AT_KEY)
    if not isinstance(confirmed_at, int):
        return False
    limit = current_app.config["REAUTHENTICATION_MINUTES"] * 60
    return 0 <= now.timestamp() - confirmed_at <= limit


def _confirm_first() -> Response:
    flash("Confirm it is you before you make this change.", "info")
    return redirect(url_for("accounts.confirm_identity", next=request.path))


def require_recent_authentication(view: Callable[..., Any]) -> Callable[..., Any]:
    """Use under ``login_required``. A POST that arrives too late is not carried out: the
    person confirms, comes back to the page and sends it again."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if recently_confirmed(utcnow()):
            return view(*args, **kwargs)
        return _confirm_first()

    return wrapped


def require_recent_authentication_to_post(view: Callable[..., Any]) -> Callable[..., Any]:
    """The same for a page that anyone allowed may look at, but whose form (granting a role,
    say) needs a recent confirmation."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if request.method != "POST" or recently_confirmed(utcnow()):
            return view(*args, **kwargs)
        return _confirm_first()

    return wrapped
