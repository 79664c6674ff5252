"""What templates need: NHS.UK macro parameters from WTForms fields, dates in London time
(from ``portal.times``), numbers with separators, shares as ``portal.figures`` writes them, the
CSP nonce and the header's navigation (from ``portal.navigation``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from flask import Flask
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.fields import BooleanField, RadioField, SelectField, SelectMultipleField

from portal.database import utcnow
from portal.figures import percent
from portal.http import csp_nonce
from portal.markdown import render_markdown
from portal.names import display_name
from portal.navigation import navigation
from portal.times import london_datetime, long_date
from portal.timewords import moment_in_words


def field_params(field: Field, **extra: Any) -> dict[str, Any]:
    """Parameters for an NHS.UK form macro, built from a WTForms field.

    ``hint`` and ``label_classes`` are taken from ``extra``; everything else in ``extra`` is
    passed through to the macro unchanged (``type``, ``autocomplete``, ``classes`` ...).
    """
    hint = extra.pop("hint", None) or field.description or None
    label_classes = extra.pop("label_classes", "nhsuk-label--s")
    params: dict[str, Any] = {"id": field.id, "name": field.name}
    if field.errors:
        params["errorMessage"] = {"text": field.errors[0]}
    if hint:
        params["hint"] = {"text": hint}
    if isinstance(field, RadioField | SelectMultipleField) or field.type == "MultiCheckboxField":
        chosen = field.data if isinstance(field.data, list) else [field.data]
        chosen_values = {str(value) for value in chosen if value is not None}
        params["items"] = [
            {"value": value, "text": label, "checked": str(value) in chosen_values}
            for value, label in _choices(field)
        ]
        params["fieldset"] = {
            "legend": {"text": field.label.text, "classes": "nhsuk-fieldset__legend--s"}
        }
        # The macros would put an id on the wrapper as well as on the first input; idPrefix
        # alone names the inputs, the first being the field's id (the error summary's target).
        del params["id"]
        params["idPrefix"] = field.id
    elif isinstance(field, SelectField):
        params["label"] = {"text": field.label.text, "classes": label_classes}
        params["items"] = [
            {"value": value, "text": label, "selected": str(value) == str(field.data)}
            for value, label in _choices(field)
        ]
    elif isinstance(field, BooleanField):
        params["items"] = [{"value": "y", "text": field.label.text, "checked": bool(field.data)}]
        del params["id"]
        params["idPrefix"] = field.id
    else:
        params["label"] = {"text": field.label.text, "classes": label_classes}
        if field.type != "PasswordField":
            params["value"] = field._value()
    params.update(extra)
    return params


def _choices(field: Any) -> list[tuple[Any, str]]:
    return [(value, label) for value, label, *_ in field.iter_choices()]


def form_error_list(form: FlaskForm) -> list[dict[str, str]]:
    """The error summary's list: one link per field error, CSRF errors left out."""
    errors = []
    for field in form:
        if field.name == "csrf_token" or not field.errors:
            continue
        errors.append({"text": field.errors[0], "href": f"#{field.id}"})
    for message in getattr(form, "form_errors", []):
        errors.append({"text": message, "href": "#maincontent"})
    return errors


def in_words(value: datetime, future_verb: str = "closes", past_verb: str = "closed") -> str:
    """ "closes tomorrow at 17:00", seen from now (portal/timewords.py has the rules)."""
    return moment_in_words(value, utcnow(), future_verb=future_verb, past_verb=past_verb)


def thousands(value: int | Decimal | float | None) -> str:
    if value is None:
        return "not known"
    if isinstance(value, Decimal) and value != value.to_integral_value():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def sentence_start(text: str) -> str:
    """``text`` with a capital first letter and the rest as it is ("on Sunday" is "On Sunday")."""
    return text[:1].upper() + text[1:]


def percent_of(part: int, whole: int, decimals: int = 1) -> str:
    """``part`` of ``whole`` for people, as ``portal.figures`` writes a share: exactly, one
    decimal (``3 | percent_of(8)`` is "37.5 %")."""
    return percent(Fraction(part, whole), decimals)


def share_percent(share: Fraction | Decimal) -> str:
    """A share (0 to 1) for people, as ``portal.figures`` writes it."""
    return percent(Fraction(share))


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        field_params=field_params,
        form_error_list=form_error_list,
        csp_nonce=csp_nonce,
        navigation=navigation,
    )
    app.jinja_env.filters.update(
        london_datetime=london_datetime,
        long_date=long_date,
        thousands=thousands,
        markdown=render_markdown,
        display_name=display_name,
        in_words=in_words,
        percent_of=percent_of,
        sentence_start=sentence_start,
        percent=share_percent,
    )
