"""The form an officer sets a vote up with: its text and rules.

``VoteForm`` turns what an officer types (dates and times in London time, percentages and
fractions) into ``services.VoteDetails`` with the rules written exactly as the ballot record
holds them: fractions as ``"p/q"`` strings. Whether the rules make sense together is for
``portal.voting.rules`` to say; the form checks only that each box holds what it asks for.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from portal.form_filters import strip_whitespace
from portal.times import LONDON
from portal.voting import rules as counting
from portal.voting.forms import choice_list
from portal.voting.models import BallotSecrecy, Vote, VoteKind
from portal.voting.services import VoteDetails

KIND_LABELS = {
    "practice": "GP practices",
    "pcn": "Primary care networks",
    "federation": "GP federation",
    "lmc": "Local medical committee",
}
SCHEME_CHOICES = [
    ("equal", "Equal: one organisation, one vote"),
    ("list_size", "By registered list size"),
    ("weighted_list_size", "By weighted list size"),
    ("banded", "By bands of list size"),
    ("hybrid", "Hybrid: part equal, part by size"),
]
BASIS_CHOICES = [
    ("list_size", "Registered list size"),
    ("weighted_list_size", "Weighted list size"),
    ("banded", "Bands of list size"),
]
MOTION_THRESHOLDS = [
    ("simple_majority", "Simple majority: more weight for than against"),
    ("supermajority", "Supermajority: at least a fraction of the weight for or against"),
    ("absolute_majority", "Absolute majority: more than half of the whole electorate's weight"),
    ("double_majority", "Double majority: more weight and more organisations for than against"),
    ("unanimous", "Unanimous: every organisation votes for"),
]
CHOICE_THRESHOLDS = [
    ("plurality", "Plurality: the option with the most weight"),
    ("simple_majority", "Majority: the option with more than half of the weight cast"),
]
SECRECY_CHOICES = [
    ("open", "Open: members see how each organisation voted once the vote closes"),
    (
        "secret",
        "Secret: nobody can see how an organisation voted; only scrutineers hold the record",
    ),
]
TIE_CHOICES = [
    ("fails", "The motion fails"),
    ("chair_for", "The chair's casting vote is for"),
    ("chair_against", "The chair's casting vote is against"),
]
SAFER_BAND = 1000
# A ballot and a receipt hold the chosen option in a column of this size.
MAX_OPTION_LENGTH = 100
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]?([0-5]\d)$")
_NUMBER = re.compile(r"^\d+(\.\d+)?(/\d+)?$")


class MultiCheckboxField(SelectMultipleField):
    """Several values from a list, shown with the NHS.UK checkboxes macro."""


def fraction_text(value: Fraction) -> str:
    """A fraction as the ballot record writes it: always ``"p/q"``."""
    return f"{value.numerator}/{value.denominator}"


def _validated_fraction(text: str | None) -> Fraction:
    """A fraction the form's validation has already accepted."""
    value = typed_fraction(text)
    assert value is not None, "validate() refuses a fraction it cannot read"
    return value


def typed_fraction(text: str | None) -> Fraction | None:
    """A percentage or fraction as typed (``12.5``, ``2/3``, ``50%``), or None if it is not one."""
    text = (text or "").strip().removesuffix("%").strip()
    if not _NUMBER.fullmatch(text):
        return None
    try:
        return counting.to_fraction(text, "value")
    except counting.RecordError:
        return None


def _percent_text(value: Any) -> str:
    """A rule's fraction (as stored) written back as a percentage for the form."""
    if value is None:
        return ""
    percent = counting.to_fraction(value, "value") * 100
    if percent.denominator == 1:
        return str(percent.numerator)
    decimal = counting.percent(percent / 100).rstrip("0")
    if counting.to_fraction(decimal, "value") == percent:
        return decimal
    return fraction_text(percent)


def _fraction_field_text(value: Any) -> str:
    return "" if value is None else fraction_text(counting.to_fraction(value, "value"))


