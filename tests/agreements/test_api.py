"""The agreements API, every response validated against the API's OpenAPI document."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from portal.agreements import oversight, signing
from portal.agreements.models import RagStatus
from portal.database import utcnow
from portal.extensions import db
from tests.agreements.conftest import make_agreement, sign
from tests.statements.test_api import check


@pytest.fixture
def openapi(client) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_document_names_the_agreement_paths_and_stays_valid(openapi):
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation import OpenAPIV31SpecValidator

    validate(openapi, cls=OpenAPIV31SpecValidator)
    assert {"/agreements", "/agreements/{agreement_id}", "/statements"} <= set(openapi["paths"])
    assert {"Agreement", "AgreementList", "Statement"} <= set(openapi["components"]["schemas"])


def test_an_agreement_and_the_list_validate(client, login, world, openapi):
    agreement = make_agreement(world, starts_on=date(2026, 1, 5))
    sign(world, agreement, world.hill_partner, world.hill, date(2026, 1, 5))
    sign(world, agreement, world.brook_partner, world.brook, date(2026, 2, 1))
    signing.give_notice(
        world.brook_partner, agreement, world.brook, "", today=date(2026, 3, 1), now=utcnow()
    )
    oversight.post_report(world.director, agreement, RagStatus.GREEN, "On time", "", utcnow())
    db.session.commit()
    login(world.vale_partner)
    body = check(
        openapi,
        client.get(f"/api/v1/agreements/{agreement.id}?on=2026-02-01"),
        "/agreements/{agreement_id}",
    )
    assert body["procedure"]["number"] == 1
    assert body["on"] == "2026-02-01"
    assert [(p["name"], p["share_percent"]) for p in body["practices"]] == [
        ("Hill Surgery", "85.7"),
        ("Brook Medical Centre", "14.3"),
    ]
    # Its own minimum term, from the day it joined, outlasts its notice.
    assert body["practices"][1]["leaves_on"] == "2027-02-01"
    assert body["patients_covered"] == 7000
    assert body["latest_report"]["status"] == "green"
    listing = check(openapi, client.get("/api/v1/agreements"), "/agreements")
    assert listing["total"] == 1
    assert check(openapi, client.get("/api/v1/agreements?area=nowhere"), "/agreements") == {
        "items": [],
        "total": 0,
    }


def test_errors_are_problem_details(client, login, world, openapi):
    agreement = make_agreement(world)
    check(openapi, client.get(f"/api/v1/agreements/{agreement.id}"), "/agreements/{agreement_id}")
    login(world.hill_partner)
    bad = client.get(f"/api/v1/agreements/{agreement.id}?on=tomorrow")
    assert bad.status_code == 400
    check(openapi, bad, "/agreements/{agreement_id}")
    check(openapi, client.get("/api/v1/agreements?on=2026-13-01"), "/agreements")
    check(openapi, client.get("/api/v1/agreements/999999"), "/agreements/{agreement_id}")


def test_the_agreements_api_has_the_api_rate_limit(app):
    from portal.ratelimits import API, limit_for

    assert limit_for(app, "agreements_api.agreements") is API
    assert limit_for(app, "agreements_api.agreement") is API
    assert limit_for(app, "agreements.agreement") is None
