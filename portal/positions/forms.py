"""Forms for ICS proposals, drafts, comments, amendments and the steps of the workflow.

Choices that depend on the person or the draft (tiers, paragraphs, proposals, leads) are set
by the view before validation. Fields of forms that share the position page have names of
their own, so no two elements on the page share an id.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal.form_filters import strip_whitespace
from portal.positions import services, workflow
from portal.times import LONDON
from portal.voting.forms import choice_list
from portal.voting.models import BallotSecrecy
from portal.voting.setup_forms import DEFAULT_RULE_ANSWERS, VoteRulesFields, default_closing

MARKDOWN_HINT = (
    "You can use Markdown: a blank line between paragraphs, *italic*, **bold**, lists "
    "starting with - and [links](https://example.org). Raw HTML is not kept."
)
_LINK = re.compile(r"^https?://[^\s<>\"]+$", re.IGNORECASE)


def _error(field: Any, message: str) -> None:
    field.errors = [*field.errors, message]


def _date(form: FlaskForm, prefix: str, name: str, *, required: bool) -> date | None:
    """A date typed as day, month and year; the error goes on the day box."""
    day, month, year = (form[f"{prefix}_{part}"] for part in ("day", "month", "year"))
    if not (day.data or month.data or year.data):
        if required:
            _error(day, f"Enter the {name}")
        return None
    try:
        typed = date(int(year.data), int(month.data), int(day.data))
    except (TypeError, ValueError, OverflowError):  # a 20-digit year overflows
        _error(day, f"The {name} must be a real date, like 27 3 2027")
        return None
    if typed.year < 2000:
        _error(day, f"The {name} must have a 4-digit year, like 2027")
        return None
    return typed


def date_data(prefix: str, moment: date | datetime) -> dict[str, str]:
    if isinstance(moment, datetime):
        moment = moment.astimezone(LONDON).date()
    return {
        f"{prefix}_day": str(moment.day),
        f"{prefix}_month": str(moment.month),
        f"{prefix}_year": str(moment.year),
    }


# --- ICS proposals ----------------------------------------------------------------------------


class ProposalForm(FlaskForm):
    title = StringField(
        "Title",
        description="As the ICS names it, for example: Enhanced access from PCN hubs",
        validators=[
            InputRequired("Enter a title"),
            Length(max=200, message="Title must be 200 characters or fewer"),
        ],
        filters=[strip_whitespace],
    )
    ics_reference = StringField(
        "ICS or ICB reference (optional)",
        validators=[
            Optional(),
            Length(max=100, message="Reference must be 100 characters or fewer"),
        ],
        filters=[strip_whitespace],
    )
    owning_body = StringField(
        "Body that owns the proposal",
        description="For example: the ICB's primary care commissioning committee",
        validators=[
            InputRequired("Enter the body that owns the proposal"),
            Length(max=200, message="Must be 200 characters or fewer"),
        ],
        filters=[strip_whitespace],
    )
    summary_markdown = TextAreaField(
        "Summary (optional)",
        description=f"What the ICS proposes and what it means for practices. {MARKDOWN_HINT}",
        validators=[Optional(), Length(max=100_000, message="The summary is too long")],
    )
    source_links = TextAreaField(
        "Links to the proposal (optional)",
        description="One web address per line, each starting with https://",
        validators=[Optional(), Length(max=20_000, message="Too many links")],
    )
    deadline_day = StringField("Day", filters=[strip_whitespace])
    deadline_month = StringField("Month", filters=[strip_whitespace])
    deadline_year = StringField("Year", filters=[strip_whitespace])
    documents = MultipleFileField(
        "Documents (optional)",
        description=(
            "PDF, Word (DOCX) or OpenDocument text (ODT) files, up to 10 MB each. "
            "Other kinds of file are refused, whatever their name."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadline: date | None = None
        self.links: list[str] = []

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        self.deadline = _date(self, "deadline", "response deadline", required=False)
        self.links = [line.strip() for line in (self.source_links.data or "").splitlines()]
        self.links = [link for link in self.links if link]
        for link in self.links:
            if not _LINK.fullmatch(link) or len(link) > 2000:
                _error(self.source_links, "Enter each link as a web address starting https://")
                break
        return valid and not any(field.errors for field in self)

    def details(self) -> services.ProposalDetails:
        return services.ProposalDetails(
            title=self.title.data or "",
            ics_reference=self.ics_reference.data,
            owning_body=self.owning_body.data or "",
            summary_markdown=self.summary_markdown.data or "",
            source_links=self.links,
            response_deadline=self.deadline,
        )


class DocumentForm(FlaskForm):
    attachments = MultipleFileField(
        "Attach documents",
        description="PDF, Word (DOCX) or OpenDocument text (ODT) files, up to 10 MB each.",
    )


# --- Drafts -----------------------------------------------------------------------------------


class PositionForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[
            InputRequired("Enter a title"),
            Length(max=200, message="Title must be 200 characters or fewer"),
        ],
        filters=[strip_whitespace],
    )
    body_markdown = TextAreaField(
        "Text of the position",
        description=(f"Members comment on and amend it paragraph by paragraph. {MARKDOWN_HINT}"),
        validators=[
            InputRequired("Enter the text of the position"),
            Length(max=100_000, message="The text is too long"),
        ],
    )
    tier = RadioField(
        "Who can read this draft",
        validators=[InputRequired("Choose who can read this draft")],
        invalid_choice_message="Choose who can read this draft",
    )
    proposal = SelectField(
        "ICS proposal it answers", invalid_choice_message="Choose a proposal from the list"
    )


class EditForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[
            InputRequired("Enter a title"),
            Length(max=200, message="Title must be 200 characters or fewer"),
        ],
        filters=[strip_whitespace],
    )
    body_markdown = TextAreaField(
        "Text of the position",
        description=MARKDOWN_HINT,
        validators=[
            InputRequired("Enter the text of the position"),
            Length(max=100_000, message="The text is too long"),
        ],
    )
    base_revision = HiddenField()

    def base_number(self) -> int | None:
        try:
            return int(self.base_revision.data or "")
        except ValueError:
            return None


class CommentForm(FlaskForm):
    comment_paragraph = SelectField(
        "What are you commenting on?", invalid_choice_message="Choose a paragraph from the list"
    )
    comment_body = TextAreaField(
        "Comment",
        description=MARKDOWN_HINT,
        validators=[
            InputRequired("Enter your comment"),
            Length(max=10_000, message="The comment must be 10,000 characters or fewer"),
        ],
    )

    def paragraph_index(self) -> int | None:
        return int(self.comment_paragraph.data) if self.comment_paragraph.data else None


class EditCommentForm(FlaskForm):
    """The author's new text for their comment (portal/positions/comment_changes.py)."""

    comment_body = TextAreaField(
        "Comment",
        description=MARKDOWN_HINT,
        validators=[
            InputRequired("Enter your comment"),
            Length(max=10_000, message="The comment must be 10,000 characters or fewer"),
        ],
    )


