"""Series, meetings, their agenda, attendance, minutes, decisions and actions, and the
calendar feed addresses. Services flush, never commit, and audit every change."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from portal.accounts.models import Membership, User
from portal.accounts.queries import group_members
from portal.audit.services import record
from portal.database import utcnow
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.markdown import render_markdown
from portal.meetings import permissions
from portal.meetings.models import (
    ActionItem,
    ActionState,
    AgendaItem,
    Attendance,
    CalendarFeed,
    Decision,
    Meeting,
    MeetingMode,
    MeetingSeries,
)
from portal.meetings.references import BadReference, parse_reference
from portal.organisations.models import Area, Organisation, OrganisationKind
from portal.organisations.permissions import GROUP_ROLES
from portal.times import LONDON

GROUP_KINDS = (
    OrganisationKind.PRACTICE,
    OrganisationKind.PCN,
    OrganisationKind.FEDERATION,
    OrganisationKind.LMC,
)


@dataclass(frozen=True)
class Where:
    mode: MeetingMode
    place: str | None
    online_link: str | None


def _checked_where(where: Where) -> Where:
    place = (where.place or "").strip() or None
    link = (where.online_link or "").strip() or None
    if where.mode is MeetingMode.IN_PERSON and not place:
        raise DomainError("Say where the meeting is held.")
    if where.mode is MeetingMode.ONLINE and (not link or not link.startswith("https://")):
        raise DomainError("Give the online meeting's link, starting with https://.")
    return Where(
        where.mode,
        place if where.mode is MeetingMode.IN_PERSON else None,
        link if where.mode is MeetingMode.ONLINE else None,
    )


def _require_organiser(actor: User, area: Area) -> None:
    if not permissions.can_organise(actor, area):
        raise NotPermitted("Only LMC officers and area administrators set up meetings.")


def _require_runner(actor: User, meeting: Meeting) -> None:
    if not permissions.can_run(actor, meeting):
        raise NotPermitted("Only the chair and the officers change this meeting.")


def _check_chair(area: Area, chair: User | None) -> None:
    if chair is not None and chair not in members(area):
        raise DomainError("The chair must be a member of the leadership group in this area.")


def members(area: Area) -> list[User]:
    """The area's leadership group, who may chair, attend and own actions."""
    return group_members(area)


def create_series(
    actor: User,
    area: Area,
    *,
    title: str,
    weekday: int,
    start_time: time,
    duration_minutes: int,
    where: Where,
    chair: User | None,
) -> MeetingSeries:
    _require_organiser(actor, area)
    if not title.strip():
        raise DomainError("Enter a name for the series.")
    if weekday not in range(7):
        raise DomainError("Choose a day of the week.")
    if not 0 < duration_minutes <= 480:
        raise DomainError("A meeting lasts between 1 minute and 8 hours.")
    _check_chair(area, chair)
    where = _checked_where(where)
    series = MeetingSeries(
        area=area,
        title=title.strip(),
        weekday=weekday,
        start_time=start_time,
        duration_minutes=duration_minutes,
        mode=where.mode,
        place=where.place,
        online_link=where.online_link,
        chair=chair,
    )
    db.session.add(series)
    db.session.flush()
    record(
        "meetings.series_created",
        f"Set up the meeting series {series.title!r} ({series.rhythm_text})",
        actor=actor,
        area=area,
        subject=series,
    )
    return series


def next_occurrence(series: MeetingSeries, after: datetime) -> tuple[datetime, datetime]:
    """The series' first meeting time (UTC) strictly after ``after``, in London time."""
    local_day = after.astimezone(LONDON).date()
    for offset in range(15):
        day = local_day + timedelta(days=offset)
        if day.weekday() != series.weekday:
            continue
        starts = datetime.combine(day, series.start_time, LONDON)
        if starts > after:
            return starts, starts + timedelta(minutes=series.duration_minutes)
    raise AssertionError("a weekday recurs within two weeks")


def schedule_next(actor: User, series: MeetingSeries, now: datetime) -> Meeting:
    """Add the series' next meeting after both now and its last meeting."""
    _require_organiser(actor, series.area)
    last = max((meeting.starts_at for meeting in series.meetings), default=now)
    starts, ends = next_occurrence(series, max(last, now))
    return create_meeting(
        actor,
        series.area,
        title=series.title,
        starts_at=starts,
        ends_at=ends,
        where=Where(series.mode, series.place, series.online_link),
        chair=series.chair,
        series=series,
    )


