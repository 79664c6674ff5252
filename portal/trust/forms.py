"""Forms for opening, answering, closing and publishing a trust pulse round."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from portal.trust.models import SCORES, TrustTarget

SKIP = "skip"
COMMENT_MAX = 2000


class OpenRoundForm(FlaskForm):
    title = StringField(
        "Name of the round",
        description="For example, December 2026.",
        validators=[DataRequired("Enter a name for the round"), Length(max=120)],
    )


class CloseRoundForm(FlaskForm):
    pass


class PublishForm(FlaskForm):
    you_said = TextAreaField(
        "You said",
        description="What the officers heard in this round.",
        validators=[DataRequired("Enter what you heard"), Length(max=5000)],
    )
    we_did = TextAreaField(
        "We did",
        description="What the officers will do about it.",
        validators=[DataRequired("Enter what you will do"), Length(max=5000)],
    )


def target_field_name(target: TrustTarget) -> str:
    return f"score_{target.value}"


class AnswerForm(FlaskForm):
    comment = TextAreaField(
        "What would raise it? (optional)",
        description="Do not write anything that says who you are.",
        validators=[Optional(), Length(max=COMMENT_MAX)],
    )

    def scores(self) -> dict[TrustTarget, int]:
        """The scores given, by target; a target left blank or skipped is not in it."""
        given = {}
        for target in TrustTarget:
            value = getattr(self, target_field_name(target)).data
            if value not in (None, "", SKIP):
                given[target] = int(value)
        return given


_SCORE_CHOICES = [SelectChoice(str(score), str(score)) for score in SCORES] + [
    SelectChoice(SKIP, "Skip")
]
for _target in TrustTarget:
    setattr(
        AnswerForm,
        target_field_name(_target),
        RadioField(
            f"How much do you trust {_target.label[0].lower()}{_target.label[1:]}?",
            description="0 is not at all, 10 is completely.",
            choices=_SCORE_CHOICES,
            validators=[Optional()],
        ),
    )
