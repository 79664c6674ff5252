"""The JSON API, every response of it validated against the API's own OpenAPI document."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from portal.statements import services
from portal.statements.models import SignatoryChoice
from portal.statements.openapi import document
from portal.tiers import Tier
from tests.statements.helpers import add_proposal, decided_vote, publish_statement

DOCUMENT_URI = "urn:gp-collective-voice:statements-openapi"
LINK = re.compile(r'<([^>]+)>; rel="(\w+)"')


@pytest.fixture
def openapi(client) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def check(openapi: dict[str, Any], response: Any, path: str) -> Any:
    """Validate ``response`` against what the document says ``GET path`` answers."""
    declared = openapi["paths"][path]["get"]["responses"]
    assert str(response.status_code) in declared, f"{path} does not declare {response.status_code}"
    content = declared[str(response.status_code)]["content"]
    assert response.mimetype in content, f"{path} {response.status_code}: {response.mimetype}"
    registry = Registry().with_resource(
        DOCUMENT_URI, Resource.from_contents(openapi, default_specification=DRAFT202012)
    )
    schema = content[response.mimetype]["schema"]
    if "$ref" in schema:
        schema = {"$ref": f"{DOCUMENT_URI}{schema['$ref']}"}
    validator = Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())
    body = response.get_json()
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    return body


def test_the_document_is_valid_openapi_3_1(openapi):
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation import OpenAPIV31SpecValidator

    assert openapi["openapi"] == "3.1.0"
    validate(openapi, cls=OpenAPIV31SpecValidator)
    assert set(openapi["components"]["schemas"]) >= {"Statement", "StatementList", "Error"}
    assert openapi["servers"] == [{"url": "/api/v1"}]
    assert openapi["components"]["securitySchemes"]["session"]["name"] == "gpcv_session"
    # Every schema is itself valid JSON Schema 2020-12.
    for schema in openapi["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    assert openapi == document(server_url="/api/v1", session_cookie="gpcv_session")


def test_the_document_describes_itself(client, openapi):
    check(openapi, client.get("/api/v1/openapi.json"), "/openapi.json")


def test_a_statement(client, db, setting, openapi):
    vote = decided_vote(setting)
    proposal = add_proposal(setting)
    statement = publish_statement(
        setting, vote, signatories=SignatoryChoice.VOTED_FOR, proposal=proposal, tier=Tier.PUBLIC
    )
    services.record_response(setting.ics_reader, statement, "We *agreed*.", datetime.now(UTC))
    db.session.commit()
    body = check(
        openapi, client.get(f"/api/v1/statements/{statement.reference}"), "/statements/{reference}"
    )
    assert body["reference"] == statement.reference
    assert body["url"] == f"http://localhost/statements/{statement.reference}"
    assert body["pdf_url"] == f"http://localhost/statements/{statement.reference}.pdf"
    assert (body["status"], body["tier"], body["signatories_choice"]) == (
        "published",
        "public",
        "voted_for",
    )
    assert body["proposal"] == {
        "title": proposal.title,
        "ics_reference": "ICB-EA-07",
        "owning_body": "Test ICB primary care committee",
    }
    assert [s["ods_code"] for s in body["signatories"]] == ["A10004", "A10002", "A10001"]
    assert body["provenance"] == statement.provenance
    assert "<strong>one hub</strong>" in body["body_html"]
    assert body["responses"][0]["body_html"] == "<p>We <em>agreed</em>.</p>"
    assert body["area"] == {"slug": "north-staffs", "name": "North Staffordshire"}


def test_unknown_and_unreadable_statements_are_404_problems(client, db, setting, openapi):
    hidden = publish_statement(setting, tier=Tier.ICS)
    for reference in (hidden.reference, "GPV-2026-999", "nonsense"):
        response = client.get(f"/api/v1/statements/{reference}")
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"
        body = check(openapi, response, "/statements/{reference}")
        assert body["status"] == 404
        assert hidden.title not in response.get_data(as_text=True)


def test_pages_follow_next_links_to_the_end(client, db, setting, openapi):
    vote = decided_vote(setting)
    statements = [
        publish_statement(
            setting, vote, now=datetime(2026, 1, day, tzinfo=UTC), title=f"Number {day}"
        )
        for day in range(1, 6)
    ]
    newest_first = [s.reference for s in reversed(statements)]
    seen: list[str] = []
    url = "/api/v1/statements?per_page=2"
    pages = 0
    while url:
        response = client.get(url)
        body = check(openapi, response, "/statements")
        links = {rel: href for href, rel in LINK.findall(response.headers["Link"])}
        assert links.get("next") == body["next"]
        assert links["self"] == body["self"]
        assert body["total"] == 5
        assert body["pages"] == 3
        seen.extend(item["reference"] for item in body["items"])
        pages += 1
        url = body["next"]
        if url:
            url = url.removeprefix("http://localhost")
    assert pages == 3
    assert seen == newest_first
    last = check(openapi, client.get("/api/v1/statements?per_page=2&page=3"), "/statements")
    assert (last["next"], last["prev"]) == (
        None,
        "http://localhost/api/v1/statements?page=2&per_page=2",
    )
    beyond = check(openapi, client.get("/api/v1/statements?per_page=2&page=9"), "/statements")
    assert beyond["items"] == []
    assert beyond["next"] is None


def test_per_page_goes_up_to_100(client, db, setting, openapi):
    publish_statement(setting)
    body = check(openapi, client.get("/api/v1/statements?per_page=100"), "/statements")
    assert body["per_page"] == 100
    empty = check(openapi, client.get("/api/v1/statements"), "/statements")
    assert empty["per_page"] == 20


@pytest.mark.parametrize(
    "query",
    [
        "per_page=101",
        "per_page=0",
        "page=0",
        "page=two",
        "page=-1",
        "from=03/03/2026",
        "to=2026-13-01",
        "from=2026-05-01&to=2026-04-01",
        "status=draft",
        "proposal=abc",
    ],
)
def test_bad_parameters_are_400_problems(client, db, openapi, query):
    response = client.get(f"/api/v1/statements?{query}")
    assert response.status_code == 400
    body = check(openapi, response, "/statements")
    assert body["title"] == "Bad Request"


def test_filters(client, db, setting, openapi):
    vote = decided_vote(setting)
    proposal = add_proposal(setting)
    march = publish_statement(
        setting,
        vote,
        now=datetime(2026, 3, 3, 9, tzinfo=UTC),
        title="Hubs in March",
        proposal=proposal,
    )
    june = publish_statement(
        setting,
        vote,
        now=datetime(2026, 6, 3, 9, tzinfo=UTC),
        title="Estates",
        body="New premises.",
    )
    services.withdraw(setting.officer, june, "Superseded by events", datetime.now(UTC))
    db.session.commit()

    def references(query: str) -> list[str]:
        body = check(openapi, client.get(f"/api/v1/statements?{query}"), "/statements")
        return [item["reference"] for item in body["items"]]

    assert references("q=hubs") == [march.reference]
    assert references("q=HUB") == [march.reference]
    assert references("q=%25") == []  # a literal percent sign, not a wildcard
    assert references(f"proposal={proposal.id}") == [march.reference]
    assert references("from=2026-03-04") == [june.reference]
    assert references("to=2026-03-03") == [march.reference]
    assert references("from=2026-03-03&to=2026-03-03") == [march.reference]
    assert references("status=withdrawn") == [june.reference]
    assert references("status=published") == [march.reference]
    assert references("area=north-staffs") == [june.reference, march.reference]
    assert references("area=nowhere") == []


def test_a_successor_is_named_only_to_those_who_may_read_it(client, login, db, setting, openapi):
    vote = decided_vote(setting)
    old = publish_statement(setting, vote, tier=Tier.PUBLIC, now=datetime(2026, 3, 3, tzinfo=UTC))
    new = publish_statement(setting, vote, tier=Tier.GROUP, now=datetime(2026, 4, 3, tzinfo=UTC))
    services.supersede(setting.officer, old, new, "Updated", datetime(2026, 4, 4, tzinfo=UTC))
    db.session.commit()
    anonymous = check(
        openapi, client.get(f"/api/v1/statements/{old.reference}"), "/statements/{reference}"
    )
    assert (anonymous["status"], anonymous["superseded_by"]) == ("superseded", None)
    login(setting.partners[0])
    member = check(
        openapi, client.get(f"/api/v1/statements/{old.reference}"), "/statements/{reference}"
    )
    assert member["superseded_by"] == new.reference


def test_the_api_changes_nothing(client, db, setting):
    statement = publish_statement(setting)
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)(f"/api/v1/statements/{statement.reference}")
        assert response.status_code == 405
