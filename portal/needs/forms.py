"""Forms for raising, discussing and triaging needs. Choices that depend on the person (the
organisations they speak for) are set by the view before validation."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from portal.markdown import MARKDOWN_HINT
from portal.needs import services
from portal.needs.models import NeedChannel, NeedStatus, NeedUrgency


class OrganisationField(SelectField):
    """A choice of the organisations the person may speak for, refused with a plain message
    when the submitted one is not among them."""

    def __init__(self, label: str, refusal: str, **kwargs: object) -> None:
        super().__init__(label, validate_choice=False, **kwargs)
        self.refusal = refusal

    def pre_validate(self, form: FlaskForm) -> None:
        if self.data and self.data not in {str(value) for value, *_ in self.iter_choices()}:
            raise ValidationError(self.refusal)


class RaiseNeedForm(FlaskForm):
    organisation = OrganisationField(
        "Who are you raising this for?",
        refusal="You can only raise a need for an organisation you speak for in this channel",
        validators=[InputRequired("Choose the organisation you are raising this for")],
    )
    title = StringField(
        "Title",
        description="A short summary, for example: Phlebotomy moved to practices without funding",
        validators=[
            InputRequired("Enter a title"),
            Length(max=services.TITLE_MAX_LENGTH, message="Title must be 200 characters or fewer"),
        ],
    )
    description = TextAreaField(
        "Describe the need",
        description=f"What is happening, who it affects and what would help. {MARKDOWN_HINT}",
        validators=[
            InputRequired("Describe the need"),
            Length(
                max=services.DESCRIPTION_MAX_LENGTH,
                message="Description must be 20,000 characters or fewer",
            ),
        ],
    )
    category = RadioField("Category", validators=[InputRequired("Choose a category")])
    urgency = RadioField(
        "How urgent is it?",
        choices=[SelectChoice(urgency.value, urgency.label) for urgency in NeedUrgency],
        validators=[InputRequired("Choose how urgent it is")],
    )

    def set_channel(self, channel: NeedChannel) -> None:
        self.category.choices = [
            SelectChoice(category.value, category.label) for category in channel.categories
        ]


class RaisePracticeNeedForm(RaiseNeedForm):
    lmc_only = BooleanField(
        "LMC only: only members of my practice and LMC officers can see this need",
        description=(
            "Use this for a need about your own PCN, for example. Other practices, PCN clinical "
            "directors and the federation will not see it, and it cannot be supported."
        ),
    )


def raise_form_for(channel: NeedChannel) -> RaiseNeedForm:
    form = RaisePracticeNeedForm() if channel is NeedChannel.PRACTICE else RaiseNeedForm()
    form.set_channel(channel)
    return form


class CommentForm(FlaskForm):
    organisation = OrganisationField(
        "Commenting for",
        refusal="You can only comment for an organisation you speak for on this need",
        validators=[InputRequired("Choose who you are commenting for")],
    )
    body = TextAreaField(
        "Comment",
        description=MARKDOWN_HINT,
        validators=[
            InputRequired("Enter a comment"),
            Length(
                max=services.COMMENT_MAX_LENGTH,
                message="Comment must be 10,000 characters or fewer",
            ),
        ],
    )


class StatusForm(FlaskForm):
    status = RadioField(
        "New status",
        choices=[SelectChoice(status.value, status.label) for status in NeedStatus],
        validators=[InputRequired("Choose the new status")],
    )
    reason = TextAreaField(
        "Reason",
        description="Required when declining. Everyone who can see the need will see it.",
        validators=[
            Length(
                max=services.REASON_MAX_LENGTH, message="Reason must be 2,000 characters or fewer"
            ),
        ],
    )

    def validate_reason(self, field: TextAreaField) -> None:
        if self.status.data == NeedStatus.DECLINED.value and not (field.data or "").strip():
            raise ValidationError("Give the reason for declining the need")


class LinkForm(FlaskForm):
    proposal = SelectField("ICS proposal", coerce=str)
    position = SelectField("Position draft", coerce=str)


class MergeForm(FlaskForm):
    kept = SelectField(
        "Merge into", validators=[InputRequired("Choose the need to keep")], coerce=str
    )


class AuthoriseForm(FlaskForm):
    member = SelectField(
        "Person", validators=[InputRequired("Choose the person to authorise")], coerce=str
    )
