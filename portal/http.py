"""Request lifecycle: one commit per request, email after the response, security headers,
errors."""

from __future__ import annotations

import contextvars
import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import (
    Flask,
    Response,
    abort,
    copy_current_request_context,
    current_app,
    flash,
    g,
    render_template,
    request,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, SecurityError

from portal import mail
from portal.errors import DomainError, NotPermitted
from portal.extensions import db
from portal.urls import external_base

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; "
    "script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self'; "
    "img-src 'self' data:; "
    "font-src 'self' https://assets.nhs.uk; "
    "form-action 'self'; "
    "frame-ancestors 'none'; "
    "base-uri 'none'; "
    "object-src 'none'"
)


def new_csp_nonce() -> str:
    return secrets.token_urlsafe(16)


def csp_nonce() -> str:
    """This request's nonce: one per response, so no script tag of another page is allowed."""
    if "csp_nonce" not in g:
        g.csp_nonce = new_csp_nonce()
    return g.csp_nonce


def acting_user() -> Any:
    """The signed-in user itself, not Flask-Login's proxy to it, for a service to act as and
    record in the audit log. Only for views that require sign-in. (A ``portal.accounts`` user:
    the core does not name the domain's class.)"""
    return current_user._get_current_object()


def abandon_changes() -> None:
    """Throw away this request's unflushed and flushed changes and its queued email."""
    db.session.rollback()
    mail.discard_queued()


class Refusal:
    """Whether a view's service call was refused, and why; false when it was not."""

    def __init__(self) -> None:
        self.message: str | None = None

    def __bool__(self) -> bool:
        return self.message is not None


@contextmanager
def refusal_shown_on(form: FlaskForm | None = None) -> Iterator[Refusal]:
    """Run a view's service call; if the service refuses, undo all the request changed.

    A ``NotPermitted`` ends the request with the 403 page giving the service's reason. Any
    other ``DomainError`` is shown on ``form`` above its fields or, without a form, as an
    error banner on the next page; the view reads the yielded ``Refusal`` to choose that page.
    """
    refusal = Refusal()
    try:
        yield refusal
    except NotPermitted as error:
        abandon_changes()
        abort(403, description=error.message)
    except DomainError as error:
        abandon_changes()
        refusal.message = error.message
        if form is None:
            flash(error.message, "error")
        else:
            form.form_errors.append(error.message)


log = logging.getLogger(__name__)


def after_response(work: Callable[[], None]) -> None:
    """Do ``work`` once the response has been sent (if the request succeeds), then commit and
    send the email it queued: for work whose cost must not show in how long the response
    took, such as a password reset that exists only for a known email address."""

    @copy_current_request_context
    def run() -> None:
        try:
            work()
            db.session.commit()
        except Exception:
            abandon_changes()
            log.exception("work after the response failed; nothing of it was kept")
            return
        mail.deliver_queued()

    # A context of its own, so the work never shares a database session with what closes
    # the response.
    g.setdefault("after_response", []).append(lambda: contextvars.Context().run(run))


def _commit_or_roll_back(response: Response) -> Response:
    if response.status_code >= 400:
        abandon_changes()
        g.pop("after_response", None)
        return response
    # A request that never touched the session (a response served from a cache) has no
    # transaction: adding or loading anything begins one, so there is nothing to commit.
    if db.session().in_transaction():
        db.session.commit()
    mail.deliver_after_response(response)
    for job in g.pop("after_response", []):
        response.call_on_close(job)
    return response


def _security_headers(response: Response) -> Response:
    headers = response.headers
    wanted = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY.format(nonce=csp_nonce()),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if request.endpoint != "static":
        wanted["Cache-Control"] = "no-store"
    if g.get("strict_transport_security"):
        wanted["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    # A view's own value wins. One look at the names already set: asking Headers for each
    # missing one raises and catches an exception inside, on every response.
    present = {name.lower() for name, _value in headers.items()}
    for name, value in wanted.items():
        if name.lower() not in present:
            headers.add(name, value)
    return response


def _is_database_busy(error: BaseException | None) -> bool:
    """SQLite gave up waiting for another request's write (PostgreSQL waits on row locks)."""
    return isinstance(error, OperationalError) and "database is locked" in str(error.orig)


def _busy_page() -> Response:
    abandon_changes()
    page = render_template("errors/busy.html")
    return Response(page, status=503, headers={"Retry-After": "5"})


def _database_error(error: OperationalError) -> Response:
    if not _is_database_busy(error):
        raise error
    return _busy_page()


def _untrusted_host_page(error: SecurityError) -> tuple[str, int]:
    """400 for a Host header that is not the portal's (Flask's TRUSTED_HOSTS).

    Flask cannot build links for such a request, so the page is drawn as if asked of the
    portal's own address, and says which address that is.
    """
    base = external_base(current_app)
    with current_app.test_request_context("/", base_url=base):
        reason = f"This is not an address of the portal. Use {base}/ instead."
        page = render_template(
            "errors/error.html", error=SecurityError(reason), code=400, reason=reason
        )
    return page, 400


def _error_page(error: HTTPException) -> tuple[str, int] | Response:
    if isinstance(error, SecurityError):
        return _untrusted_host_page(error)
    # A write that timed out while the response was being committed arrives here.
    if _is_database_busy(getattr(error, "original_exception", None)):
        return _busy_page()
    code = error.code or 500
    if code >= 500:
        abandon_changes()
    # Werkzeug's stock wording is for developers; only a reason the portal gave is shown.
    reason = error.description if error.description != type(error).description else None
    page = render_template(
        "errors/error.html", error=error, code=code, reason=reason, request_id=g.get("request_id")
    )
    return page, code


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    return render_template("errors/csrf.html", reason=error.description), 400


NUL_REFUSED = "The address or form contains a character that cannot be used (a NUL byte)."


def _refuse_nul_bytes() -> None:
    """No text a person types holds a NUL, and PostgreSQL cannot store or compare one: a
    search or form value with one would otherwise fail deep in a query."""
    for values in (request.args, request.form):
        if any("\x00" in key or "\x00" in value for key, value in values.items(multi=True)):
            abort(400, description=NUL_REFUSED)


def init_app(app: Flask) -> None:
    @app.before_request
    def _remember_transport_policy() -> None:
        g.strict_transport_security = app.config["STRICT_TRANSPORT_SECURITY"]

    app.before_request(_refuse_nul_bytes)

    app.after_request(_security_headers)
    app.after_request(_commit_or_roll_back)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _error_page)
    app.register_error_handler(OperationalError, _database_error)

    @app.teardown_request
    def _roll_back_on_exception(exception: BaseException | None) -> None:
        if exception is not None:
            abandon_changes()
