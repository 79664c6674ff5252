"""Preferences, the links in every email that lead to them, and the digests.

The outbox (``portal.mail.queue_email``) asks ``delivery_for`` how a member wants each kind
of email: at once (an outbox message as before), held for a daily or weekly digest (a
``DigestItem``), or not at all. The worker's digest job (``send_due_digests``) turns the
held items that are due into one email per member, queued through the outbox like any other.

Digests go at 07:00 London time: the daily one each morning, the weekly one on Mondays. An
item waits for the first such time after it was held.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from portal.accounts.models import User
from portal.audit.services import record
from portal.database import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.notifications.kinds import Frequency, Kind
from portal.notifications.models import DigestItem, NotificationPreference
from portal.organisations.models import Area
from portal.outbox import OutboxMessage
from portal.urls import external_url

LONDON = ZoneInfo("Europe/London")
DIGEST_HOUR = time(7, 0)
WEEKLY_DIGEST_WEEKDAY = 0  # Monday
LINK_SALT = "notification-preferences"
OUTBOX_PAGE_SIZE = 200


# --- the link in every email -----------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def preferences_token(user_id: int, kind: Kind) -> str:
    """A signed token naming one member and one kind. It has no expiry, like any unsubscribe
    link, and it only lets its holder choose how often that member gets that kind."""
    return _serializer().dumps([user_id, kind.value])


def read_preferences_token(token: str) -> tuple[User, Kind] | None:
    try:
        user_id, kind_name = _serializer().loads(token)
        kind = Kind(kind_name)
    except (BadSignature, ValueError, TypeError):
        return None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active:
        return None
    return user, kind


def preferences_link(user_id: int | None, kind: Kind) -> str:
    """Where an email's footer leads: the one-kind page for a member, else the full page."""
    if user_id is None:
        return external_url("notifications.preferences")
    return external_url("notifications.from_email", token=preferences_token(user_id, kind))


# --- choices ---------------------------------------------------------------------------------


def frequency_for(user: User, kind: Kind) -> Frequency:
    if not kind.choosable:
        return Frequency.IMMEDIATE
    chosen = db.session.execute(
        sa.select(NotificationPreference.frequency).where(
            NotificationPreference.user_id == user.id, NotificationPreference.kind == kind.value
        )
    ).scalar_one_or_none()
    return chosen if chosen in kind.choices else Frequency.IMMEDIATE


def choices_of(user: User) -> dict[Kind, Frequency]:
    return {kind: frequency_for(user, kind) for kind in Kind if kind.choosable}


def delivery_for(address: str, kind: Kind) -> tuple[User | None, Frequency]:
    """Whose address this is (if a member's) and how they want this kind of email.

    One query, without flushing first: a vote's opening queues an email for each of
    hundreds of members, and flushing the messages queued so far before each look-up made
    that many round trips more (preferences themselves are flushed when they are saved)."""
    with db.session.no_autoflush:
        found = db.session.execute(
            sa.select(User, NotificationPreference.frequency)
            .outerjoin(
                NotificationPreference,
                sa.and_(
                    NotificationPreference.user_id == User.id,
                    NotificationPreference.kind == kind.value,
                ),
            )
            .where(User.email == address.strip().lower())
        ).one_or_none()
    if found is None:
        return None, Frequency.IMMEDIATE
    user, chosen = found
    if not kind.choosable or chosen not in kind.choices:
        return user, Frequency.IMMEDIATE
    return user, chosen


def set_preferences(actor: User | None, user: User, choices: Mapping[Kind, Frequency]) -> int:
    """Apply ``choices`` to ``user``'s preferences; return how many changed.

    ``actor`` is None when the change came through the signed link in an email (nobody
    signed in). Items already held for a digest follow the new choice: sent in the next
    digest round when the member now wants them at once, re-timed for the other digest,
    dropped when the member no longer wants them."""
    now = utcnow()
    current = choices_of(user)
    changed = []
    for kind, frequency in choices.items():
        if frequency not in kind.choices:
            raise DomainError(f"{kind.label} cannot be set to “{frequency.label}”")
        if current.get(kind) is frequency:
            continue
        row = db.session.execute(
            sa.select(NotificationPreference).where(
                NotificationPreference.user_id == user.id,
                NotificationPreference.kind == kind.value,
            )
        ).scalar_one_or_none()
        if row is None:
            row = NotificationPreference(user_id=user.id, kind=kind.value)
            db.session.add(row)
        row.frequency = frequency
        row.updated_at = now
        _retime_held(user, kind, frequency, now)
        changed.append(f"{kind.value}: {frequency.value}")
    if changed:
        db.session.flush()
        record(
            "notifications.preferences_changed",
            "Email preferences changed"
            + ("" if actor is not None else " through the link in an email")
            + f": {', '.join(changed)}",
            actor=actor,
            subject=user,
            details={"changes": changed},
        )
    return len(changed)


