"""Meetings: series, meetings with agenda, attendance, minutes, decisions and actions, the
last four weeks' rhythm and the calendar feeds.

Deny by default: every page needs a member of the leadership group (404 otherwise); changes
need the chair or an officer (403 for a member who may see but not change).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice

from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db
from portal.http import acting_user, refusal_shown_on
from portal.meetings import calendar, forms, permissions, services
from portal.meetings.models import ActionItem, Meeting, MeetingSeries
from portal.meetings.references import BadReference, parse_reference
from portal.names import display_name
from portal.navigation import add_link
from portal.organisations.area_context import bind_area
from portal.organisations.models import Area
from portal.times import LONDON
from portal.urls import external_url
from portal.voting import room
from portal.voting.models import Vote

blueprint = Blueprint(
    "meetings", __name__, url_prefix="/areas/<area_slug>/meetings", template_folder="templates"
)
bind_area(blueprint)
add_link(blueprint, "Meetings", "meetings.index", order=60, visible=permissions.can_see_meetings)
feeds_blueprint = Blueprint("calendar", __name__, template_folder="templates")

# Where a typed reference's own domain shows it; mandates have no page yet.
REFERENCE_ENDPOINTS = {
    "agreement": ("agreements.agreement", "agreement_id"),
    "vote": ("voting.vote", "vote_id"),
    "need": ("needs.detail", "need_id"),
    "proposal": ("positions.proposal", "proposal_id"),
    "draft": ("positions.position", "position_id"),
}


@blueprint.app_template_filter("london_clock")
def london_clock(moment: datetime) -> str:
    """The time of day in London, 24-hour: "12:30"."""
    return f"{moment.astimezone(LONDON):%H:%M}"


@blueprint.app_template_global("may_see_meetings")
def may_see_meetings(area: Area) -> bool:
    """For the area overview's link to the group's rhythm."""
    return permissions.can_see_meetings(current_user, area)


@blueprint.before_request
def _require_group_member() -> None:
    if not permissions.can_see_meetings(current_user, g.area):
        abort(404)


def _today() -> date:
    return utcnow().astimezone(LONDON).date()


def _meeting(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.area_id != g.area.id:
        abort(404)
    return meeting


def _series(series_id: int) -> MeetingSeries:
    series = db.session.get(MeetingSeries, series_id)
    if series is None or series.area_id != g.area.id:
        abort(404)
    return series


def _chair_choices(form: forms.WhereFields) -> None:
    form.chair.choices = [SelectChoice("", "No chair yet")] + [
        SelectChoice(str(person.id), person.name) for person in services.members(g.area)
    ]


def _chosen_member(user_id: str | None) -> User | None:
    if not user_id:
        return None
    for person in services.members(g.area):
        if str(person.id) == user_id:
            return person
    abort(400)


def reference_link(stored: str | None) -> dict[str, str | None] | None:
    if not stored:
        return None
    try:
        reference = parse_reference(stored)
    except BadReference:
        return {"text": stored, "href": None}
    if reference.kind is None:
        return {"text": reference.text, "href": reference.address}
    endpoint = REFERENCE_ENDPOINTS.get(reference.kind)
    if endpoint is None:
        return {"text": reference.text, "href": None}
    name, argument = endpoint
    values: dict[str, Any] = {argument: reference.number}
    href = url_for(name, area_slug=g.area.slug, **values)
    return {"text": reference.text, "href": href}


@blueprint.get("/")
def index() -> str:
    now = utcnow()
    meetings = services.meetings_in(g.area)
    return render_template(
        "meetings/index.html",
        upcoming=[m for m in meetings if m.ends_at >= now],
        past=list(reversed([m for m in meetings if m.ends_at < now])),
        series=services.series_in(g.area),
        overdue=services.overdue_actions(acting_user(), g.area, _today()),
        may_organise=permissions.can_organise(current_user, g.area),
    )


@blueprint.get("/rhythm")
def rhythm() -> str:
    return render_template("meetings/rhythm.html", rhythm=services.rhythm(g.area, utcnow()))


def _require_organiser() -> None:
    if not permissions.can_organise(current_user, g.area):
        abort(403)


@blueprint.route("/series/new", methods=["GET", "POST"])
def new_series() -> str | Response | tuple[str, int]:
    _require_organiser()
    form = forms.SeriesForm()
    _chair_choices(form)
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            series = services.create_series(
                acting_user(),
                g.area,
                title=form.title.data or "",
                weekday=int(form.weekday.data),
                start_time=forms.clock_time(form.start_time.data),  # type: ignore[arg-type]
                duration_minutes=form.duration_minutes.data or 0,
                where=services.Where(form.mode_value(), form.place.data, form.online_link.data),
                chair=_chosen_member(form.chair.data),
            )
        if not refused:
            return redirect(url_for("meetings.series_page", series_id=series.id))
    status = 400 if request.method == "POST" else 200
    return render_template("meetings/series_new.html", form=form), status


@blueprint.get("/series/<int:series_id>")
def series_page(series_id: int) -> str:
    series = _series(series_id)
    return render_template(
        "meetings/series.html",
        series=series,
        may_organise=permissions.can_organise(current_user, g.area),
        next_form=forms.ButtonForm(),
    )


@blueprint.post("/series/<int:series_id>/next")
def schedule_next(series_id: int) -> Response:
    _require_organiser()
    series = _series(series_id)
    if not forms.ButtonForm().validate_on_submit():
        abort(400)
    with refusal_shown_on() as refused:
        meeting = services.schedule_next(acting_user(), series, utcnow())
    if refused:
        return redirect(url_for("meetings.series_page", series_id=series.id))
    return redirect(url_for("meetings.meeting_page", meeting_id=meeting.id))


def _ics(body: bytes, filename: str) -> Response:
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


def _meeting_url(meeting: Meeting) -> str:
    return external_url("meetings.meeting_page", area_slug=meeting.area.slug, meeting_id=meeting.id)


@blueprint.get("/series/<int:series_id>/calendar.ics")
def series_calendar(series_id: int) -> Response:
    series = _series(series_id)
    body = calendar.calendar_of(series.title, series.meetings, _meeting_url, request.host)
    return _ics(body, f"series-{series.id}.ics")


@blueprint.route("/new", methods=["GET", "POST"])
def new_meeting() -> str | Response | tuple[str, int]:
    _require_organiser()
    form = forms.MeetingForm()
    _chair_choices(form)
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            meeting = services.create_meeting(
                acting_user(),
                g.area,
                title=form.title.data or "",
                starts_at=forms.moment(form.day.data, forms.clock_time(form.start_time.data)),  # type: ignore[arg-type]
                ends_at=forms.moment(form.day.data, forms.clock_time(form.end_time.data)),  # type: ignore[arg-type]
                where=services.Where(form.mode_value(), form.place.data, form.online_link.data),
                chair=_chosen_member(form.chair.data),
            )
        if not refused:
            return redirect(url_for("meetings.meeting_page", meeting_id=meeting.id))
    status = 400 if request.method == "POST" else 200
    return render_template("meetings/meeting_new.html", form=form), status


def _attendance_form(meeting: Meeting, formdata: bool = False) -> forms.AttendanceForm:
    form = forms.AttendanceForm() if formdata else forms.AttendanceForm(formdata=None)
    form.present.choices = [
        SelectChoice(f"{user.id}:{organisation.id}", f"{user.name}, {organisation.name}")
        for user, organisation in services.attendance_choices(meeting.area)
    ]
    if not formdata:
        form.present.data = [f"{a.user_id}:{a.organisation_id}" for a in meeting.attendance]
    return form


def _action_form(meeting: Meeting, formdata: bool = False) -> forms.ActionForm:
    form = forms.ActionForm() if formdata else forms.ActionForm(formdata=None)
    form.owner.choices = [SelectChoice("", "Choose who owns it")] + [
        SelectChoice(str(person.id), person.name) for person in services.members(meeting.area)
    ]
    return form


def _meeting_page(meeting: Meeting, status: int = 200, **form_overrides: object) -> tuple[str, int]:
    may_run = permissions.can_run(current_user, meeting)
    minutes_form = forms.MinutesForm(formdata=None, data={"minutes": meeting.minutes_markdown})
    page_forms = {
        "agenda_form": forms.AgendaForm(formdata=None),
        "attendance_form": _attendance_form(meeting),
        "minutes_form": minutes_form,
        "decision_form": forms.DecisionForm(formdata=None),
        "action_form": _action_form(meeting),
        "button_form": forms.ButtonForm(),
    }
    page_forms.update(form_overrides)
    page = render_template(
        "meetings/meeting.html",
        meeting=meeting,
        may_run=may_run,
        is_chair=permissions.is_chair(current_user, meeting),
        may_read_minutes=permissions.can_read_minutes(current_user, meeting),
        today=_today(),
        reference_link=reference_link,
        **page_forms,
    )
    return page, status


@blueprint.get("/<int:meeting_id>")
def meeting_page(meeting_id: int) -> tuple[str, int]:
    return _meeting_page(_meeting(meeting_id))


def _require_runner(meeting: Meeting) -> None:
    if not permissions.can_run(current_user, meeting):
        abort(403)


@blueprint.post("/<int:meeting_id>/agenda")
def add_agenda_item(meeting_id: int) -> tuple[str, int] | Response:
    meeting = _meeting(meeting_id)
    _require_runner(meeting)
    form = forms.AgendaForm()
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            services.add_agenda_item(
                acting_user(), meeting, form.title.data, form.reference.data or ""
            )
        if not refused:
            return redirect(url_for("meetings.meeting_page", meeting_id=meeting.id) + "#agenda")
    return _meeting_page(meeting, 400, agenda_form=form)


@blueprint.post("/<int:meeting_id>/attendance")
def record_attendance(meeting_id: int) -> tuple[str, int] | Response:
    meeting = _meeting(meeting_id)
    _require_runner(meeting)
    form = _attendance_form(meeting, formdata=True)
    if form.validate_on_submit():
        pairs = [tuple(int(part) for part in value.split(":")) for value in form.present.data]
        with refusal_shown_on(form) as refused:
            services.record_attendance(acting_user(), meeting, pairs)  # type: ignore[arg-type]
        if not refused:
            return redirect(url_for("meetings.meeting_page", meeting_id=meeting.id) + "#attendance")
    return _meeting_page(meeting, 400, attendance_form=form)


@blueprint.post("/<int:meeting_id>/minutes")
def save_minutes(meeting_id: int) -> tuple[str, int] | Response:
    meeting = _meeting(meeting_id)
    _require_runner(meeting)
    form = forms.MinutesForm()
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            services.save_minutes(acting_user(), meeting, form.minutes.data or "")
        if not refused:
            return redirect(
                url_for("meetings.meeting_page", meeting_id=meeting.id) + "#minutes-heading"
            )
    return _meeting_page(meeting, 400, minutes_form=form)


@blueprint.post("/<int:meeting_id>/minutes/approve")
def approve_minutes(meeting_id: int) -> Response:
    meeting = _meeting(meeting_id)
    if not permissions.can_approve_minutes(current_user, meeting):
        abort(403)
    if not forms.ButtonForm().validate_on_submit():
        abort(400)
    with refusal_shown_on():
        services.approve_minutes(acting_user(), meeting)
    return redirect(url_for("meetings.meeting_page", meeting_id=meeting.id) + "#minutes-heading")


@blueprint.post("/<int:meeting_id>/decisions")
def add_decision(meeting_id: int) -> tuple[str, int] | Response:
    meeting = _meeting(meeting_id)
    _require_runner(meeting)
    form = forms.DecisionForm()
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            services.add_decision(acting_user(), meeting, form.text.data or "")
        if not refused:
            return redirect(url_for("meetings.meeting_page", meeting_id=meeting.id) + "#decisions")
    return _meeting_page(meeting, 400, decision_form=form)


@blueprint.post("/<int:meeting_id>/actions")
def add_action(meeting_id: int) -> tuple[str, int] | Response:
    meeting = _meeting(meeting_id)
    _require_runner(meeting)
    form = _action_form(meeting, formdata=True)
    if form.validate_on_submit():
        owner = _chosen_member(form.owner.data)
        with refusal_shown_on(form) as refused:
            services.add_action(
                acting_user(), meeting, form.description.data or "", owner, form.due_on.data
            )
        if not refused:
            return redirect(url_for("meetings.meeting_page", meeting_id=meeting.id) + "#actions")
    return _meeting_page(meeting, 400, action_form=form)


@blueprint.post("/actions/<int:action_id>/done")
def complete_action(action_id: int) -> Response:
    action = db.session.get(ActionItem, action_id)
    if action is None or action.meeting.area_id != g.area.id:
        abort(404)
    if action.owner_id != current_user.id and not permissions.can_run(current_user, action.meeting):
        abort(403)
    if not forms.ButtonForm().validate_on_submit():
        abort(400)
    with refusal_shown_on():
        services.complete_action(acting_user(), action)
    return redirect(url_for("meetings.meeting_page", meeting_id=action.meeting_id) + "#actions")


# --- each person's calendar, at a secret address -----------------------------------------


@feeds_blueprint.route("/calendar", methods=["GET", "POST"])
@login_required
def my_calendar() -> str:
    form = forms.ButtonForm()
    new_address = None
    if form.validate_on_submit():
        token = services.new_feed_token(acting_user())
        new_address = external_url("calendar.feed", token=token)
    return render_template(
        "meetings/my_calendar.html",
        form=form,
        feed=services.feed_of(acting_user()),
        new_address=new_address,
    )


@feeds_blueprint.get("/calendar/<token>.ics")
def feed(token: str) -> Response:
    user = services.user_for_feed_token(token)
    if user is None:
        abort(404)
    body = calendar.calendar_of(
        f"Meetings for {user.name}", services.meetings_for(user), _meeting_url, request.host
    )
    response = _ics(body, "meetings.ics")
    # The address is the secret: keep it out of other sites' logs and shared caches.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- votes taken in the room ---------------------------------------------------------------

NOT_RECORDED = ""


def _room_vote(meeting: Meeting, vote_id: int) -> Vote:
    """The vote, only when this meeting's agenda links it and it is in this area."""
    on_agenda = any(
        item.reference == f"vote {vote_id}" for item in meeting.agenda if item.reference
    )
    vote = room.vote_in_area(g.area, vote_id) if on_agenda else None
    if vote is None:
        abort(404)
    return vote


