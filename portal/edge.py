"""Whole responses for readers who are not signed in, answered before Flask's request machinery.

What a CDN or Varnish in front of the portal would do, inside each worker. Some responses are
the same for everyone who is not signed in and stay right until something in the database
changes (a published statement, its list, feed and API). A domain registers a *layer* for them
(``add_layer``) with a function giving its *stamp*: a cheap summary of everything those
responses show, which moves whenever any of it changes, whichever worker or instance changed
it. A view serving such a response to an anonymous reader marks it (``keep``) with the stamp it
was made under; once Flask has finished with it (every ``after_request`` has run), this module
keeps it as sent, per address (scheme, host, path and query). The next anonymous GET or HEAD of
that address asks the layer for its stamp: the same, and the kept response is sent without
Flask; moved on, and the request goes to Flask, which makes the response afresh and keeps it
again. A layer that cannot tell (its store away) answers None, and Flask serves.

Anonymous means: GET or HEAD, no ``Authorization`` header, and neither the session cookie nor
Flask-Login's remember cookie. Anyone signed in, or a visitor whose session holds anything (a
CSRF token after a form, a message waiting), goes to Flask, which decides what they may see.

Made afresh for every answer, as Flask would:

- the CSP nonce: the one in the kept ``Content-Security-Policy`` is replaced, in the header and
  in the body, by a new one, so no two answers carry the same nonce and the policy is exactly
  as strict as on a page Flask made;
- the request id (``X-Request-ID``) and the access log line (portal/logs.py);
- ``Content-Length``, which follows the nonce.

A response is kept only when it is a 200 to a GET, sets no cookie, varies on nothing but the
cookie and counts no rate limit (``X-RateLimit-*`` and ``Retry-After`` are one client's counters
at one moment, never to be shown to another). ``If-None-Match`` naming the kept ETag is
answered 304 with the headers a 304 carries (representation metadata removed, as werkzeug
removes it from Flask's own 304s); ``If-Modified-Since`` is ignored, as the layers' own views
ignore it.

Rate limits are the cache's job here, as they would be a CDN's: an answer from here is not
counted. Answering from kept bytes costs less than refusing would (Flask-Limiter counts in
Redis, a round trip, and Flask renders the 429), so a limit here would protect nothing. The
limits exist so that no client can keep the workers rendering and querying, and everything not
answered here (a new address, another query string, a stamp that moved) still goes through
Flask and its limits.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask, request
from werkzeug.http import parse_etags, remove_entity_headers
from werkzeug.wsgi import ClosingIterator

from portal.http import new_csp_nonce
from portal.logs import REQUEST_ID_HEADER, log_access, request_id_from

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

EXTENSION = "edge"
# Where a view's mark travels from Flask back out to this layer: the request's WSGI environ.
MARK = "portal.edge.keep"
# Addresses kept per process; the least recently answered goes first.
KEPT_ADDRESSES = 512
READS = frozenset({"GET", "HEAD"})
NONCE = re.compile(r"'nonce-([^']+)'")
POLICY = "content-security-policy"
# Made afresh for every answer, or never to be shown to another client.
PER_ANSWER = frozenset({"content-length", REQUEST_ID_HEADER.lower(), POLICY, "retry-after"})
# Representation metadata werkzeug leaves on a 304 that Flask's own 304 does not carry.
NOT_ON_304 = frozenset({"link", "content-disposition"})
NOT_MODIFIED = "304 NOT MODIFIED"

Stamp = Callable[[], Hashable | None]
Address = tuple[str, str, str, str, str]


@dataclass(frozen=True)
class Kept:
    """A response as Flask sent it, with what is made afresh for every answer taken out."""

    layer: str
    stamp: Hashable
    status: str
    headers: tuple[tuple[str, str], ...]
    not_modified_headers: tuple[tuple[str, str], ...]
    # The Content-Security-Policy and the body, split around the nonce they carried.
    policy: tuple[str, ...]
    body: tuple[bytes, ...]
    etag: str | None


def _kept(
    layer: str, stamp: Hashable, status: str, headers: list[tuple[str, str]], body: bytes
) -> Kept | None:
    """The response to keep, or None when it must not be shown to anyone else."""
    names = {name.lower() for name, _value in headers}
    if not status.startswith("200 ") or "set-cookie" in names:
        return None
    for name, value in headers:
        lowered = name.lower()
        if lowered == "vary" and {part.strip().lower() for part in value.split(",")} != {"cookie"}:
            return None
    policy = next((value for name, value in headers if name.lower() == POLICY), None)
    nonce = NONCE.search(policy) if policy else None
    own = [
        (name, value)
        for name, value in headers
        if name.lower() not in PER_ANSWER and not name.lower().startswith("x-ratelimit-")
    ]
    not_modified = list(own)
    remove_entity_headers(not_modified)
    etag = next((value for name, value in own if name.lower() == "etag"), None)
    return Kept(
        layer=layer,
        stamp=stamp,
        status=status,
        headers=tuple(own),
        not_modified_headers=tuple(h for h in not_modified if h[0].lower() not in NOT_ON_304),
        policy=tuple(policy.split(nonce.group(1))) if nonce and policy else (),
        body=tuple(body.split(nonce.group(1).encode())) if nonce else (body,),
        etag=etag,
    )


class _Addresses:
    """The kept responses of one process, by address; the oldest answered goes first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: OrderedDict[Address, Kept] = OrderedDict()

    def get(self, address: Address) -> Kept | None:
        with self._lock:
            kept = self._kept.get(address)
            if kept is not None:
                self._kept.move_to_end(address)
            return kept

    def put(self, address: Address, kept: Kept) -> None:
        with self._lock:
            self._kept[address] = kept
            self._kept.move_to_end(address)
            while len(self._kept) > KEPT_ADDRESSES:
                self._kept.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


