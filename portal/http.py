"""Request lifecycle: one commit per request, email after commit, security headers, errors."""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal import mail
from portal.extensions import db

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


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def abandon_changes() -> None:
    """Throw away this request's unflushed and flushed changes and its queued email."""
    db.session.rollback()
    mail.discard_queued()


def _commit_or_roll_back(response: Response) -> Response:
    if response.status_code >= 400:
        abandon_changes()
        return response
    db.session.commit()
    mail.deliver_queued()
    return response


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY.format(nonce=csp_nonce()))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.endpoint != "static" and "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    if g.get("strict_transport_security"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def _error_page(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    if code >= 500:
        abandon_changes()
    return render_template("errors/error.html", error=error, code=code), code


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    return render_template("errors/csrf.html", reason=error.description), 400


def init_app(app: Flask) -> None:
    @app.before_request
    def _remember_transport_policy() -> None:
        g.strict_transport_security = app.config["STRICT_TRANSPORT_SECURITY"]

    app.after_request(_security_headers)
    app.after_request(_commit_or_roll_back)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _error_page)

    @app.teardown_request
    def _roll_back_on_exception(exception: BaseException | None) -> None:
        if exception is not None:
            abandon_changes()
