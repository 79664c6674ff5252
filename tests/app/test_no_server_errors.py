"""No input gives a 500: every route in Flask's URL map, asked with odd ids, long ids, CR/LF
and unicode, by a visitor and by each role of the demo area, GET and (with a valid CSRF token)
POST, answers below 500. Also the checks that make it so: one-line fields, ``next=`` and ids."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from werkzeug.routing import AnyConverter, IntegerConverter, Rule
from wtforms.fields.core import UnboundField

from portal.accounts.models import User
from portal.accounts.passwords import hash_password
from portal.demo.loader import DEMO_AREA_SLUG, DEMO_PASSWORD, load_demo_area
from portal.extensions import db as database
from tests.conftest import csrf_token_from, sign_in_with_form

LONG_ID = "9" * 20
# Path values, as typed into the address bar (percent-encoded where a URL needs it).
PATH_VARIANTS = {
    "odd id": "0",
    "long id": LONG_ID,
    "cr/lf": quote("a\r\nSet-Cookie: x=1", safe=""),
    "unicode": quote("ünïcødé ✓ 😀", safe=""),
}
# The same kinds of value for every field of every form and for common query parameters.
FORM_VARIANTS = {
    "odd id": "-1",
    "long id": LONG_ID,
    "cr/lf": "a\r\nBcc: someone@example.org",
    "unicode": "ünïcødé ✓ 😀 \x00 \u2028",
}
QUERY_PARAMETERS = (
    "next",
    "page",
    "per_page",
    "q",
    "code",
    "pcn",
    "sort",
    "tier",
    "area",
    "to",
    "from",
    "kind",
)
DEMO_PEOPLE = {
    "visitor": None,
    "area_admin": "admin@staffs-demo.example.org",
    "lmc_officer": "lmc.officer@staffs-demo.example.org",
    "gp_partner": "partner.horsefair@staffs-demo.example.org",
    "practice_manager": "manager.horsefair@staffs-demo.example.org",
    "pcn_clinical_director": "cd.southstoke@staffs-demo.example.org",
    "federation_director": "federation@staffs-demo.example.org",
    "ics_reader": "ics.reader@staffs-demo.example.org",
}
# Signing out would end the walk's own session.
NOT_WALKED = frozenset({"accounts.logout", "static", "main.assets"})


def _form_field_names() -> set[str]:
    names: set[str] = set()
    pending = list(FlaskForm.__subclasses__())
    while pending:
        form_class = pending.pop()
        pending.extend(form_class.__subclasses__())
        for klass in form_class.__mro__:
            names.update(k for k, v in vars(klass).items() if isinstance(v, UnboundField))
    return names - {"csrf_token"}


def _path(rule: Rule, variant: str) -> str:
    """The rule's path with each argument replaced by the variant (the area by the demo's)."""
    path = ""
    # werkzeug keeps a rule's parsed parts in _trace and its converters in _converters.
    for is_argument, text in rule._trace:
        if not is_argument:
            path += text
            continue
        converter = rule._converters[text]
        if text == "area_slug":
            path += DEMO_AREA_SLUG
        elif isinstance(converter, AnyConverter):
            path += next(iter(converter.items))
        elif isinstance(converter, IntegerConverter):
            path += {"odd id": "0", "long id": LONG_ID}.get(variant, "1")
        else:
            path += PATH_VARIANTS[variant]
    return path.split("|", 1)[-1]


def _sign_in(client, email: str) -> None:
    # The password, then a code for the officer and the administrator.
    response = sign_in_with_form(client, email, DEMO_PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert "/accounts/login" not in response.headers["Location"]


def _restore_demo_password(email: str) -> None:
    user = database.session.execute(sa.select(User).where(User.email == email)).scalar_one()
    user.password_hash = hash_password(DEMO_PASSWORD)
    database.session.commit()


@pytest.fixture
def demo(db) -> None:
    load_demo_area()
    db.session.commit()


@pytest.mark.parametrize("person", list(DEMO_PEOPLE))
def test_every_route_answers_odd_input_without_a_server_error(
    app, client, demo, person, monkeypatch
):
    # A failure is answered 500 and listed, rather than stopping the walk at the first.
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    email = DEMO_PEOPLE[person]
    if email:
        _sign_in(client, email)
    token = None if email else csrf_token_from(client.get("/accounts/login").get_data(as_text=True))
    fields = _form_field_names()
    failures: list[str] = []
    walked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_WALKED:
            continue
        for variant, value in FORM_VARIANTS.items():
            path = _path(rule, variant)
            query = "&".join(f"{name}={quote(value, safe='')}" for name in QUERY_PARAMETERS)
            if "GET" in rule.methods:
                response = client.get(f"{path}?{query}")
                walked += 1
                if response.status_code >= 500:
                    failures.append(f"GET {path}?{query} -> {response.status_code}")
            if "POST" in rule.methods:
                token = token or _csrf_token_for(client)
                data: dict[str, Any] = dict.fromkeys(fields, value)
                data["csrf_token"] = token
                response = client.post(path, data=data)
                walked += 1
                if response.status_code >= 500:
                    failures.append(f"POST {path} ({variant}) -> {response.status_code}")
        if email and client.get("/accounts/profile").status_code != 200:
            # A POST above ended the session: a password change (to the odd value, which the
            # walk was entitled to make) or signing out everywhere.
            _restore_demo_password(email)
            _sign_in(client, email)
            token = None
    assert walked > 300
    assert failures == []


def _csrf_token_for(client) -> str:
    return csrf_token_from(client.get("/accounts/profile").get_data(as_text=True))
