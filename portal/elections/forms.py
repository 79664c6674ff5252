"""Forms for elections. Times are typed in London time and stored in UTC.

The ranked ballot works without JavaScript: each candidate has a box for a number. A box may be
left blank (that candidate is not ranked); no number may be used twice; gaps are closed up,
so 1, 2, 4 is read as 1, 2, 3, and the "check your answers" page shows the order that counts.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from portal.accounts.models import Role
from portal.elections.models import CountingMethod, Election, Elector, ElectorateKind, Nomination
from portal.elections.nominations import MAX_REASON_LENGTH, MAX_STATEMENT_WORDS, word_count
from portal.elections.setup import ElectionDetails
from portal.elections.timetable import Timetable, phase_of, timetable_of
from portal.form_filters import strip_whitespace
from portal.markdown import MARKDOWN_HINT
from portal.organisations.models import OrganisationKind
from portal.statements.forms import TIER_CHOICES
from portal.times import LONDON
from portal.voting.scrutiny import MAX_SCRUTINEERS

MOMENT_FORMAT = "%Y-%m-%dT%H:%M"


def choice_list(pairs: Any) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """Several values from a list, shown with the NHS.UK checkboxes macro."""


def _moment(label: str) -> DateTimeLocalField:
    return DateTimeLocalField(
        label,
        format=MOMENT_FORMAT,
        description="London time, for example 2027-03-01 17:00",
        validators=[InputRequired(f"Enter when {label.lower()}, as a date and a time")],
    )


def london_to_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=LONDON).astimezone(UTC)


def _scrutineers_field() -> TextAreaField:
    return TextAreaField(
        "Scrutineers (a secret election only)",
        description=(
            f"The email addresses of up to {MAX_SCRUTINEERS} people who will hold the sealed "
            "ballots file, one per line: members of this area. Each is emailed and sets a "
            "passphrase; voting cannot begin until all have. With no scrutineer, the portal "
            "keeps no ballots file for a secret election, only its fingerprint."
        ),
        filters=[strip_whitespace],
        validators=[Optional(), Length(max=2000)],
    )


class ElectionForm(FlaskForm):
    title = StringField(
        "Title",
        filters=[strip_whitespace],
        validators=[InputRequired("Enter the election's title"), Length(max=200)],
    )
    seats = IntegerField(
        "Seats to fill",
        validators=[
            InputRequired("Enter how many seats are to be filled, as a whole number"),
            NumberRange(min=1, max=50, message="Seats must be from 1 to 50"),
        ],
    )
    method = RadioField(
        "Counting method",
        choices=choice_list((m.value, m.label) for m in CountingMethod),
        default=CountingMethod.SCOTTISH.value,
        validators=[InputRequired("Choose the counting method")],
    )
    electorate_kind = RadioField(
        "Who votes",
        choices=choice_list(
            [
                (ElectorateKind.PEOPLE.value, "People: one vote each"),
                (ElectorateKind.ORGANISATIONS.value, "Organisations: a whole-number weight each"),
            ]
        ),
        default=ElectorateKind.PEOPLE.value,
        validators=[InputRequired("Choose who votes")],
    )
    roles = MultiCheckboxField(
        "People: the roles that vote (in practices)",
        choices=choice_list(
            [(Role.GP_PARTNER.value, "GP partners"), (Role.SALARIED_GP.value, "Salaried GPs")]
        ),
        default=[Role.GP_PARTNER.value, Role.SALARIED_GP.value],
    )
    kinds = MultiCheckboxField(
        "Organisations: the kinds that vote",
        choices=choice_list(
            [
                (k.value, k.label)
                for k in (
                    OrganisationKind.PRACTICE,
                    OrganisationKind.PCN,
                    OrganisationKind.FEDERATION,
                    OrganisationKind.LMC,
                )
            ]
        ),
    )
    weighting = RadioField(
        "Organisations: weights",
        choices=choice_list(
            [
                ("equal", "One vote each"),
                ("list_size", "Registered list size"),
                ("band", "One vote per band of patients (or part of one)"),
            ]
        ),
        default="equal",
    )
    band = IntegerField(
        "Patients in a band",
        validators=[Optional(), NumberRange(min=1, message="A band must be 1 patient or more")],
    )
    pcn_codes = MultiCheckboxField(
        "Constituency: only practices in these PCNs (none ticked: the whole area)"
    )
    secrecy = RadioField(
        "Kind of ballot",
        choices=choice_list(
            [
                ("secret", "Secret: nobody can see how anyone voted"),
                ("open", "Open: the ballots file names no one, but is open to every member"),
            ]
        ),
        default="secret",
    )
    scrutineers = _scrutineers_field()
    nominations_close = _moment("Nominations close")
    voting_opens = _moment("Voting opens")
    voting_closes = _moment("Voting closes")

    def validate_roles(self, field: MultiCheckboxField) -> None:
        if self.electorate_kind.data == ElectorateKind.PEOPLE.value and not field.data:
            raise ValidationError("Choose the roles that vote")

    def validate_kinds(self, field: MultiCheckboxField) -> None:
        if self.electorate_kind.data == ElectorateKind.ORGANISATIONS.value and not field.data:
            raise ValidationError("Choose the kinds of organisation that vote")

    def validate_band(self, field: IntegerField) -> None:
        if self.weighting.data == "band" and not field.data:
            raise ValidationError("Enter how many patients make a band")

    def details(self) -> ElectionDetails:
        return ElectionDetails(
            title=self.title.data,
            seats=self.seats.data,
            method=CountingMethod(self.method.data),
            electorate_kind=ElectorateKind(self.electorate_kind.data),
            roles=[Role(value) for value in self.roles.data or []],
            kinds=[OrganisationKind(value) for value in self.kinds.data or []],
            weighting=self.weighting.data or "equal",
            band=self.band.data,
            pcn_codes=list(self.pcn_codes.data or []),
            secret=self.secrecy.data != "open",
            nominations_close_at=london_to_utc(self.nominations_close.data),
            voting_opens_at=london_to_utc(self.voting_opens.data),
            voting_closes_at=london_to_utc(self.voting_closes.data),
            scrutineers=self.scrutineers.data or "",
        )


def _shown_text(timetable: Timetable) -> str:
    return "|".join(getattr(timetable, date.name).isoformat() for date in fields(Timetable))


def _shown_timetable(text: str | None) -> Timetable | None:
    try:
        moments = [datetime.fromisoformat(part) for part in (text or "").split("|")]
        shown = Timetable(*moments)
    except (TypeError, ValueError):
        return None
    # The page shows the election's own times, which are in UTC: a time without a zone was
    # not written by it, and could not be compared with the dates typed.
    return shown if all(moment.tzinfo is not None for moment in moments) else None


def _shown_is_a_timetable(form: FlaskForm, field: HiddenField) -> None:
    if _shown_timetable(field.data) is None:
        raise ValidationError("This form is out of date: open the election's page again")


class ElectionDatesForm(FlaskForm):
    """An officer moves an election's dates: set-up's own date fields (the same fields, so the
    same labels, format and messages), less those the election's phase keeps fixed. Each is
    named as its date on ``Timetable``, without ``_at``.

    ``shown`` carries the dates as the page showed them, so that only the dates the officer
    typed over move: another officer's move made meanwhile to a date this one left alone
    stands, rather than being put back by a form filled in before it."""

    nominations_close = ElectionForm.nominations_close
    voting_opens = ElectionForm.voting_opens
    voting_closes = ElectionForm.voting_closes
    shown = HiddenField(validators=[_shown_is_a_timetable])

    def changes(self) -> dict[str, datetime]:
        """The dates typed over (to the minute) what the page showed, in UTC, by their names
        on ``Timetable``."""
        shown = _shown_timetable(self.shown.data)
        assert shown is not None  # validated
        changed = {}
        for date in fields(Timetable):
            field = getattr(self, date.name.removesuffix("_at"))
            if field is None:
                continue
            moment = london_to_utc(field.data)
            if moment != getattr(shown, date.name).replace(second=0, microsecond=0):
                changed[date.name] = moment
        return changed


def dates_form(election: Election, now: datetime, *, posted: bool) -> ElectionDatesForm:
    """The form to move ``election``'s dates, with only those that may move now: read from the
    request when ``posted``, otherwise showing the election's dates in London time."""
    current = timetable_of(election)
    names = {date.name: date.name.removesuffix("_at") for date in fields(Timetable)}
    shown = {
        field: getattr(current, name).astimezone(LONDON).replace(tzinfo=None)
        for name, field in names.items()
    }
    form = (
        ElectionDatesForm()
        if posted
        else ElectionDatesForm(formdata=None, data={**shown, "shown": _shown_text(current)})
    )
    movable = phase_of(election, now).movable
    for name, field in names.items():
        if name not in movable:
            del form[field]
    return form


