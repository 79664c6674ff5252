"""Forms of the weighted votes' pages other than setting a vote up (``setup_forms``): casting,
proxies, conflicts and the register of interests, cancelling, checking a receipt and the
scrutineers' passphrases."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from portal.form_filters import strip_whitespace
from portal.voting.closing import MAX_CANCELLATION_REASON
from portal.voting.models import ConflictRuling, InterestCategory

CATEGORY_CHOICES = [(category.value, category.label) for category in InterestCategory]
RULING_CHOICES = [
    (ConflictRuling.NONE.value, "No action: the organisation votes"),
    (ConflictRuling.RECUSED.value, "Recused: the organisation takes no part in this vote"),
]


def choice_list(pairs: Any) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class CastForm(FlaskForm):
    choice = RadioField("Your answer", invalid_choice_message="Choose an answer")


class ConfirmCastForm(FlaskForm):
    # The one-time token of portal.voting.casting: the answer itself is kept on the server.
    token = HiddenField()


class EmailReceiptForm(FlaskForm):
    pass


class ProxyForm(FlaskForm):
    holder = SelectField(
        "Practice that votes for yours",
        validators=[InputRequired("Choose the practice that will vote for yours")],
        invalid_choice_message="Choose a practice from the list",
    )
    instruction = SelectField(
        "Instruction (optional)",
        description="Tell the proxy how to vote, or leave it to their judgement.",
        invalid_choice_message="Choose an instruction from the list",
    )


class ConflictForm(FlaskForm):
    organisation = SelectField(
        "Organisation", invalid_choice_message="Choose an organisation from the list"
    )
    category = SelectField(
        "Kind of interest",
        choices=choice_list(CATEGORY_CHOICES),
        invalid_choice_message="Choose the kind of interest",
    )
    description = TextAreaField(
        "Describe the conflict",
        validators=[
            InputRequired("Describe the conflict"),
            Length(max=2000, message="The description must be 2,000 characters or fewer"),
        ],
        filters=[strip_whitespace],
    )


class RulingForm(FlaskForm):
    ruling = RadioField(
        "Ruling", choices=choice_list(RULING_CHOICES), invalid_choice_message="Choose a ruling"
    )


class InterestForm(FlaskForm):
    organisation = SelectField(
        "Organisation", invalid_choice_message="Choose an organisation from the list"
    )
    category = SelectField(
        "Kind of interest",
        choices=choice_list(CATEGORY_CHOICES),
        invalid_choice_message="Choose the kind of interest",
    )
    description = TextAreaField(
        "Describe the interest",
        description="For example a directorship, a shareholding or a contract.",
        validators=[
            InputRequired("Describe the interest"),
            Length(max=2000, message="The description must be 2,000 characters or fewer"),
        ],
        filters=[strip_whitespace],
    )


class CancelVoteForm(FlaskForm):
    reason = TextAreaField(
        "Why is the vote being cancelled?",
        description="Everyone who votes sees this reason, and it stays in the audit log.",
        validators=[
            InputRequired("Give the reason for cancelling the vote"),
            Length(
                max=MAX_CANCELLATION_REASON,
                message=f"The reason must be {MAX_CANCELLATION_REASON:,} characters or fewer",
            ),
        ],
        filters=[strip_whitespace],
    )


class ReceiptCheckForm(FlaskForm):
    """A receipt code goes in a POST body, never a URL: URLs end up in logs and histories."""

    code = StringField(
        "Receipt code",
        validators=[
            InputRequired("Enter the receipt code"),
            Length(max=64, message="A receipt code is 28 letters and numbers: check it"),
        ],
        filters=[strip_whitespace],
    )


class ScrutineerPassphraseForm(FlaskForm):
    """A scrutineer's passphrase: it unlocks their key to the sealed record, and is never kept."""

    passphrase = PasswordField(
        "Passphrase",
        validators=[InputRequired("Enter a passphrase"), Length(max=200)],
    )
    confirmation = PasswordField(
        "Passphrase again",
        validators=[InputRequired("Enter the passphrase again"), Length(max=200)],
    )


class ScrutineerOpenForm(FlaskForm):
    passphrase = PasswordField(
        "Your scrutineer passphrase",
        validators=[InputRequired("Enter your passphrase"), Length(max=200)],
    )
