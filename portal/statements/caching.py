"""Whole responses of published statements, kept per audience, with strong ETags.

A published statement changes only when it is superseded or withdrawn, signed by a later
endorser or answered by the ICS; a list, the feed and the API change when one is published. So
a response is identified, without rendering anything, by:

- the statements' *fingerprint*: one aggregate query over the statements, their signatories
  and the ICS's responses (how many, the newest ids, how many ended and when), which every
  publish, supersede, withdraw, endorsement and response moves, whichever worker made it;
- a *generation* bumped by the ORM whenever a statement, signatory, endorsement, response,
  area or proposal is flushed, and again after the commit (Redis ``INCR`` when
  ``PORTAL_REDIS_URL`` is set, so every worker sees it; a counter in the process otherwise),
  which also catches what the fingerprint cannot see, such as an area renamed;
- the reader's *audience*: for every area where they hold a role, the tiers they may read
  there (``portal.positions.tiers``); everyone else reads only public statements;
- the exact URL asked for (host, path and query) and the *app version* (a digest of the
  portal's files as deployed, so a new release never serves an old page).

The ETag is an HMAC of those under the portal's secret key, so it cannot be computed from
outside. A 304 is answered only when this audience's response is held under that very ETag,
so a reader is never told "not modified" about a response made for another audience, nor about
one they could not read (what they may not read is a 404, never stored). ``If-Modified-Since``
is ignored on purpose: a date alone does not say for which audience a copy was made.

Only what is the same for everyone of an audience is stored: HTML pages only for readers who
are not signed in and have no message waiting (a signed-in page carries their name, their
navigation and a CSRF token), the feed and the API for everyone. The CSP nonce in a stored page
is replaced by the request's own each time it is served.

Readers with no session at all (most of them: links in emails, the feed, the API) are answered
before Flask runs, by the portal's edge (portal/edge.py), from the bytes Flask last sent for
that address; its stamp is this module's generation and fingerprint, asked afresh for every
answer, so a supersede, withdraw, signing or answer made by any worker or instance is seen by
the next reader everywhere. The fingerprint is asked on a connection each thread keeps
(``_Fingerprints``), so an answer costs that one query and no pool checkout.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, has_app_context, request, session
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal import edge
from portal.extensions import db
from portal.http import csp_nonce
from portal.organisations.models import Area
from portal.positions.models import Proposal
from portal.statements.models import (
    IcsResponse,
    Statement,
    StatementEndorsement,
    StatementSignatory,
)
from portal.statements.permissions import statement_tiers

log = logging.getLogger(__name__)

EXTENSION = "statement_cache"
GENERATION_KEY = "portal:statements:generation"
ENTRY_PREFIX = "portal:statements:response:"
# Entries are never wrong (their key names everything they depend on), only unused once the
# statements change: a day bounds what old keys hold in Redis, the count what a process holds.
ENTRY_SECONDS = 24 * 3600
MEMORY_ENTRIES = 512
NONCE_PLACEHOLDER = b"\x00csp-nonce\x00"
# Everything a statement's responses show: the statement and what hangs off it, and the
# area's name and the proposal's title and reference, which can be edited after publication.
WATCHED = (Statement, StatementSignatory, StatementEndorsement, IcsResponse, Area, Proposal)
PUBLIC_AUDIENCE = "public"

P = ParamSpec("P")


class _MemoryStore:
    """The cache inside one process, for ``make run`` and tests without Redis."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._generation = 0

    def generation(self) -> str:
        return str(self._generation)

    def bump(self) -> None:
        with self._lock:
            self._generation += 1

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: str, value: bytes) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > MEMORY_ENTRIES:
                self._entries.popitem(last=False)