def _present(meeting: Meeting) -> set[int]:
    return {row.organisation_id for row in meeting.attendance}


def _room_form(sheet: room.RoomSheet, formdata: bool) -> FlaskForm:
    class RoomForm(FlaskForm):
        pass

    choices = [SelectChoice(NOT_RECORDED, "Not recorded")] + [
        SelectChoice(option, option) for option in sheet.options
    ]
    for row in sheet.rows:
        if row.may_be_recorded:
            field = RadioField(
                display_name(row.name), choices=choices, default=row.room_choice or NOT_RECORDED
            )
            setattr(RoomForm, f"org_{row.organisation_id}", field)
    return RoomForm() if formdata else RoomForm(formdata=None)


def _room_page(
    meeting: Meeting, vote: Vote, form: FlaskForm | None = None, status: int = 200
) -> tuple[str, int]:
    sheet = room.room_sheet(vote, _present(meeting), utcnow())
    form = form or _room_form(sheet, formdata=False)
    page = render_template(
        "meetings/room_vote.html",
        meeting=meeting,
        sheet=sheet,
        form=form,
        secret_refusal=room.SHOW_OF_HANDS_REFUSAL,
    )
    return page, status


def _require_chair(meeting: Meeting) -> None:
    if not permissions.is_chair(current_user, meeting):
        abort(403)