def _address(environ: WSGIEnvironment) -> Address:
    """The address as the client sent it: the raw parts Flask reads the URL from. A Host Flask
    refuses (TRUSTED_HOSTS) is never kept, so it is never answered here either."""
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    return (
        environ.get("wsgi.url_scheme", ""),
        host,
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
    )


class Edge:
    """The WSGI layer in front of Flask (inside WhiteNoise and ProxyFix, which come later)."""

    def __init__(self, app: WSGIApplication, cookie_names: tuple[str, ...]) -> None:
        self.app = app
        self.cookie_names = cookie_names
        self.layers: dict[str, Stamp] = {}
        self.kept = _Addresses()

    def _anonymous_read(self, environ: WSGIEnvironment) -> bool:
        if environ.get("REQUEST_METHOD") not in READS or "HTTP_AUTHORIZATION" in environ:
            return False
        cookies = environ.get("HTTP_COOKIE")
        # A name anywhere in the header is enough to go to Flask: it reads the cookies properly.
        return not cookies or not any(name in cookies for name in self.cookie_names)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if not self._anonymous_read(environ):
            return self.app(environ, start_response)
        started = time.perf_counter()
        address = _address(environ)
        kept = self.kept.get(address)
        if kept is not None:
            stamp = self.layers[kept.layer]()
            if stamp is not None and stamp == kept.stamp:
                return self._answer(kept, environ, start_response, started)
        if environ["REQUEST_METHOD"] != "GET":
            return self.app(environ, start_response)
        return self._through_flask(address, environ, start_response)

    def _through_flask(
        self, address: Address, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        sent: list[Any] = []

        def recording(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            sent[:] = [status, headers]
            return start_response(status, headers, *exc_info)

        answer = self.app(environ, recording)
        mark = environ.get(MARK)
        if mark is None or not sent:
            return answer
        body = b"".join(answer)
        kept = _kept(mark[0], mark[1], sent[0], sent[1], body)
        if kept is not None:
            self.kept.put(address, kept)
        return ClosingIterator([body], getattr(answer, "close", None))

    def _answer(
        self, kept: Kept, environ: WSGIEnvironment, start_response: StartResponse, started: float
    ) -> list[bytes]:
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID", ""))
        nonce = new_csp_nonce()
        fresh = [(REQUEST_ID_HEADER, request_id)]
        if kept.policy:
            fresh.append(("Content-Security-Policy", nonce.join(kept.policy)))
        asked = environ.get("HTTP_IF_NONE_MATCH")
        if asked and kept.etag and parse_etags(asked).contains(kept.etag.strip('"')):
            status, body = NOT_MODIFIED, b""
            start_response(status, [*kept.not_modified_headers, *fresh])
        else:
            status, body = kept.status, nonce.encode().join(kept.body)
            start_response(status, [*kept.headers, *fresh, ("Content-Length", str(len(body)))])
            if environ["REQUEST_METHOD"] == "HEAD":
                body = b""
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
        log_access(
            environ["REQUEST_METHOD"],
            path,
            int(status[:3]),
            time.perf_counter() - started,
            request_id=request_id,
            answered_by="edge",
        )
        return [body]


def add_layer(app: Flask, name: str, stamp: Stamp) -> None:
    """Let views of the layer ``name`` keep responses here, fresh while ``stamp()`` is the same.

    Called by a domain while its blueprint is registered: the edge then wraps Flask itself,
    inside what the app factory puts in front later (ProxyFix, WhiteNoise).
    """
    edge = app.extensions.get(EXTENSION)
    if edge is None:
        cookie_names = (
            app.config["SESSION_COOKIE_NAME"],
            app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),
        )
        edge = Edge(app.wsgi_app, cookie_names)
        app.wsgi_app = edge  # type: ignore[method-assign]
        app.extensions[EXTENSION] = edge
    edge.layers[name] = stamp


def keep(layer: str, stamp: Hashable) -> None:
    """Keep the response this request makes, for anonymous readers, while the stamp holds.

    Only a mark: whether it is kept is decided once the response is finished (see above).
    """
    request.environ[MARK] = (layer, stamp)