class _RedisStore:
    """The cache every worker shares. Redis being away costs speed, never a page."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._errors = redis.exceptions.RedisError

    def generation(self) -> str | None:
        try:
            value = self._redis.get(GENERATION_KEY)
        except self._errors:
            log.warning("statement cache: Redis unreachable, serving without the cache")
            return None
        return value.decode() if isinstance(value, bytes) else "0"

    def bump(self) -> None:
        try:
            self._redis.incr(GENERATION_KEY)
        except self._errors:
            # Redis away means nothing is served from it either; the fingerprint still moves.
            log.warning("statement cache: could not move the generation on")

    def get(self, key: str) -> bytes | None:
        try:
            value = self._redis.get(ENTRY_PREFIX + key)
        except self._errors:
            return None
        return value if isinstance(value, bytes) else None

    def put(self, key: str, value: bytes) -> None:
        try:
            self._redis.set(ENTRY_PREFIX + key, value, ex=ENTRY_SECONDS)
        except self._errors:
            log.warning("statement cache: could not store a response")


Store = _MemoryStore | _RedisStore


def _app_version(app: Flask) -> str:
    """A digest of every file of the portal as deployed: names, sizes and times."""
    digest = hashlib.sha256()
    root = Path(app.root_path)
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            stat = path.stat()
            digest.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def init_app(app: Any) -> None:
    """Called when the pages' or the API's blueprint is registered, whichever comes first."""
    if EXTENSION in app.extensions:
        return
    url = app.config.get("REDIS_URL")
    store: Store = _RedisStore(url) if url else _MemoryStore()
    state: dict[str, Any] = {
        "store": store,
        "version": _app_version(app),
        "fingerprints": _Fingerprints(),
    }
    app.extensions[EXTENSION] = state
    # The edge asks the store and the fingerprints the views use, as they are when it asks.
    edge.add_layer(app, EXTENSION, lambda: _edge_stamp(state["store"], state["fingerprints"]))


def _store() -> Store | None:
    state = current_app.extensions.get(EXTENSION)
    return state["store"] if state else None


def _edge_stamp(store: Store, fingerprints: _Fingerprints) -> Hashable | None:
    """What the edge compares with the stamp of a kept response: the same as ``cached`` uses.

    None (the edge then hands the request to Flask) when Redis or the database does not answer:
    Flask then serves without the cache, or shows its error page.
    """
    generation = store.generation()
    if generation is None:
        return None
    try:
        row = fingerprints.read()
    except sa.exc.DBAPIError:
        log.warning("statement cache: the fingerprint query failed; Flask answers")
        return None
    return (generation, *_prints(row))


# ----------------------------------------------------------------------------------------------
# Invalidation: the ORM tells us when anything a statement's response shows was written
# ----------------------------------------------------------------------------------------------

_CHANGED = "statements_changed"


def _bump() -> None:
    if has_app_context():
        store = _store()
        if store is not None:
            store.bump()


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(instance, WATCHED) for instance in touched):
        # Now, so no worker stores the old response under a generation it takes for new,
        # and again after the commit, so none keeps one rendered while this was uncommitted.
        session.info[_CHANGED] = True
        _bump()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        _bump()


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: Any) -> None:
    if session.info.pop(_CHANGED, False):
        _bump()


# ----------------------------------------------------------------------------------------------
# What identifies a response
# ----------------------------------------------------------------------------------------------


def _fingerprint_query() -> sa.Select[Any]:
    columns = (
        sa.func.count(Statement.id),
        sa.func.max(Statement.id),
        sa.func.max(Statement.published_at),
        sa.func.count(Statement.ended_at),
        sa.func.max(Statement.ended_at),
        sa.func.count(StatementSignatory.id),
        sa.func.max(StatementSignatory.id),
        sa.func.count(IcsResponse.id),
        sa.func.max(IcsResponse.id),
        sa.func.max(IcsResponse.created_at),
    )
    # One round trip: each aggregate a scalar subquery over its own table.
    return sa.select(*(sa.select(column).scalar_subquery() for column in columns))


# Built once: building the expression cost as much as running it.
FINGERPRINT = _fingerprint_query()


class _Fingerprints:
    """The fingerprint query on a connection each thread keeps, in autocommit.

    Not through the request's session: a held response then never opens the session's
    transaction, so the request has nothing to commit. Not a connection from the pool for each
    request either: checking one out and back in (the pool pings it first and resets it after)
    cost more than the query. A kept connection in autocommit holds no transaction and no lock
    between queries; it is still the engine's, so its query is logged and counted as any other,
    and the engine's ``dispose`` closes it.
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._kept: list[sa.Connection] = []
        self._engine: sa.Engine | None = None

    def _connect(self, engine: sa.Engine) -> sa.Connection:
        with self._lock:
            if self._engine is not engine:
                self._engine = engine
                event.listen(engine, "engine_disposed", self._close_all)
            connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self._kept.append(connection)
        self._local.connection = connection
        return connection

    def _discard(self, connection: sa.Connection) -> None:
        with self._lock:
            self._kept.remove(connection)
        connection.close()

    def _close_all(self, _engine: sa.Engine) -> None:
        with self._lock:
            kept, self._kept = self._kept, []
        for connection in kept:
            connection.close()

    def read(self, engine: sa.Engine | None = None) -> sa.Row[Any]:
        """The fingerprint's row, on ``engine`` or (at the edge, outside Flask) the last used."""
        engine = engine or self._engine
        assert engine is not None, "the edge keeps only what a request served through Flask"
        connection: sa.Connection | None = getattr(self._local, "connection", None)
        if connection is None or connection.closed:
            connection = self._connect(engine)
        try:
            return connection.execute(FINGERPRINT).one()
        except sa.exc.DBAPIError:
            # The server may have dropped it since it was last used (a restart): once more on
            # a fresh connection, which raises in turn when the database is really away.
            self._discard(connection)
            return self._connect(engine).execute(FINGERPRINT).one()