def _retime_held(user: User, kind: Kind, frequency: Frequency, now: datetime) -> None:
    held = sa.and_(
        DigestItem.user_id == user.id,
        DigestItem.kind == kind.value,
        DigestItem.digest_message_id.is_(None),
    )
    if frequency is Frequency.OFF:
        db.session.execute(sa.delete(DigestItem).where(held))
        return
    release = now if frequency is Frequency.IMMEDIATE else next_digest_time(frequency, now)
    db.session.execute(sa.update(DigestItem).where(held).values(release_at=release))


# --- holding and sending digests -------------------------------------------------------------


def next_digest_time(frequency: Frequency, after: datetime) -> datetime:
    """The first digest time of ``frequency`` strictly after ``after`` (07:00 London)."""
    local = after.astimezone(LONDON)
    day = local.date()
    while True:
        candidate = datetime.combine(day, DIGEST_HOUR, tzinfo=LONDON)
        weekly_ok = frequency is not Frequency.WEEKLY or day.weekday() == WEEKLY_DIGEST_WEEKDAY
        if candidate > local and weekly_ok:
            return candidate
        day += timedelta(days=1)


def hold_for_digest(
    user: User,
    kind: Kind,
    frequency: Frequency,
    subject: str,
    link: str | None,
    area_id: int | None,
    now: datetime,
) -> DigestItem:
    item = DigestItem(
        user_id=user.id,
        kind=kind.value,
        area_id=area_id,
        subject=subject[:500],
        link=link,
        created_at=now,
        release_at=next_digest_time(frequency, now),
    )
    db.session.add(item)
    return item


@dataclass(frozen=True)
class DigestLine:
    text: str
    link: str | None


def digest_lines(items: list[DigestItem]) -> list[tuple[Kind, list[DigestLine]]]:
    """The digest's items by kind, in the kinds' order, oldest first within each."""
    by_kind: dict[Kind, list[DigestLine]] = {}
    for item in sorted(items, key=lambda i: (i.created_at, i.id)):
        kind = item.kind_enum
        # The policy's rule for non-public tiers: name the kind and give the link, nothing more.
        text = item.subject if kind.public else kind.digest_line
        by_kind.setdefault(kind, []).append(DigestLine(text, item.link))
    return [(kind, by_kind[kind]) for kind in Kind if kind in by_kind]


def digest_body(user: User, items: list[DigestItem]) -> str:
    count = len(items)
    lines = [
        f"Dear {user.name},",
        "",
        f"Here {'is' if count == 1 else 'are'} the {count} "
        f"update{'' if count == 1 else 's'} held for your digest. Sign in to read each one.",
    ]
    home = external_url("main.home")
    for kind, entries in digest_lines(items):
        lines += ["", kind.label]
        for entry in entries:
            lines.append(f"- {entry.text}: {entry.link or home}")
    return "\n".join(lines) + "\n"


def send_due_digests(now: datetime) -> int:
    """Queue one digest for each member with held items that are due; return how many."""
    # Imported here: the mail module asks this one how each member wants their email.
    from portal.mail import write_message

    query = (
        sa.select(DigestItem)
        .join(DigestItem.user)
        # A deactivated member is sent nothing; their items wait in case they come back.
        .where(
            DigestItem.digest_message_id.is_(None),
            DigestItem.release_at <= now,
            User.active.is_(True),
        )
        .order_by(DigestItem.user_id, DigestItem.id)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # Two workers never put one item into two digests.
        query = query.with_for_update(skip_locked=True, of=DigestItem)
    due: dict[int, list[DigestItem]] = {}
    for item in db.session.execute(query).scalars():
        due.setdefault(item.user_id, []).append(item)
    sent = 0
    for items in due.values():
        user = items[0].user
        # A digest from one area shows in that area's outbox; one mixing areas in none.
        areas = {item.area_id for item in items}
        area = db.session.get(Area, areas.pop()) if len(areas) == 1 and None not in areas else None
        count = len(items)
        message = write_message(
            user.email,
            f"Your GP Collective Voice digest: {count} update{'' if count == 1 else 's'}",
            digest_body(user, items),
            kind=Kind.DIGEST,
            area_id=area.id if area is not None else None,
            user_id=user.id,
        )
        db.session.flush()
        for item in items:
            item.digest_message_id = message.id
        sent += 1
    return sent


# --- what an area administrator sees of the outbox -------------------------------------------


def outbox_of(area: Area, state: str | None = None) -> list[OutboxMessage]:
    """The area's most recent messages, newest first; never their bodies' content."""
    query = sa.select(OutboxMessage).where(OutboxMessage.area_id == area.id)
    if state is not None:
        query = query.where(OutboxMessage.state == state)
    return list(
        db.session.execute(
            query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(
                OUTBOX_PAGE_SIZE
            )
        ).scalars()
    )


def outbox_counts(area: Area) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(OutboxMessage.state, sa.func.count())
        .where(OutboxMessage.area_id == area.id)
        .group_by(OutboxMessage.state)
    ).all()
    return {state.value: count for state, count in rows}