def create_meeting(
    actor: User,
    area: Area,
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    where: Where,
    chair: User | None,
    series: MeetingSeries | None = None,
) -> Meeting:
    _require_organiser(actor, area)
    if not title.strip():
        raise DomainError("Enter a name for the meeting.")
    if ends_at <= starts_at:
        raise DomainError("The meeting must end after it starts.")
    if series is not None and series.area_id != area.id:
        raise DomainError("That series belongs to another area.")
    _check_chair(area, chair)
    where = _checked_where(where)
    meeting = Meeting(
        area=area,
        series=series,
        title=title.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        mode=where.mode,
        place=where.place,
        online_link=where.online_link,
        chair=chair,
    )
    db.session.add(meeting)
    db.session.flush()
    record(
        "meetings.meeting_created",
        f"Arranged the meeting {meeting.title!r} on {starts_at.astimezone(LONDON):%d %B %Y %H:%M}",
        actor=actor,
        area=area,
        subject=meeting,
    )
    return meeting


def add_agenda_item(actor: User, meeting: Meeting, title: str, reference: str) -> AgendaItem:
    _require_runner(actor, meeting)
    if not title.strip():
        raise DomainError("Enter the agenda item.")
    stored = None
    if reference.strip():
        try:
            stored = parse_reference(reference).stored
        except BadReference as error:
            raise DomainError(str(error)) from error
    position = 1 + max((item.position for item in meeting.agenda), default=0)
    item = AgendaItem(meeting=meeting, position=position, title=title.strip(), reference=stored)
    db.session.add(item)
    db.session.flush()
    record(
        "meetings.agenda_item_added",
        f"Added agenda item {position} to {meeting.title!r}",
        actor=actor,
        area=meeting.area,
        subject=meeting,
    )
    return item


def attendance_choices(area: Area) -> list[tuple[User, Organisation]]:
    """Every (person, organisation) a person could attend for: their group memberships."""
    query = (
        sa.select(User, Organisation)
        .join(Membership, Membership.user_id == User.id)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(
            Organisation.area_id == area.id,
            Membership.role.in_(GROUP_ROLES),
            User.active.is_(True),
        )
        .distinct()
        .order_by(User.name, User.id, Organisation.name)
    )
    return [(user, organisation) for user, organisation in db.session.execute(query)]


def record_attendance(
    actor: User, meeting: Meeting, present: list[tuple[int, int]]
) -> list[Attendance]:
    """Replace the attendance with ``present``: (person id, organisation id) pairs."""
    _require_runner(actor, meeting)
    allowed = {
        (user.id, organisation.id) for user, organisation in attendance_choices(meeting.area)
    }
    people = [user_id for user_id, _ in present]
    if len(set(people)) != len(people):
        raise DomainError("Record each person once, for one organisation.")
    if not set(present) <= allowed:
        raise DomainError("Someone chosen is not a member of that organisation in this area.")
    meeting.attendance.clear()
    db.session.flush()
    for user_id, organisation_id in present:
        meeting.attendance.append(Attendance(user_id=user_id, organisation_id=organisation_id))
    db.session.flush()
    record(
        "meetings.attendance_recorded",
        f"Recorded {len(present)} present at {meeting.title!r}",
        actor=actor,
        area=meeting.area,
        subject=meeting,
    )
    return meeting.attendance


def save_minutes(actor: User, meeting: Meeting, markdown: str) -> None:
    _require_runner(actor, meeting)
    if meeting.minutes_approved_at is not None:
        raise Conflict("The chair has approved these minutes; they can no longer be changed.")
    if not markdown.strip():
        raise DomainError("Write the minutes.")
    # Rendering checks the text can be shown; what is stored is the text as written.
    render_markdown(markdown)
    meeting.minutes_markdown = markdown.strip()
    db.session.flush()
    record(
        "meetings.minutes_saved",
        f"Saved the draft minutes of {meeting.title!r}",
        actor=actor,
        area=meeting.area,
        subject=meeting,
    )


def approve_minutes(actor: User, meeting: Meeting) -> None:
    if not permissions.can_approve_minutes(actor, meeting):
        raise NotPermitted("Only the meeting's chair approves its minutes.")
    if meeting.minutes_markdown is None:
        raise DomainError("Write the minutes before approving them.")
    if meeting.minutes_approved_at is not None:
        raise Conflict("These minutes are already approved.")
    meeting.minutes_approved_at = utcnow()
    meeting.minutes_approved_by_id = actor.id
    db.session.flush()
    record(
        "meetings.minutes_approved",
        f"Approved and published the minutes of {meeting.title!r}",
        actor=actor,
        area=meeting.area,
        subject=meeting,
    )


def add_decision(actor: User, meeting: Meeting, text: str) -> Decision:
    _require_runner(actor, meeting)
    if not text.strip():
        raise DomainError("Enter the decision.")
    decision = Decision(meeting=meeting, text=text.strip())
    db.session.add(decision)
    db.session.flush()
    record(
        "meetings.decision_recorded",
        f"Recorded a decision at {meeting.title!r}",
        actor=actor,
        area=meeting.area,
        subject=meeting,
    )
    return decision


