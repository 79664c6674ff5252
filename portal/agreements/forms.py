"""Forms for agreements: setting one up, signing up, notice, new versions, votes and reports."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from portal.agreements.models import CostSharing, RagStatus, ReportFrequency, VoteWeighting
from portal.form_filters import strip_whitespace
from portal.times import LONDON

# A vote on a new version closes at this London time on the day chosen.
VOTE_CLOSES_AT = time(17, 0)


def _choices(enum_class: Any) -> list[tuple[str, str]]:
    return [(member.value, member.label) for member in enum_class]


def _text_area(label: str, hint: str, message: str, limit: int = 20_000) -> TextAreaField:
    return TextAreaField(
        label,
        description=hint,
        validators=[DataRequired(message), Length(max=limit)],
    )


class AgreementForm(FlaskForm):
    title = StringField(
        "Name of the agreement",
        description="For example, Document management hub",
        filters=[strip_whitespace],
        validators=[DataRequired("Enter a name for the agreement"), Length(max=200)],
    )
    lead = SelectField("Lead organisation", validators=[DataRequired("Choose the lead")])
    procedure = _text_area(
        "The agreed procedure",
        "Markdown. This is version 1; later versions need a vote of the practices signed up.",
        "Enter the agreed procedure",
        200_000,
    )
    gives_up = _text_area(
        "What each practice gives up",
        "For example, each practice actions and codes incoming documents by this protocol, "
        "not its own",
        "Enter what each practice gives up",
    )
    gets = _text_area("What each practice gets", "", "Enter what each practice gets")
    who_does_what = _text_area(
        "Who does what", "Markdown: practices, PCNs, the federation", "Enter who does what"
    )
    oversight = _text_area(
        "Who reports to whom",
        "For example, the hub manager reports to the federation board and to the practices",
        "Enter who reports to whom",
    )
    report_frequency = RadioField(
        "How often the lead reports",
        choices=_choices(ReportFrequency),
        validators=[InputRequired("Choose how often the lead reports")],
        invalid_choice_message="Choose how often the lead reports",
    )
    review_on = DateField("Review date (optional)", validators=[Optional()])
    starts_on = DateField(
        "Start date", validators=[InputRequired("Enter the start date, for example 2027-01-04")]
    )
    minimum_term_months = IntegerField(
        "Minimum term in months",
        description="A practice that gives notice stays in at least this long from joining",
        validators=[
            InputRequired("Enter the minimum term in months"),
            NumberRange(0, 120, "The minimum term must be from 0 to 120 months"),
        ],
    )
    notice_period_months = IntegerField(
        "Notice period in months",
        validators=[
            InputRequired("Enter the notice period in months"),
            NumberRange(1, 36, "The notice period must be from 1 to 36 months"),
        ],
    )
    cost_sharing = RadioField(
        "How the cost is shared",
        choices=_choices(CostSharing),
        validators=[InputRequired("Choose how the cost is shared")],
        invalid_choice_message="Choose how the cost is shared",
    )
    annual_cost = DecimalField(
        "Yearly cost to share, in pounds (optional)",
        places=2,
        validators=[Optional(), NumberRange(0, 10**9, "Enter a cost of 0 or more")],
    )
    vote_weighting = RadioField(
        "How practices' votes on a new version are weighted",
        choices=_choices(VoteWeighting),
        validators=[InputRequired("Choose how votes are weighted")],
        invalid_choice_message="Choose how votes are weighted",
    )
    visible_to_ics = BooleanField("Show this agreement to ICS readers")


class SignUpForm(FlaskForm):
    practice = HiddenField(validators=[DataRequired("Choose the practice")])
    checked_version = HiddenField(validators=[DataRequired()])

    def version(self) -> int:
        text = self.checked_version.data or ""
        return int(text) if text.isdigit() and len(text) < 9 else 0


class NoticeForm(FlaskForm):
    practice = HiddenField(validators=[DataRequired("Choose the practice")])
    reason = TextAreaField(
        "Why the practice is leaving (optional)",
        description="The lead and the other practices will read this",
        validators=[Length(max=2000)],
    )


class VersionForm(FlaskForm):
    body = _text_area(
        "The procedure",
        "Markdown. It takes effect only if the practices signed up vote for it.",
        "Enter the procedure",
        200_000,
    )
    change_summary = _text_area("What changes and why", "", "Say what changes and why", 2000)


class VoteForm(FlaskForm):
    closes_on = DateField(
        "The vote closes on",
        description="At 17:00 London time",
        validators=[InputRequired("Enter the day the vote closes, for example 2027-01-15")],
    )

    def closes_at(self) -> datetime:
        day: date = self.closes_on.data
        return datetime.combine(day, VOTE_CLOSES_AT, LONDON)


class ReportForm(FlaskForm):
    status = RadioField(
        "Status",
        choices=_choices(RagStatus),
        validators=[InputRequired("Choose red, amber or green")],
        invalid_choice_message="Choose red, amber or green",
    )
    working = TextAreaField("What is working", validators=[Length(max=20_000)])
    not_working = TextAreaField("What is not working", validators=[Length(max=20_000)])

    def validate_not_working(self, field: Any) -> None:
        if not (self.working.data or "").strip() and not (field.data or "").strip():
            raise ValidationError("Say what is working or what is not")


def day_from_query(text: str | None) -> date | None:
    """A ``YYYY-MM-DD`` day from the address, or None when it is not one."""
    if not text:
        return None
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None
