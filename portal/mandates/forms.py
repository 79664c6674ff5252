"""Forms for attaching a mandate, recording a commitment, suspending and revoking."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.form_filters import strip_whitespace
from portal.mandates.models import MANDATE_TIERS
from portal.meetings.forms import MultiCheckboxField

TIER_CHOICES = [
    SelectChoice("group", "Members of the leadership group only"),
    SelectChoice("ics", "Members and ICS readers"),
    SelectChoice("public", "Anyone (public)"),
]
assert [choice.value for choice in TIER_CHOICES] == [tier.value for tier in MANDATE_TIERS]


class AttachForm(FlaskForm):
    title = StringField(
        "Subject",
        description="What the holders may agree about, for example "
        "the enhanced access model with the ICB",
        filters=[strip_whitespace],
        validators=[DataRequired("Enter the mandate's subject"), Length(max=200)],
    )
    proposal = SelectField("ICS proposal it is about (optional)", validators=[Optional()])
    holders = MultiCheckboxField(
        "Holders",
        description="Named members of the leadership group, each in one of their roles",
    )
    may_agree = TextAreaField(
        "What the holders may agree",
        validators=[DataRequired("Enter what the holders may agree"), Length(max=4000)],
    )
    may_not_agree = TextAreaField(
        "What the holders may not agree",
        validators=[DataRequired("Enter what the holders may not agree"), Length(max=4000)],
    )
    come_back_when = TextAreaField(
        "When the holders must come back to members",
        validators=[DataRequired("Enter when the holders must come back"), Length(max=4000)],
    )
    ends_on = DateField(
        "End date",
        description="The last day it is in force, after the vote closes. For example 2027-03-01",
        validators=[InputRequired("Enter the end date, for example 2027-03-01")],
    )
    tier = RadioField(
        "Who may read it once granted",
        choices=TIER_CHOICES,
        default="group",
        validators=[InputRequired("Choose who may read it")],
        invalid_choice_message="Choose who may read it",
    )


class CommitmentForm(FlaskForm):
    made_on = DateField(
        "Date it was agreed",
        description="For example 2026-12-01",
        validators=[InputRequired("Enter the date it was agreed, for example 2026-12-01")],
    )
    forum = StringField(
        "Meeting or forum",
        filters=[strip_whitespace],
        validators=[DataRequired("Enter the meeting or forum"), Length(max=200)],
    )
    with_whom = StringField(
        "With whom",
        filters=[strip_whitespace],
        validators=[DataRequired("Enter who it was agreed with"), Length(max=200)],
    )
    what_agreed = TextAreaField(
        "What was agreed",
        validators=[DataRequired("Enter what was agreed"), Length(max=4000)],
    )
    needs_ratification = BooleanField(
        "It went beyond the mandate's bounds: it needs ratification by members"
    )


class ReasonForm(FlaskForm):
    reason = TextAreaField(
        "Reason",
        validators=[DataRequired("Give the reason"), Length(max=2000)],
    )
