"""Signed-in sessions that end: a row per session, its key in the signed Flask cookie.

Sign-out, a password change, a second-factor change and deactivation mark rows ended; the
request loader refuses an ended or unknown key. The last-seen time for the idle timeout is kept
in the signed cookie (``session["seen"]``), so that a page view never writes to the database.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, session
from sqlalchemy.orm import joinedload

from portal.accounts.models import Membership, User, UserSession
from portal.database import utcnow
from portal.extensions import db

SEEN_KEY = "seen"


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(user: User, user_agent: str, now: datetime) -> str:
    """Record a new session for ``user`` and return its key for the cookie."""
    key = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            key_hash=_key_hash(key),
            user_id=user.id,
            created_at=now,
            user_agent=describe_user_agent(user_agent),
        )
    )
    db.session.flush()
    user.session_key = key
    return key


def idle_limit(user: User) -> timedelta:
    config = current_app.config
    minutes = (
        config["SESSION_IDLE_MINUTES_OFFICER"]
        if user.is_officer
        else config["SESSION_IDLE_MINUTES"]
    )
    return timedelta(minutes=minutes)


def absolute_limit() -> timedelta:
    return timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"])


# One round trip for the session, its person, their memberships and organisations, which
# every signed-in page reads for its permissions. Built once: every signed-in request runs it.
_SESSION_WITH_ITS_PERSON = (
    sa.select(UserSession)
    .where(UserSession.key_hash == sa.bindparam("key_hash"))
    .options(
        joinedload(UserSession.user)
        .joinedload(User.memberships)
        .joinedload(Membership.organisation)
    )
)


def load(key: str) -> User | None:
    """The user of the session with this key, if it is live; refreshes its last-seen time."""
    if not key or len(key) > 100:
        return None
    row = (
        db.session.execute(_SESSION_WITH_ITS_PERSON, {"key_hash": _key_hash(key)})
        .unique()
        .scalar_one_or_none()
    )
    now = utcnow()
    if row is None or row.ended_at is not None or not row.user.active:
        return None
    if now - row.created_at > absolute_limit():
        return None
    seen = session.get(SEEN_KEY)
    if (
        not isinstance(seen, int | float)
        or now.timestamp() - seen > idle_limit(row.user).total_seconds()
    ):
        return None
    session[SEEN_KEY] = int(now.timestamp())
    row.user.session_key = key
    return row.user


def end(key: str | None, now: datetime) -> None:
    if not key:
        return
    db.session.execute(
        sa.update(UserSession)
        .where(UserSession.key_hash == _key_hash(key), UserSession.ended_at.is_(None))
        .values(ended_at=now)
    )


def end_all(user: User, now: datetime, *, keep: str | None = None) -> None:
    """End every session of ``user`` except the one with key ``keep``."""
    condition = [UserSession.user_id == user.id, UserSession.ended_at.is_(None)]
    if keep:
        condition.append(UserSession.key_hash != _key_hash(keep))
    db.session.execute(
        sa.update(UserSession)
        .where(*condition)
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )


def active(user: User, now: datetime) -> list[UserSession]:
    """Sessions not ended and within the absolute limit, newest first. One idle in another
    browser still shows: its last-seen time lives in that browser's cookie."""
    return list(
        db.session.execute(
            sa.select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.ended_at.is_(None),
                UserSession.created_at > now - absolute_limit(),
            )
            .order_by(UserSession.created_at.desc())
        ).scalars()
    )


def is_current(row: UserSession, key: str | None) -> bool:
    return key is not None and row.key_hash == _key_hash(key)


_BROWSERS = (
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_user_agent(user_agent: str) -> str:
    """A short, readable summary ("Chrome on Windows") rather than the raw header."""
    browser = next((name for token, name in _BROWSERS if token in user_agent), "A browser")
    system = next((name for token, name in _SYSTEMS if token in user_agent), None)
    return f"{browser} on {system}" if system else browser
