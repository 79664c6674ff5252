"""WTForms filters and checks shared by every domain's forms.

``install`` adds the control-character check to every text field of every form, once, through
WTForms' documented ``Meta.bind_field`` hook on FlaskForm, so no domain's form can forget it.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, Form, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.meta import DefaultMeta
from wtforms.validators import ValidationError

# Multi-line text keeps its line breaks and tabs; nothing else below U+0020 is ever meant.
MULTI_LINE_ALLOWED = frozenset("\t\n\r")
LINE_BREAKS = frozenset("\r\n\x0b\x0c\x85\u2028\u2029")


def strip_whitespace(value: Any) -> Any:
    """Leading and trailing spaces are never meant: "  Hill Surgery " is "Hill Surgery"."""
    return value.strip() if isinstance(value, str) else value


def _is_control(character: str) -> bool:
    # Cc: C0 and C1 controls and DEL; Zl/Zp: the Unicode line and paragraph separators.
    return unicodedata.category(character) in ("Cc", "Zl", "Zp")


def control_character_problem(value: str, *, multi_line: bool) -> str | None:
    """Why a typed value cannot be kept, or None when it can."""
    for character in value:
        if multi_line and character in MULTI_LINE_ALLOWED:
            continue
        if _is_control(character):
            if character in LINE_BREAKS:
                return "must be on one line"
            return "must not contain control characters"
    return None


def refuse_control_characters(form: Form, field: Field) -> None:
    if not isinstance(field.data, str):
        return
    problem = control_character_problem(field.data, multi_line=isinstance(field, TextAreaField))
    if problem:
        raise ValidationError(f"{field.label.text} {problem}")


def _checks_text(field: Field) -> bool:
    # Hidden fields carry the portal's own values (the view checks them); passwords are
    # compared, never shown or stored as typed.
    return isinstance(field, StringField) and not isinstance(field, HiddenField | PasswordField)


def _bind_field(meta: DefaultMeta, form: Form, unbound_field: Any, options: dict) -> Field:
    field = DefaultMeta.bind_field(meta, form, unbound_field, options)
    if _checks_text(field):
        field.validators = [*field.validators, refuse_control_characters]
    return field


def install() -> None:
    """Every FlaskForm's text fields refuse control characters from now on (idempotent)."""
    FlaskForm.Meta.bind_field = _bind_field
