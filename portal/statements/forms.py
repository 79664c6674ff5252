"""Forms for publishing, ending and answering statements, and the search's query string.

The search is a plain GET form (no CSRF: it changes nothing), read by ``filters_from_args`` for
the index page, the feed and the API alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.form_filters import strip_whitespace
from portal.markdown import MARKDOWN_HINT
from portal.statements.models import SignatoryChoice, StatementState
from portal.statements.services import MAX_REASON_LENGTH, MAX_RESPONSE_LENGTH, Filters
from portal.tiers import Tier
from portal.times import parse_date

TIER_CHOICES = [
    SelectChoice(Tier.PUBLIC.value, "Public: anyone, without signing in"),
    SelectChoice(Tier.ICS.value, "ICS: the group and the ICS's readers"),
    SelectChoice(Tier.GROUP.value, "Group: members of the leadership group only"),
    SelectChoice(Tier.LMC.value, "LMC: LMC officers and area administrators only"),
]
SIGNATORY_CHOICES = [
    SelectChoice(SignatoryChoice.VOTED_FOR.value, "Every organisation that voted for it"),
    SelectChoice(SignatoryChoice.CHOSEN.value, "Some of the organisations that voted for it"),
    SelectChoice(
        SignatoryChoice.ENDORSERS.value, "Nobody yet: organisations sign it after publication"
    ),
]
SIGNATORY_WORDS = {
    SignatoryChoice.VOTED_FOR: "the organisations that voted for it",
    SignatoryChoice.CHOSEN: "organisations that voted for it, chosen by the officers",
    SignatoryChoice.ENDORSERS: "organisations that signed it after it was published",
}
STATE_LABELS = {
    StatementState.PUBLISHED: "In force",
    StatementState.SUPERSEDED: "Superseded",
    StatementState.WITHDRAWN: "Withdrawn",
}
MAX_SEARCH_LENGTH = 200


class PublishForm(FlaskForm):
    tier = RadioField(
        "Who can read the statement",
        choices=TIER_CHOICES,
        invalid_choice_message="Choose who can read the statement",
    )
    signatories = RadioField(
        "Who signs the statement",
        choices=SIGNATORY_CHOICES,
        invalid_choice_message="Choose who signs the statement",
    )
    chosen = SelectMultipleField(
        "Organisations that sign",
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,
    )
    # Set by the check page's button: only then is the statement published.
    confirmed = HiddenField()


class SupersedeForm(FlaskForm):
    successor = SelectField(
        "The statement that replaces it",
        validators=[InputRequired("Choose the statement that replaces it")],
    )
    note = TextAreaField(
        "Note for readers (optional)",
        description="Shown on the old statement. Leave it blank to say only what replaced it.",
        validators=[
            Optional(),
            Length(
                max=MAX_REASON_LENGTH,
                message=f"The note must be {MAX_REASON_LENGTH:,} characters or fewer",
            ),
        ],
        filters=[strip_whitespace],
    )


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        "Why is the statement withdrawn?",
        description="Readers of the statement will see this.",
        validators=[
            InputRequired("Enter the reason for withdrawing the statement"),
            Length(
                max=MAX_REASON_LENGTH,
                message=f"The reason must be {MAX_REASON_LENGTH:,} characters or fewer",
            ),
        ],
        filters=[strip_whitespace],
    )


class ResponseForm(FlaskForm):
    body = TextAreaField(
        "What the ICS did",
        description=MARKDOWN_HINT,
        validators=[
            InputRequired("Enter the ICS's response"),
            Length(
                max=MAX_RESPONSE_LENGTH,
                message=f"The response must be {MAX_RESPONSE_LENGTH:,} characters or fewer",
            ),
        ],
        filters=[strip_whitespace],
    )


class FilterError(ValueError):
    """A search parameter that cannot be read; the message says which and why."""

    def __init__(self, message: str, field: str = "q") -> None:
        super().__init__(message)
        self.field = field


def _date(args: Mapping[str, str], name: str, label: str, *, lenient: bool) -> date | None:
    """A date as ``2026-03-31``; people typing in the search form may also write 31/3/2026."""
    text = (args.get(name) or "").strip()
    if not text:
        return None
    try:
        return parse_date(text, day_first=lenient)
    except ValueError:
        example = "31/3/2026" if lenient else "2026-03-31"
        raise FilterError(f"{label} must be a real date, for example {example}", name) from None


def filters_from_args(args: Mapping[str, str], *, lenient: bool = False) -> Filters:
    """The search in a query string: ``q``, ``proposal``, ``from``, ``to``, ``status``, ``area``.

    ``lenient`` also takes dates as day/month/year, as people type them in the search form.
    """
    text = (args.get("q") or "").strip()
    if len(text) > MAX_SEARCH_LENGTH:
        raise FilterError(f"Search words must be {MAX_SEARCH_LENGTH} characters or fewer", "q")
    proposal_text = (args.get("proposal") or "").strip()
    proposal_id = None
    if proposal_text:
        if not proposal_text.isdigit() or len(proposal_text) > 12:
            raise FilterError("proposal must be the number of a proposal", "proposal")
        proposal_id = int(proposal_text)
    published_from = _date(args, "from", "Published from", lenient=lenient)
    published_to = _date(args, "to", "Published to", lenient=lenient)
    if published_from and published_to and published_to < published_from:
        raise FilterError("Published to must be the same as or after published from", "to")
    status_text = (args.get("status") or "").strip()
    state = None
    if status_text:
        try:
            state = StatementState(status_text)
        except ValueError:
            raise FilterError(
                "status must be one of " + ", ".join(s.value for s in StatementState), "status"
            ) from None
    area_slug = (args.get("area") or "").strip()[:64] or None
    return Filters(
        text=text,
        proposal_id=proposal_id,
        published_from=published_from,
        published_to=published_to,
        state=state,
        area_slug=area_slug,
    )


def filter_args(filters: Filters) -> dict[str, str]:
    """``filters`` back as query-string arguments, for links to other pages of the results."""
    args = {
        "q": filters.text,
        "proposal": str(filters.proposal_id) if filters.proposal_id is not None else "",
        "from": filters.published_from.isoformat() if filters.published_from else "",
        "to": filters.published_to.isoformat() if filters.published_to else "",
        "status": filters.state.value if filters.state else "",
        "area": filters.area_slug or "",
    }
    return {name: value for name, value in args.items() if value}


def day_month_year(value: date) -> str:
    """A date as people type it in the search form: ``1/3/2026``."""
    return f"{value.day}/{value.month}/{value.year}"


class EndorseForm(FlaskForm):
    """An organisation signing a published statement: a button per organisation."""

    organisation = HiddenField()