class AmendmentForm(FlaskForm):
    amendment_paragraph = SelectField(
        "Paragraph to replace",
        validators=[InputRequired("Choose the paragraph to replace")],
        invalid_choice_message="Choose a paragraph from the list",
    )
    replacement = TextAreaField(
        "Replacement text",
        description="The whole paragraph as you would have it read.",
        validators=[
            InputRequired("Enter the replacement text"),
            Length(max=100_000, message="The replacement is too long"),
        ],
    )
    reason = TextAreaField(
        "Reason for the change",
        validators=[
            InputRequired("Give a reason for the change"),
            Length(max=10_000, message="The reason must be 10,000 characters or fewer"),
        ],
    )


class RejectForm(FlaskForm):
    rejection_reason = TextAreaField(
        "Reason for rejecting it",
        validators=[
            InputRequired("Give the reason for rejecting the amendment"),
            Length(max=10_000, message="The reason must be 10,000 characters or fewer"),
        ],
    )


class ConsultationForm(FlaskForm):
    ends_day = StringField("Day", filters=[strip_whitespace])
    ends_month = StringField("Month", filters=[strip_whitespace])
    ends_year = StringField("Year", filters=[strip_whitespace])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ends_at: datetime | None = None

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        last_day = _date(self, "ends", "last day of the consultation", required=True)
        if last_day is not None:
            # Members may comment until the end of the last day, UK time.
            local = datetime.combine(last_day + timedelta(days=1), time(0), LONDON)
            self.ends_at = local.astimezone(UTC)
        return valid and not any(field.errors for field in self)


class LeadForm(FlaskForm):
    lead = SelectField("New drafting lead", invalid_choice_message="Choose someone from the list")


# --- Putting a draft or an amendment to the vote ----------------------------------------------

SCHEMES = [
    ("list_size", "By registered list size"),
    ("weighted_list_size", "By weighted list size"),
    ("banded", "By bands of list size"),
    ("equal", "Equal: one organisation, one vote"),
]


class VoteRulesForm(VoteRulesFields):
    """The rules of a motion vote on a frozen text; the text itself is not editable here."""

    scheme = RadioField(
        "How much each organisation's vote weighs",
        choices=choice_list(SCHEMES),
        invalid_choice_message="Choose how votes are weighted",
    )

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        self._check_closing()
        self._check_weights()
        self._check_motion()
        return valid and not any(field.errors for field in self)

    def rules(self) -> dict[str, Any]:
        return {
            "weighting": self._weighting(),
            "blocks": None,
            "cap": self._fraction_of_percent(self.cap.data),
            "quorum": self._quorum(),
            "threshold": self._motion_threshold(),
            "tie": self.tie.data,
        }

    def settings(self) -> workflow.VoteSettings:
        assert self.closes_at is not None
        return workflow.VoteSettings(
            secrecy=BallotSecrecy(self.secrecy.data),
            voting_kinds=list(self.voting_kinds.data),
            closes_at=self.closes_at,
            rules=self.rules(),
        )


def new_vote_rules_data(now: datetime) -> dict[str, Any]:
    """The same defaults as every other route into a vote (``voting.setup_forms``)."""
    closes = default_closing(now)
    return {
        **DEFAULT_RULE_ANSWERS,
        "voting_kinds": list(DEFAULT_RULE_ANSWERS["voting_kinds"]),
        **date_data("closes", closes.astimezone(LONDON).date()),
        "closes_time": f"{closes.astimezone(LONDON):%H:%M}",
    }