def moment_fields(time_label: str, example: str) -> tuple[Any, Any, Any, Any]:
    """The day, month, year and time boxes of a moment typed in London time."""
    return (
        StringField("Day", filters=[strip_whitespace]),
        StringField("Month", filters=[strip_whitespace]),
        StringField("Year", filters=[strip_whitespace]),
        StringField(
            time_label,
            description=f"24-hour clock, for example {example}",
            filters=[strip_whitespace],
        ),
    )


class VoteRulesFields(FlaskForm):
    """What every form that sets up a vote asks: when it closes, who votes, the kind of
    ballot, the weights with their cap, the quorum, and what passes a motion and a tie.

    Subclasses call ``_check_closing``, ``_check_weights`` and (for a motion)
    ``_check_motion`` from ``validate``; the ``rules`` they build use the parts below.
    """

    closes_day, closes_month, closes_year, closes_time = moment_fields("Closing time", "17:00")
    voting_kinds = MultiCheckboxField(
        "Kinds of organisation that vote",
        choices=choice_list(KIND_LABELS.items()),
        validators=[InputRequired("Choose which kinds of organisation vote")],
        invalid_choice_message="Choose from the kinds of organisation listed",
    )
    secrecy = RadioField(
        "Kind of ballot",
        choices=choice_list(SECRECY_CHOICES),
        invalid_choice_message="Choose an open or a secret ballot",
    )
    scheme = RadioField(
        "How much each organisation's vote weighs",
        choices=choice_list(SCHEME_CHOICES),
        invalid_choice_message="Choose how votes are weighted",
    )
    band = StringField(
        "Patients in a band",
        description="For weights by bands: a practice has one band for each so many patients.",
        filters=[strip_whitespace],
    )
    cap = StringField(
        "Cap (%) (optional)",
        description="No organisation's share may be more than this percentage of the whole.",
        filters=[strip_whitespace],
    )
    quorum_members = StringField(
        "Organisations that must vote (%) (optional)", filters=[strip_whitespace]
    )
    quorum_weight = StringField("Weight that must vote (%) (optional)", filters=[strip_whitespace])
    motion_threshold = RadioField("What passes the motion", choices=choice_list(MOTION_THRESHOLDS))
    supermajority = StringField(
        "Fraction needed",
        description="Only for a supermajority: more than half, for example 2/3 or 3/4.",
        filters=[strip_whitespace],
    )
    tie = RadioField("When for and against are exactly equal", choices=choice_list(TIE_CHOICES))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Checked by _check_motion, and only when the vote is a motion.
        self.motion_threshold.validate_choice = False
        self.tie.validate_choice = False
        self.closes_at: datetime | None = None

    def _error(self, field: Any, message: str) -> None:
        field.errors = [*field.errors, message]

    def _check_number(self, field: Any, message: str) -> None:
        if field.data and typed_fraction(field.data) is None:
            self._error(field, message)

    def _moment(self, prefix: str, name: str, example: str) -> datetime | None:
        """A date and time typed in London time, as an aware UTC datetime."""
        day, month, year, clock = (
            getattr(self, f"{prefix}_{part}") for part in ("day", "month", "year", "time")
        )
        if not (day.data and month.data and year.data):
            self._error(day, f"Enter the {name} date")
            return None
        try:
            on = date(int(year.data), int(month.data), int(day.data))
        except (ValueError, OverflowError):  # a 20-digit year overflows
            self._error(day, f"The {name} date must be a real date, like 1 March 2027")
            return None
        if on.year < 2000:
            self._error(day, f"The {name} date must have a 4-digit year, like 2027")
            return None
        match = _TIME.fullmatch(clock.data or "")
        if match is None:
            self._error(clock, f"Enter the {name} time on the 24-hour clock, like {example}")
            return None
        local = datetime.combine(on, time(int(match.group(1)), int(match.group(2))), LONDON)
        return local.astimezone(UTC)

    def _check_closing(self) -> None:
        self.closes_at = self._moment("closes", "closing", "17:00")

    def _bands_needed(self) -> bool:
        return self.scheme.data == "banded"

    def _check_weights(self) -> None:
        if self._bands_needed() and not (self.band.data or "").isdigit():
            self._error(self.band, "Enter the number of patients in a band, like 1000")
        for field in (self.cap, self.quorum_members, self.quorum_weight):
            self._check_number(field, "Enter a percentage like 50, or leave it empty")

    def _check_motion(self) -> None:
        if self.motion_threshold.data not in dict(MOTION_THRESHOLDS):
            self._error(self.motion_threshold, "Choose what passes the motion")
        elif self.motion_threshold.data == "supermajority" and not typed_fraction(
            self.supermajority.data
        ):
            self._error(self.supermajority, "Enter the fraction needed, like 2/3")
        if self.tie.data not in dict(TIE_CHOICES):
            self._error(self.tie, "Choose what happens on a tie")

    @staticmethod
    def _fraction_of_percent(text: str | None) -> str | None:
        value = typed_fraction(text)
        return None if not text or value is None else fraction_text(value / 100)

    def _weighting(self) -> dict[str, Any]:
        weighting: dict[str, Any] = {"scheme": self.scheme.data}
        if self._bands_needed():
            weighting["band"] = int(self.band.data)
        return weighting

    def _quorum(self) -> dict[str, str | None] | None:
        quorum = {
            "members": self._fraction_of_percent(self.quorum_members.data),
            "weight": self._fraction_of_percent(self.quorum_weight.data),
        }
        return quorum if any(quorum.values()) else None

    def _motion_threshold(self) -> dict[str, Any]:
        threshold: dict[str, Any] = {"rule": self.motion_threshold.data}
        if self.motion_threshold.data == "supermajority":
            threshold["fraction"] = fraction_text(_validated_fraction(self.supermajority.data))
        return threshold


