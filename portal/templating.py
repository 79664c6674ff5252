"""What templates need: NHS.UK macro parameters from WTForms fields, dates in London time,
numbers with separators, the CSP nonce and the navigation for the signed-in user."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, g, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.fields import BooleanField, RadioField, SelectField, SelectMultipleField

from portal.database import utcnow
from portal.http import csp_nonce
from portal.markdown import render_markdown
from portal.names import display_name
from portal.timewords import moment_in_words

LONDON = ZoneInfo("Europe/London")


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


def london_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    return f"{local.day} {local:%B %Y} at {local:%H:%M}"


def long_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(LONDON).date()
    return f"{value.day} {value:%B %Y}"


def in_words(value: datetime, future_verb: str = "closes", past_verb: str = "closed") -> str:
    """ "closes tomorrow at 17:00", seen from now (portal/timewords.py has the rules)."""
    return moment_in_words(value, utcnow(), future_verb=future_verb, past_verb=past_verb)


def thousands(value: int | Decimal | float | None) -> str:
    if value is None:
        return "not known"
    if isinstance(value, Decimal) and value != value.to_integral_value():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def navigation() -> list[dict[str, Any]]:
    """Header links for the signed-in user in the current area, by what they may see."""
    from portal.elections.permissions import can_see_elections
    from portal.meetings import permissions as meetings_permissions
    from portal.needs.permissions import visible_channels
    from portal.organisations import permissions as organisation_permissions
    from portal.organisations.permissions import is_group_member
    from portal.trust import permissions as trust_permissions
    from portal.voting.permissions import can_see_votes

    area = g.get("area")
    if not current_user.is_authenticated or area is None:
        return []
    items = [
        {"text": "Overview", "href": url_for("organisations.area_home", area_slug=area.slug)},
        {"text": "Practices", "href": url_for("organisations.practices", area_slug=area.slug)},
        {"text": "PCNs", "href": url_for("organisations.pcns", area_slug=area.slug)},
    ]
    if is_group_member(current_user, area):
        items.append(
            {"text": "Proposals", "href": url_for("positions.proposals", area_slug=area.slug)}
        )
        items.append(
            {"text": "Positions", "href": url_for("positions.positions", area_slug=area.slug)}
        )
    if can_see_votes(current_user, area):
        items.append({"text": "Votes", "href": url_for("voting.index", area_slug=area.slug)})
    if can_see_elections(current_user, area):
        items.append({"text": "Elections", "href": url_for("elections.index", area_slug=area.slug)})
    if visible_channels(current_user, area):
        items.append({"text": "Needs", "href": url_for("needs.index", area_slug=area.slug)})
    items.append({"text": "Statements", "href": url_for("statements.index")})
    if meetings_permissions.can_see_meetings(current_user, area):
        items.append({"text": "Meetings", "href": url_for("meetings.index", area_slug=area.slug)})
    if trust_permissions.can_see_trust(current_user, area):
        items.append({"text": "Trust", "href": url_for("trust.index", area_slug=area.slug)})
    items.append({"text": "Search", "href": url_for("search.search", area_slug=area.slug)})
    if organisation_permissions.can_administer_area(current_user, area):
        items.append({"text": "Members", "href": url_for("admin.members", area_slug=area.slug)})
        items.append({"text": "Audit log", "href": url_for("audit.log", area_slug=area.slug)})
        items.append({"text": "Outbox", "href": url_for("outbox.outbox", area_slug=area.slug)})
    return items


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
    )