def add_action(
    actor: User, meeting: Meeting, description: str, owner: User | None, due_on: date
) -> ActionItem:
    _require_runner(actor, meeting)
    if not description.strip():
        raise DomainError("Describe the action.")
    if owner is None or owner not in members(meeting.area):
        raise DomainError("The action's owner must be a member of the leadership group here.")
    action = ActionItem(
        meeting=meeting,
        description=description.strip(),
        owner=owner,
        due_on=due_on,
        state=ActionState.OPEN,
    )
    db.session.add(action)
    db.session.flush()
    record(
        "meetings.action_added",
        f"Added an action for {owner.name}, due {due_on:%d %B %Y}, at {meeting.title!r}",
        actor=actor,
        area=meeting.area,
        subject=meeting,
    )
    return action


def complete_action(actor: User, action: ActionItem) -> None:
    if actor.id != action.owner_id and not permissions.can_run(actor, action.meeting):
        raise NotPermitted("Only the action's owner, the chair and the officers mark it done.")
    if action.state is ActionState.DONE:
        raise Conflict("This action is already done.")
    action.state = ActionState.DONE
    action.done_at = utcnow()
    db.session.flush()
    record(
        "meetings.action_done",
        f"Marked done: {action.description!r}",
        actor=actor,
        area=action.meeting.area,
        subject=action,
    )


# --- reading ----------------------------------------------------------------------------


def meetings_in(area: Area) -> list[Meeting]:
    return list(
        db.session.scalars(
            sa.select(Meeting).where(Meeting.area_id == area.id).order_by(Meeting.starts_at)
        )
    )


def series_in(area: Area) -> list[MeetingSeries]:
    return list(
        db.session.scalars(
            sa.select(MeetingSeries)
            .where(MeetingSeries.area_id == area.id)
            .order_by(MeetingSeries.id)
        )
    )


def overdue_actions(user: User, area: Area, today: date) -> list[ActionItem]:
    """Open actions past their due date that ``user`` owns or whose meeting they chair."""
    query = (
        sa.select(ActionItem)
        .join(Meeting, Meeting.id == ActionItem.meeting_id)
        .where(
            Meeting.area_id == area.id,
            ActionItem.state == ActionState.OPEN,
            ActionItem.due_on < today,
            sa.or_(ActionItem.owner_id == user.id, Meeting.chair_id == user.id),
        )
        .order_by(ActionItem.due_on, ActionItem.id)
    )
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class Rhythm:
    since: datetime
    meetings: list[Meeting]
    in_person: int
    online: int
    organisations_attending: int
    organisations: int

    @property
    def share_attending(self) -> float | None:
        return self.organisations_attending / self.organisations if self.organisations else None


def rhythm(area: Area, now: datetime, days: int = 28) -> Rhythm:
    """The last four weeks: meetings held, how, who came, and the share of organisations
    that attended at least one."""
    since = now - timedelta(days=days)
    held = [m for m in meetings_in(area) if since <= m.starts_at <= now]
    attending = {row.organisation_id for meeting in held for row in meeting.attendance}
    organisations = (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Organisation)
            .where(
                Organisation.area_id == area.id,
                Organisation.kind.in_(GROUP_KINDS),
                Organisation.closed_on.is_(None),
            )
        )
        or 0
    )
    return Rhythm(
        since=since,
        meetings=held,
        in_person=sum(m.mode is MeetingMode.IN_PERSON for m in held),
        online=sum(m.mode is MeetingMode.ONLINE for m in held),
        organisations_attending=len(attending),
        organisations=organisations,
    )


# --- calendar feed addresses -----------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed_token(user: User) -> str:
    """Make the person's calendar address, replacing (and so revoking) any earlier one.
    Only the hash is stored; the token is returned to show once."""
    token = secrets.token_urlsafe(32)
    feed = db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    if feed is None:
        feed = CalendarFeed(user=user, token_hash=_hash(token))
        db.session.add(feed)
    else:
        feed.token_hash = _hash(token)
        feed.created_at = utcnow()
    db.session.flush()
    record(
        "meetings.calendar_address_made",
        "Made a new calendar feed address (any earlier one stops working)",
        actor=user,
        subject=feed,
    )
    return token


def feed_of(user: User) -> CalendarFeed | None:
    return db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def user_for_feed_token(token: str) -> User | None:
    feed = db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.token_hash == _hash(token)))
    return feed.user if feed is not None and feed.user.active else None


def meetings_for(user: User) -> list[Meeting]:
    """Every meeting in the areas where ``user`` belongs to the leadership group."""
    areas = {
        membership.organisation.area_id
        for membership in user.memberships
        if membership.role in GROUP_ROLES
    }
    return list(
        db.session.scalars(
            sa.select(Meeting).where(Meeting.area_id.in_(areas)).order_by(Meeting.starts_at)
        )
    )