class VoteForm(VoteRulesFields):
    title = StringField(
        "Title",
        validators=[
            InputRequired("Enter a title"),
            Length(max=200, message="Title must be 200 characters or fewer"),
        ],
        filters=[strip_whitespace],
    )
    question = TextAreaField(
        "Question",
        description="What organisations vote on, in one or two sentences.",
        validators=[
            InputRequired("Enter the question"),
            Length(max=500, message="Question must be 500 characters or fewer"),
        ],
        filters=[strip_whitespace],
    )
    body_markdown = TextAreaField(
        "Background paper (optional)",
        description=(
            "What members should read before they vote. You can use Markdown: "
            "## for a heading, * for a list item, [text](https://address) for a link. "
            "It cannot change once the vote opens."
        ),
        validators=[Optional(), Length(max=100_000, message="The paper is too long")],
    )
    kind = RadioField(
        "Kind of vote",
        choices=choice_list(
            [
                ("motion", "A motion: each organisation votes for, against or abstains"),
                ("choice", "A choice between options"),
            ]
        ),
        invalid_choice_message="Choose the kind of vote",
    )
    options = TextAreaField(
        "Options",
        description="One option per line, at least 2. An option cannot be called abstain.",
        validators=[Optional(), Length(max=5000)],
    )
    proposal = SelectField(
        "The ICS proposal it answers (optional)",
        choices=[SelectChoice("", "No ICS proposal")],
        default="",
        invalid_choice_message="Choose a proposal from the list",
    )
    opens_day, opens_month, opens_year, opens_time = moment_fields("Opening time", "09:00")
    pcn_codes = MultiCheckboxField(
        "Only practices in these primary care networks (optional)",
        description="Leave them all unticked for every practice in the area.",
        invalid_choice_message="Choose from the networks listed",
    )
    band = StringField(
        "Patients in a band",
        description=(
            "For banded weights, or a hybrid shared by bands: a practice has one band for each "
            "so many patients, and at least one."
        ),
        filters=[strip_whitespace],
    )
    equal_part = StringField(
        "Equal part (%)",
        description="The share of the weight divided equally; the rest is shared by size.",
        filters=[strip_whitespace],
    )
    basis = SelectField("The rest is shared by", choices=choice_list(BASIS_CHOICES))
    block_practice = StringField(KIND_LABELS["practice"], filters=[strip_whitespace])
    block_pcn = StringField(KIND_LABELS["pcn"], filters=[strip_whitespace])
    block_federation = StringField(KIND_LABELS["federation"], filters=[strip_whitespace])
    block_lmc = StringField(KIND_LABELS["lmc"], filters=[strip_whitespace])
    choice_threshold = RadioField("What elects an option", choices=choice_list(CHOICE_THRESHOLDS))
    scrutineers = TextAreaField(
        "Scrutineers (a secret ballot only)",
        description=(
            "The email addresses of the people who will hold the sealed full record, one per "
            "line: members of this area. Each is emailed and sets a passphrase; the vote "
            "cannot open until all have."
        ),
        validators=[Optional(), Length(max=2000)],
    )
    keep_weights = BooleanField("I understand, keep these rules")
    use_banded = SubmitField(f"Use bands of {SAFER_BAND:,} patients instead")

    BLOCK_FIELDS = ("block_practice", "block_pcn", "block_federation", "block_lmc")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the radios that apply to the kind of vote are checked.
        self.choice_threshold.validate_choice = False
        self.opens_at: datetime | None = None

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        self.opens_at = self._moment("opens", "opening", "09:00")
        self._check_closing()
        if self.kind.data == "choice":
            options = [line.strip() for line in (self.options.data or "").splitlines()]
            if len([option for option in options if option]) < 2:
                self._error(self.options, "Enter at least 2 options, one per line")
            elif any(len(option) > MAX_OPTION_LENGTH for option in options):
                self._error(
                    self.options, f"Each option must be {MAX_OPTION_LENGTH} characters or fewer"
                )
            if self.choice_threshold.data not in dict(CHOICE_THRESHOLDS):
                self._error(self.choice_threshold, "Choose what elects an option")
        elif self.kind.data == "motion":
            self._check_motion()
        self._check_weights()
        if self.scheme.data == "hybrid" and typed_fraction(self.equal_part.data) is None:
            self._error(self.equal_part, "Enter the equal part as a percentage, like 50")
        for name in self.BLOCK_FIELDS:
            self._check_number(getattr(self, name), "Enter a fraction like 1/2, or leave it empty")
        return valid and not any(field.errors for field in self)

    def _bands_needed(self) -> bool:
        return self.scheme.data == "banded" or (
            self.scheme.data == "hybrid" and self.basis.data == "banded"
        )

    def switch_to_banded(self) -> None:
        """The safer weights for a secret ballot: bands of patients instead of exact sizes."""
        if self.scheme.data == "hybrid":
            self.basis.data = "banded"
        else:
            self.scheme.data = "banded"
        self.band.data = str(SAFER_BAND)

    def _weighting(self) -> dict[str, Any]:
        weighting = super()._weighting()
        if self.scheme.data == "hybrid":
            weighting["equal_part"] = self._fraction_of_percent(self.equal_part.data)
            weighting["basis"] = self.basis.data
        return weighting

    def rules(self) -> dict[str, Any]:
        """The ``rules`` object of the ballot record, from the validated form."""
        blocks = {
            name.removeprefix("block_"): fraction_text(
                _validated_fraction(getattr(self, name).data)
            )
            for name in self.BLOCK_FIELDS
            if getattr(self, name).data
        }
        if self.kind.data == "motion":
            threshold, tie = self._motion_threshold(), self.tie.data
        else:
            threshold, tie = {"rule": self.choice_threshold.data}, "fails"
        return {
            "weighting": self._weighting(),
            "blocks": blocks or None,
            "cap": self._fraction_of_percent(self.cap.data),
            "quorum": self._quorum(),
            "threshold": threshold,
            "tie": tie,
        }

    def details(self) -> VoteDetails:
        assert self.opens_at is not None
        assert self.closes_at is not None
        kind = VoteKind(self.kind.data)
        options = (self.options.data or "").splitlines() if kind is VoteKind.CHOICE else []
        return VoteDetails(
            title=self.title.data,
            question=self.question.data,
            body_markdown=self.body_markdown.data or "",
            kind=kind,
            secrecy=BallotSecrecy(self.secrecy.data),
            options=options,
            voting_kinds=list(self.voting_kinds.data),
            pcn_codes=list(self.pcn_codes.data) or None,
            proposal_id=int(self.proposal.data) if (self.proposal.data or "").isdigit() else None,
            opens_at=self.opens_at,
            closes_at=self.closes_at,
            rules=self.rules(),
        )


