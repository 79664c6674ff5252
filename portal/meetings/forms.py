"""Forms for series, meetings, agenda, attendance, minutes, decisions and actions.

Times are typed as London wall-clock time (24-hour, 12:30); ``moment`` turns a day and a
time into an aware UTC-comparable datetime in Europe/London.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from portal.form_filters import strip_whitespace
from portal.markdown import MARKDOWN_HINT
from portal.meetings.models import WEEKDAYS, MeetingMode
from portal.times import LONDON

_CLOCK = re.compile(r"([01]?\d|2[0-3])[:.]([0-5]\d)")
MODE_CHOICES = [SelectChoice(mode.value, mode.label) for mode in MeetingMode]


class MultiCheckboxField(SelectMultipleField):
    """Several values from a list, shown with the NHS.UK checkboxes macro."""


def clock_time(text: str | None) -> time | None:
    match = _CLOCK.fullmatch((text or "").strip())
    return time(int(match.group(1)), int(match.group(2))) if match else None


def moment(day: date, at: time) -> datetime:
    return datetime.combine(day, at, LONDON)


def _time_field(label: str, example: str) -> StringField:
    return StringField(
        label,
        description=f"24-hour clock, London time, for example {example}",
        filters=[strip_whitespace],
        validators=[DataRequired(f"Enter the {label.lower()}")],
    )


class WhereFields(FlaskForm):
    mode = RadioField(
        "In person or online",
        choices=MODE_CHOICES,
        validators=[InputRequired("Choose in person or online")],
        invalid_choice_message="Choose in person or online",
    )
    place = StringField(
        "Place (in person)", filters=[strip_whitespace], validators=[Length(max=200)]
    )
    online_link = StringField(
        "Link (online)",
        description="The meeting's address, starting with https://",
        filters=[strip_whitespace],
        validators=[Length(max=500)],
    )
    chair = SelectField("Chair", validators=[Optional()])

    def mode_value(self) -> MeetingMode:
        return MeetingMode(self.mode.data)


class SeriesForm(WhereFields):
    title = StringField(
        "Name of the series",
        description="For example, Leadership group weekly",
        filters=[strip_whitespace],
        validators=[DataRequired("Enter a name for the series"), Length(max=120)],
    )
    weekday = SelectField(
        "Day",
        choices=[SelectChoice(str(index), name) for index, name in enumerate(WEEKDAYS)],
        validators=[InputRequired("Choose a day")],
    )
    start_time = _time_field("Start time", "12:30")
    duration_minutes = IntegerField(
        "Length in minutes",
        validators=[
            InputRequired("Enter how many minutes the meeting lasts"),
            NumberRange(1, 480, "A meeting lasts between 1 and 480 minutes"),
        ],
    )

    def validate_start_time(self, field: Any) -> None:
        if clock_time(field.data) is None:
            raise ValidationError("Enter the start time as hours and minutes, for example 12:30")


class MeetingForm(WhereFields):
    title = StringField(
        "Name of the meeting",
        filters=[strip_whitespace],
        validators=[DataRequired("Enter a name for the meeting"), Length(max=120)],
    )
    day = DateField("Date", validators=[InputRequired("Enter the date, for example 2026-12-08")])
    start_time = _time_field("Start time", "12:30")
    end_time = _time_field("End time", "13:00")

    def validate_start_time(self, field: Any) -> None:
        if clock_time(field.data) is None:
            raise ValidationError("Enter the start time as hours and minutes, for example 12:30")

    def validate_end_time(self, field: Any) -> None:
        if clock_time(field.data) is None:
            raise ValidationError("Enter the end time as hours and minutes, for example 13:00")


class AgendaForm(FlaskForm):
    title = StringField(
        "Agenda item",
        filters=[strip_whitespace],
        validators=[DataRequired("Enter the agenda item"), Length(max=200)],
    )
    reference = StringField(
        "Links to (optional)",
        description="For example vote 12, need 4, proposal 3, draft 2, mandate 1, "
        "agreement 5, or an address",
        filters=[strip_whitespace],
        validators=[Length(max=500)],
    )


class AttendanceForm(FlaskForm):
    present = MultiCheckboxField("Who was there, and for which organisation")


class MinutesForm(FlaskForm):
    minutes = TextAreaField(
        "Minutes",
        description=f"Members see them once the chair approves them. {MARKDOWN_HINT}",
        validators=[DataRequired("Write the minutes"), Length(max=50000)],
    )


class DecisionForm(FlaskForm):
    text = TextAreaField(
        "Decision", validators=[DataRequired("Enter the decision"), Length(max=2000)]
    )


class ActionForm(FlaskForm):
    description = StringField(
        "Action",
        filters=[strip_whitespace],
        validators=[DataRequired("Describe the action"), Length(max=500)],
    )
    owner = SelectField("Owner", validators=[DataRequired("Choose who owns the action")])
    due_on = DateField(
        "Due date", validators=[InputRequired("Enter the due date, for example 2026-12-15")]
    )


class ButtonForm(FlaskForm):
    """A POST with nothing but its CSRF token: approve, mark done, make a new address."""