def _prints(row: sa.Row[Any]) -> list[str]:
    return [str(value) for value in row]


def fingerprint() -> tuple[list[str], datetime | None]:
    """Numbers that every change to a published statement moves, and the latest change."""
    row = current_app.extensions[EXTENSION]["fingerprints"].read(db.engine)
    moments = [moment for moment in (row[2], row[4], row[9]) if moment is not None]
    return _prints(row), max(moments, default=None)


def audience(*, personal_html: bool) -> str | None:
    """Who this response is for, or None when it must not be stored at all."""
    if not current_user.is_authenticated:
        # A message waiting to be shown (a flash) belongs to this visitor alone.
        return PUBLIC_AUDIENCE if "_flashes" not in session else None
    if personal_html:
        return None
    areas = {membership.organisation.area for membership in current_user.memberships}
    tiers = {
        area.id: sorted(tier.value for tier in statement_tiers(current_user, area))
        for area in areas
    }
    return json.dumps(sorted(tiers.items()))


def _key(kind: str, reader: str, generation: str, prints: list[Any]) -> str:
    version = current_app.extensions[EXTENSION]["version"]
    # The URL as asked for, from its parts: building request.url (an IRI) cost more than the
    # rest of the key.
    asked = [request.scheme, request.host, request.path, request.query_string.decode("latin-1")]
    material = json.dumps([kind, version, generation, reader, asked, prints])
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, material.encode(), hashlib.sha256).hexdigest()[:40]


# ----------------------------------------------------------------------------------------------
# Serving
# ----------------------------------------------------------------------------------------------

# Headers a stored response keeps; the rest (security headers, the CSP) are made afresh.
KEPT_HEADERS = ("Content-Type", "Link", "Content-Disposition")


def _pack(response: Response, last_modified: datetime | None) -> bytes:
    body = response.get_data()
    nonce = g.get("csp_nonce")
    if nonce:
        body = body.replace(nonce.encode(), NONCE_PLACEHOLDER)
    meta = {
        "headers": {
            name: response.headers[name] for name in KEPT_HEADERS if name in response.headers
        },
        "last_modified": last_modified.isoformat() if last_modified else None,
    }
    return json.dumps(meta).encode() + b"\n" + body


def _unpack(stored: bytes) -> tuple[dict[str, Any], bytes]:
    meta, _, body = stored.partition(b"\n")
    return json.loads(meta), body


def _finish(response: Response, etag: str, meta: dict[str, Any], reader: str) -> Response:
    response.set_etag(etag)
    if meta.get("last_modified"):
        response.last_modified = datetime.fromisoformat(meta["last_modified"])
    response.headers["Vary"] = "Cookie"
    # Kept by the browser but asked about every time: the ETag makes asking cheap.
    privacy = "public" if reader == PUBLIC_AUDIENCE else "private"
    response.headers["Cache-Control"] = f"{privacy}, no-cache"
    return response


def cached(kind: str, *, personal_html: bool) -> Callable[[Callable[P, Any]], Callable[P, Any]]:
    """Serve a published-statement view from the cache of its audience, with ETag and 304.

    ``personal_html``: the view renders a page with the signed-in reader's own header and
    forms, so it is stored only for readers who are not signed in.
    """

    def decorate(view: Callable[P, Any]) -> Callable[P, Any]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
            store = _store()
            reader = audience(personal_html=personal_html) if store is not None else None
            generation = store.generation() if store is not None and reader else None
            if store is None or reader is None or generation is None:
                return view(*args, **kwargs)
            prints, last_modified = fingerprint()
            key = _key(kind, reader, generation, prints)
            stored = store.get(key)
            if stored is not None:
                meta, body = _unpack(stored)
                if request.if_none_match.contains(key):
                    return _finish(Response(status=304), key, meta, reader)
                if reader == PUBLIC_AUDIENCE:
                    edge.keep(EXTENSION, (generation, *prints))
                response = Response(
                    body.replace(NONCE_PLACEHOLDER, csp_nonce().encode()),
                    headers=meta["headers"],
                )
                return _finish(response, key, meta, reader)
            response = current_app.make_response(view(*args, **kwargs))
            if response.status_code != 200 or response.direct_passthrough:
                return response
            # A page that wrote to the visitor's session may hold what is theirs (a CSRF
            # token). A signed-in reader's session moves on every request (its last-seen
            # time) without the feed or the API showing any of it.
            if personal_html and session.modified:
                return response
            packed = _pack(response, last_modified)
            store.put(key, packed)
            if reader == PUBLIC_AUDIENCE:
                edge.keep(EXTENSION, (generation, *prints))
            return _finish(response, key, _unpack(packed)[0], reader)

        return wrapper

    return decorate
