"""The preferences form: one question per kind of email a member may choose for."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired

from portal.notifications.kinds import CHOOSABLE_KINDS, Frequency, Kind


def _field(kind: Kind) -> RadioField:
    return RadioField(
        kind.label,
        choices=[(frequency.value, frequency.label) for frequency in kind.choices],
        validators=[InputRequired(f"Choose how you get email about {kind.label.lower()}")],
    )


def field_name(kind: Kind) -> str:
    return f"kind_{kind.value}"


class _ChoicesForm(FlaskForm):
    kinds: tuple[Kind, ...] = ()

    def choices(self) -> dict[Kind, Frequency]:
        return {kind: Frequency(self[field_name(kind)].data) for kind in self.kinds}


class PreferencesForm(_ChoicesForm):
    kinds = CHOOSABLE_KINDS


for _kind in CHOOSABLE_KINDS:
    setattr(PreferencesForm, field_name(_kind), _field(_kind))


def one_kind_form(kind: Kind, current: Frequency | None = None) -> _ChoicesForm:
    """The form on the page an email's link opens: the one question for that email's kind."""
    form_class = type(
        f"{kind.name.title()}Form",
        (_ChoicesForm,),
        {"kinds": (kind,), field_name(kind): _field(kind)},
    )
    data = {field_name(kind): current.value} if current is not None else None
    form: _ChoicesForm = form_class(data=data)
    return form


def preferences_form(current: dict[Kind, Frequency] | None = None) -> PreferencesForm:
    data = {field_name(kind): frequency.value for kind, frequency in (current or {}).items()}
    return PreferencesForm(data=data or None)