def _date_parts(prefix: str, moment: datetime) -> dict[str, str]:
    local = moment.astimezone(LONDON)
    return {
        f"{prefix}_day": str(local.day),
        f"{prefix}_month": str(local.month),
        f"{prefix}_year": str(local.year),
        f"{prefix}_time": f"{local:%H:%M}",
    }


#: The rules every route into a vote starts from (a new vote, its question pages, a position
#: or an amendment put to the vote): practices vote, weighted by list size, half of them must
#: vote, and a simple majority of the weight passes; no cap, which a few practices could not
#: all meet.
DEFAULT_RULE_ANSWERS: dict[str, Any] = {
    "secrecy": "open",
    "voting_kinds": ["practice"],
    "scheme": "list_size",
    "band": str(SAFER_BAND),
    "cap": "",
    "quorum_members": "50",
    "quorum_weight": "",
    "motion_threshold": "simple_majority",
    "supermajority": "2/3",
    "tie": "fails",
}
DEFAULT_VOTING_DAYS = 14


def default_closing(now: datetime) -> datetime:
    """17:00 London time, a fortnight after the next whole hour."""
    local = now.astimezone(LONDON)
    opens = (local + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    return datetime.combine(opens.date() + timedelta(days=DEFAULT_VOTING_DAYS), time(17), LONDON)


def new_vote_data(now: datetime) -> dict[str, Any]:
    """What a new vote's form starts with: the default rules, opening on the next hour."""
    local = now.astimezone(LONDON)
    opens = (local + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    return {
        **DEFAULT_RULE_ANSWERS,
        "voting_kinds": list(DEFAULT_RULE_ANSWERS["voting_kinds"]),
        "kind": "motion",
        "equal_part": "50",
        "basis": "list_size",
        "choice_threshold": "plurality",
        **_date_parts("opens", opens),
        **_date_parts("closes", default_closing(now)),
    }


def vote_data(vote: Vote) -> dict[str, Any]:
    """A draft's form, filled in from the vote as stored."""
    rules = vote.rules or {}
    weighting = rules.get("weighting") or {}
    blocks = rules.get("blocks") or {}
    quorum = rules.get("quorum") or {}
    threshold = rules.get("threshold") or {}
    is_motion = vote.kind is VoteKind.MOTION
    data = {
        "title": vote.title,
        "question": vote.question,
        "body_markdown": vote.body_markdown,
        "kind": vote.kind.value,
        "options": "" if is_motion else "\n".join(vote.options),
        "secrecy": vote.secrecy.value,
        "voting_kinds": list(vote.voting_kinds),
        "pcn_codes": list(vote.pcn_codes or []),
        "proposal": str(vote.proposal_id or ""),
        "scheme": weighting.get("scheme", "equal"),
        "band": str(weighting.get("band", SAFER_BAND)),
        "equal_part": _percent_text(weighting.get("equal_part", "1/2")),
        "basis": weighting.get("basis", "list_size"),
        "cap": _percent_text(rules.get("cap")),
        "quorum_members": _percent_text(quorum.get("members")),
        "quorum_weight": _percent_text(quorum.get("weight")),
        "motion_threshold": threshold.get("rule") if is_motion else "simple_majority",
        "supermajority": _fraction_field_text(threshold.get("fraction", "2/3")),
        "tie": rules.get("tie") or "fails",
        "choice_threshold": "plurality" if is_motion else threshold.get("rule"),
        "scrutineers": "\n".join(scrutineer.user.email for scrutineer in vote.scrutineers),
        **_date_parts("opens", vote.opens_at),
        **_date_parts("closes", vote.closes_at),
    }
    for kind in KIND_LABELS:
        data[f"block_{kind}"] = _fraction_field_text(blocks.get(kind))
    return data