@blueprint.get("/<int:meeting_id>/votes/<int:vote_id>/room")
def room_vote(meeting_id: int, vote_id: int) -> tuple[str, int]:
    meeting = _meeting(meeting_id)
    vote = _room_vote(meeting, vote_id)
    _require_chair(meeting)
    return _room_page(meeting, vote)


@blueprint.post("/<int:meeting_id>/votes/<int:vote_id>/room")
def record_room_vote(meeting_id: int, vote_id: int) -> tuple[str, int] | Response:
    meeting = _meeting(meeting_id)
    vote = _room_vote(meeting, vote_id)
    _require_chair(meeting)
    now = utcnow()
    sheet = room.room_sheet(vote, _present(meeting), now)
    form = _room_form(sheet, formdata=True)
    if form.validate_on_submit():
        choices = _room_choices(form)
        with refusal_shown_on(form) as refused:
            recorded = room.record_in_room(acting_user(), vote, _present(meeting), choices, now)
        if not refused:
            flash(f"{recorded} organisations' choices recorded in the room.", "success")
            return redirect(url_for("meetings.meeting_page", meeting_id=meeting.id) + "#agenda")
    return _room_page(meeting, vote, form, 400)


def _room_choices(form: FlaskForm) -> dict[int, str]:
    """Each organisation's choice in the room, by organisation id. Organisations posted that
    the sheet did not offer (absent, not entitled, already voted online) are passed on too,
    so the service refuses them with its reason."""
    choices = {
        int(name.removeprefix("org_")): field.data
        for name, field in form._fields.items()
        if name.startswith("org_") and field.data
    }
    for key, value in request.form.items():
        if key.startswith("org_") and key not in form._fields and value:
            choices[int(key.removeprefix("org_"))] = value
    return choices