class ScrutineersForm(FlaskForm):
    """An officer names (or renames) a secret election's scrutineers while nominations last."""

    scrutineers = _scrutineers_field()


class NominateForm(FlaskForm):
    candidate = SelectField("Candidate", validators=[InputRequired("Choose whom to nominate")])
    elector = SelectField("Nominating as", validators=[InputRequired("Choose the elector")])


class SecondForm(FlaskForm):
    elector = SelectField("Seconding as", validators=[InputRequired("Choose the elector")])


class AcceptForm(FlaskForm):
    statement = TextAreaField(
        "Your statement (optional)",
        description=f"Up to {MAX_STATEMENT_WORDS} words. {MARKDOWN_HINT}",
        filters=[strip_whitespace],
        validators=[Length(max=5000, message="The statement is too long")],
    )

    def validate_statement(self, field: TextAreaField) -> None:
        words = word_count(field.data or "")
        if words > MAX_STATEMENT_WORDS:
            raise ValidationError(
                f"The statement has {words} words: it must be {MAX_STATEMENT_WORDS} or fewer"
            )


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        "Reason for the withdrawal",
        description="Electors will see this on the election's page.",
        filters=[strip_whitespace],
        validators=[
            InputRequired("Enter the reason for the withdrawal"),
            Length(
                max=MAX_REASON_LENGTH,
                message=f"The reason must be {MAX_REASON_LENGTH} characters or fewer",
            ),
        ],
    )


