"""Rate limits per client address and overall, applied in one place by endpoint name.

Flask-Limiter keeps its counters in Redis (``PORTAL_REDIS_URL``) so that every gunicorn
worker shares them; ``memory://`` is used only by the embedded default, where one process
serves. The numbers are set so that a whole practice (or several, behind one NHS network
address) signing in at the start of a meeting is never stopped, while a password spray or a
run of guessed receipt codes is: see ``LIMITS`` and the README.

An answer over a limit is 429 with ``Retry-After``: an NHS.UK page, or RFC 9457 problem
details from the API. A response the edge answers before Flask runs (portal/edge.py: kept for
readers with no session) is not counted; that module says why.

When Redis does not answer, each limit fails the way its purpose asks, and the log says which:
casting a ballot and reading the API *fail open* (the request goes ahead unlimited: a vote
must not be lost to a cache outage), while sign-in, the other account forms and the receipt
check *fail closed* (503 with ``Retry-After``: a password spray must not get through while
the counters are away).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, g, jsonify, render_template, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from redis.exceptions import RedisError
from werkzeug.middleware.proxy_fix import ProxyFix

EVERYONE = "everyone"
PROBLEM = "application/problem+json"
log = logging.getLogger(__name__)
# Seconds a refused request is asked to wait while the counters' store is away.
STORAGE_RETRY_AFTER = 10


@dataclass(frozen=True)
class EndpointLimit:
    per_address: str
    overall: str
    # None limits every method the route accepts.
    methods: tuple[str, ...] | None = ("POST",)
    # Without Redis: True lets the request through unlimited, False refuses it (503).
    fail_open: bool = False


# Per address: what one NHS network address (a practice or several behind one NAT) may send.
# Overall: all addresses together, high enough that a spray from many addresses cannot shut
# the area out, low enough to slow one down.
SIGN_IN = EndpointLimit(per_address="30/minute;300/hour", overall="300/minute")
ACCOUNT_FORM = EndpointLimit(per_address="20/minute;200/hour", overall="200/minute")
RESET_REQUEST = EndpointLimit(per_address="10/minute;60/hour", overall="100/minute")
TOKEN_LINK = EndpointLimit(per_address="30/minute;300/hour", overall="300/minute", methods=None)
# A code is checked by POST; showing the form is not counted.
RECEIPT_CHECK = EndpointLimit(per_address="20/minute;200/hour", overall="600/minute")
API = EndpointLimit(per_address="120/minute", overall="1200/minute", methods=None, fail_open=True)
# Choosing and confirming a ballot: a whole area behind one NHS network address can vote in
# its last minutes; a script hammering the form cannot.
CAST = EndpointLimit(per_address="300/minute", overall="6000/minute", fail_open=True)
# A scrutineer's passphrase: each try costs a 128 MiB scrypt derivation, and guesses are slow.
PASSPHRASE = EndpointLimit(per_address="10/minute;60/hour", overall="60/minute")

LIMITS: dict[str, EndpointLimit] = {
    "accounts.login": SIGN_IN,
    "accounts.request_reset": RESET_REQUEST,
    "accounts.reset_password": TOKEN_LINK,
    "accounts.accept_invitation": TOKEN_LINK,
    "receipts.receipt_check": RECEIPT_CHECK,
    "voting.cast": CAST,
    "voting.confirm": CAST,
    "scrutiny.set_passphrase": PASSPHRASE,
    "scrutiny.open_record": PASSPHRASE,
    "elections.set_scrutineer_passphrase": PASSPHRASE,
    "elections.open_ballots": PASSPHRASE,
}
# Every other form of these blueprints that takes a POST (a second-factor code, say) gets
# ACCOUNT_FORM, so a new sign-in step is limited without being listed here.
LIMITED_BLUEPRINTS = ("accounts",)
UNLIMITED_ENDPOINTS = frozenset({"accounts.logout"})
API_BLUEPRINT_PREFIX = "statements_api"
API_PATH_PREFIX = "/api/"


def _everyone() -> str:
    return EVERYONE


def limit_for(app: Flask, endpoint: str) -> EndpointLimit | None:
    """The limit an endpoint gets, or None for one that is not limited."""
    if endpoint in LIMITS:
        return LIMITS[endpoint]
    if endpoint in UNLIMITED_ENDPOINTS:
        return None
    blueprint = endpoint.partition(".")[0]
    # Every blueprint serving under /api/ (statements, agreements ...) is the API.
    if blueprint.startswith(API_BLUEPRINT_PREFIX) or any(
        rule.rule.startswith(API_PATH_PREFIX) for rule in app.url_map.iter_rules(endpoint)
    ):
        return API
    if blueprint in LIMITED_BLUEPRINTS and any(
        "POST" in (rule.methods or ()) for rule in app.url_map.iter_rules(endpoint)
    ):
        return ACCOUNT_FORM
    return None


def _too_many_requests(error: RateLimitExceeded) -> Response:
    detail = (
        "Too many requests have come from your network, or from everyone, in a short time. "
        "Wait a minute and try again."
    )
    if request.path.startswith(API_PATH_PREFIX):
        response = jsonify(
            {"type": "about:blank", "title": "Too Many Requests", "status": 429, "detail": detail}
        )
        response.mimetype = PROBLEM
    else:
        response = Response(render_template("errors/too_many_requests.html", detail=detail))
    response.status_code = 429
    return response


def _storage_unavailable() -> Response:
    detail = "This is paused for a few seconds while the portal recovers. Try again shortly."
    if request.path.startswith(API_PATH_PREFIX):
        response = jsonify(
            {"type": "about:blank", "title": "Service Unavailable", "status": 503, "detail": detail}
        )
        response.mimetype = PROBLEM
    else:
        response = Response(render_template("errors/paused.html", detail=detail))
    response.status_code = 503
    response.headers["Retry-After"] = str(STORAGE_RETRY_AFTER)
    return response


def _when_storage_fails(
    endpoint: str, limit: EndpointLimit, view: Callable[..., Any], limited: Callable[..., Any]
) -> Callable[..., Any]:
    """``limited`` (the view behind its limits), failing open or closed if Redis does not answer.

    Only an error raised while counting is the store's: one the view itself raises after the
    limits let it through goes on as any error would.
    """

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        g.pop("rate_limits_passed", None)
        try:
            return limited(*args, **kwargs)
        except RedisError as error:
            if g.pop("rate_limits_passed", False):
                raise
            if limit.fail_open:
                log.warning(
                    "rate limit store unavailable (%s): %s let through unlimited (fails open)",
                    error,
                    endpoint,
                )
                return view(*args, **kwargs)
            log.warning(
                "rate limit store unavailable (%s): %s refused with 503 (fails closed)",
                error,
                endpoint,
            )
            return _storage_unavailable()

    return guarded


def _marking_passed(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def passed(*args: Any, **kwargs: Any) -> Any:
        g.rate_limits_passed = True
        return view(*args, **kwargs)

    return passed


def _headers_survive_the_store(app: Flask, limiter: Limiter) -> None:
    """The limiter's ``after_request`` asks Redis again for the X-RateLimit headers; if Redis
    went away since the view's check, the response goes without them rather than failing."""
    handlers = app.after_request_funcs.setdefault(None, [])
    for index, handler in enumerate(handlers):
        # Flask-Limiter registers it as a partial of its method with the limiter bound.
        owner = handler.args[0] if isinstance(handler, functools.partial) and handler.args else None
        if owner is not limiter and getattr(handler, "__self__", None) is not limiter:
            continue

        def without_headers(response: Response, handler: Any = handler) -> Response:
            try:
                return handler(response)
            except RedisError as error:
                log.warning(
                    "rate limit store unavailable (%s): response sent without its "
                    "rate limit headers",
                    error,
                )
                return response

        handlers[index] = without_headers


