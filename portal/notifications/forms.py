"""The preferences forms: one question per kind of email a member may choose for."""

from __future__ import annotations

from functools import cache

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired

from portal.notifications.kinds import CHOOSABLE_KINDS, Frequency, Kind


def field_name(kind: Kind) -> str:
    return f"kind_{kind.value}"


class ChoicesForm(FlaskForm):
    kinds: tuple[Kind, ...] = ()

    def choices(self) -> dict[Kind, Frequency]:
        return {kind: Frequency(self[field_name(kind)].data) for kind in self.kinds}


def _field(kind: Kind) -> RadioField:
    return RadioField(
        kind.label,
        choices=[(frequency.value, frequency.label) for frequency in kind.choices],
        validators=[InputRequired(f"Choose how you get email about {kind.label.lower()}")],
    )


@cache
def _form_class(kinds: tuple[Kind, ...]) -> type[ChoicesForm]:
    fields = {field_name(kind): _field(kind) for kind in kinds}
    return type("ChoicesForm", (ChoicesForm,), {"kinds": kinds, **fields})


def choices_form(
    kinds: tuple[Kind, ...] = CHOOSABLE_KINDS, current: dict[Kind, Frequency] | None = None
) -> ChoicesForm:
    """A form asking about ``kinds``, showing ``current`` (when not reading a POST)."""
    data = {field_name(kind): frequency.value for kind, frequency in (current or {}).items()}
    form: ChoicesForm = _form_class(kinds)(data=data or None)
    return form