def elector_choices(electors: list[Elector]) -> list[SelectChoice]:
    return choice_list((str(e.id), e.label) for e in electors)


def ballot_form(candidates: list[Nomination], formdata: Any = None) -> FlaskForm:
    """A form with one rank box per candidate (``rank_<nomination id>``)."""

    class BallotForm(FlaskForm):
        pass

    for nomination in candidates:
        setattr(
            BallotForm,
            f"rank_{nomination.id}",
            StringField(nomination.candidate.name, filters=[strip_whitespace]),
        )
    return BallotForm(formdata=formdata) if formdata is not None else BallotForm()


def read_ranking(form: FlaskForm, candidates: list[Nomination]) -> list[int] | None:
    """The ranking (nomination ids in order) or None, with errors put on the boxes."""
    chosen: dict[int, int] = {}
    ok = True
    limit = len(candidates)
    for nomination in candidates:
        field = form[f"rank_{nomination.id}"]
        text = field.data or ""
        if not text:
            continue
        if not text.isdigit() or not 1 <= int(text) <= limit:
            field.errors = [f"{nomination.candidate.name}: enter a number from 1 to {limit}"]
            ok = False
            continue
        rank = int(text)
        if rank in chosen.values():
            field.errors = [f"{nomination.candidate.name}: you have used {rank} twice"]
            ok = False
            continue
        chosen[nomination.id] = rank
    if ok and not chosen:
        first = form[f"rank_{candidates[0].id}"]
        first.errors = ["Put a 1 beside the candidate you like most"]
        ok = False
    if not ok:
        return None
    return sorted(chosen, key=chosen.__getitem__)


def fill_ranking(form: FlaskForm, ranking: list[int]) -> None:
    """Put back a ranking on its way to the check page, so going back shows the numbers."""
    for position, nomination_id in enumerate(ranking, start=1):
        field = getattr(form, f"rank_{nomination_id}", None)
        if field is not None:
            field.data = str(position)


class ConfirmBallotForm(FlaskForm):
    ranking = HiddenField()
    elector = HiddenField()

    def ranking_ids(self) -> list[int] | None:
        """The nomination ids the check page sent, first preference first; None if garbled."""
        try:
            return [int(part) for part in (self.ranking.data or "").split(",")]
        except ValueError:
            return None


class ReceiptForm(FlaskForm):
    code = StringField(
        "Receipt code",
        filters=[strip_whitespace],
        validators=[InputRequired("Enter the receipt code"), Length(max=40)],
    )


class PublishResultForm(FlaskForm):
    """The officer's choice to publish the result as a statement: who may read it."""

    tier = RadioField(
        "Who can read the statement",
        choices=TIER_CHOICES,
        validators=[InputRequired("Choose who can read the statement")],
        invalid_choice_message="Choose who can read the statement",
    )
    # Set by the check page's button: only then is the statement published.
    confirmed = HiddenField()