def init_app(app: Flask) -> None:
    """Give the app its own limiter (call after every blueprint is registered).

    One limiter per app, because a limiter keeps the limits it decorated: a second app in
    the same process (the test suite makes many) must not count each request twice.
    """
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # Behind a reverse proxy the client's address is in X-Forwarded-For; trust only as
        # many hops as there are proxies of our own, or anyone could name any address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "gpcv-limits")
    # "30 a minute" means in any 60 seconds, not per clock minute: no double burst at :59/:00.
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    app.config.setdefault("RATELIMIT_HEADER_RETRY_AFTER_VALUE", "delta-seconds")
    limiter = Limiter(key_func=get_remote_address, headers_enabled=True)
    for endpoint, view in list(app.view_functions.items()):
        limit = limit_for(app, endpoint)
        if limit is None:
            continue
        methods = list(limit.methods) if limit.methods else None
        limited = limiter.limit(limit.per_address, methods=methods, scope="address")(
            _marking_passed(view)
        )
        limited = limiter.limit(
            limit.overall, methods=methods, key_func=_everyone, scope="overall"
        )(limited)
        app.view_functions[endpoint] = _when_storage_fails(endpoint, limit, view, limited)
    limiter.init_app(app)
    _headers_survive_the_store(app, limiter)
    # The limits hold their limiter weakly: the app keeps it alive.
    app.extensions["portal_limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
