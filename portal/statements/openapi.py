"""The OpenAPI 3.1 description of the statements API, written by hand.

The schemas are JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) and the tests validate
every response of the API against them, so the document cannot drift from what is served.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from flask import current_app, has_app_context

from portal.statements.models import SignatoryChoice, StatementSource

MAX_PER_PAGE = 100
REFERENCE_PATTERN = "^GPV-[0-9]{4}-[0-9]{3,}$"
SESSION_COOKIE = "gpcv_session"


def register_part(
    app: Any, paths: Callable[[], dict[str, Any]], schemas: Mapping[str, Any]
) -> None:
    """Add another domain's API (its paths and schemas) to the one document. Domains above
    statements register themselves, so this module never imports them."""
    app.extensions.setdefault("openapi_parts", []).append((paths, schemas))


def _parts() -> list[tuple[Callable[[], dict[str, Any]], Mapping[str, Any]]]:
    return list(current_app.extensions.get("openapi_parts", [])) if has_app_context() else []


def _part_schemas() -> dict[str, Any]:
    return {name: schema for _, schemas in _parts() for name, schema in schemas.items()}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def schema_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


URI = {"type": "string", "format": "uri"}
DATE_TIME = {"type": "string", "format": "date-time"}

SCHEMAS: dict[str, Any] = {
    "Statement": {
        "type": "object",
        "description": (
            "A published statement of a GP leadership group. It is never edited: a statement "
            "that no longer stands is superseded or withdrawn, and stays readable."
        ),
        "additionalProperties": False,
        "required": [
            "reference",
            "url",
            "pdf_url",
            "title",
            "status",
            "tier",
            "area",
            "published_at",
            "ended_at",
            "end_reason",
            "superseded_by",
            "proposal",
            "source",
            "election",
            "signatories_choice",
            "signatories",
            "body_markdown",
            "body_html",
            "provenance",
            "responses",
        ],
        "properties": {
            "reference": {
                "type": "string",
                "pattern": REFERENCE_PATTERN,
                "description": "Permanent reference: year of publication and a number.",
                "examples": ["GPV-2026-014"],
            },
            "url": {**URI, "description": "The statement's permanent page."},
            "pdf_url": {**URI, "description": "The statement as a PDF letter."},
            "title": {"type": "string", "minLength": 1, "maxLength": 200},
            "status": {"enum": ["published", "superseded", "withdrawn"]},
            "tier": {
                "enum": ["public", "ics", "group", "lmc"],
                "description": "Who may read it: anyone, ICS readers, the group, LMC officers.",
            },
            "area": schema_ref("Area"),
            "published_at": DATE_TIME,
            "ended_at": nullable(DATE_TIME),
            "end_reason": {
                "type": ["string", "null"],
                "description": "Why it was withdrawn, or what replaced it.",
            },
            "superseded_by": {
                "type": ["string", "null"],
                "pattern": REFERENCE_PATTERN,
                "description": "The replacing statement, when it is one you may read.",
            },
            "proposal": nullable(schema_ref("Proposal")),
            "source": {
                "enum": [source.value for source in StatementSource],
                "description": "What it publishes: a position the group agreed in a vote "
                "(position), or an election's result (election).",
            },
            "election": {
                **nullable(schema_ref("ElectionResult")),
                "description": "The election's result, for a statement of one; else null.",
            },
            "signatories_choice": {
                "enum": [*(choice.value for choice in SignatoryChoice), None],
                "description": "Who signs: every organisation that voted for it "
                "(voted_for), some of them chosen by the officers (chosen), or only "
                "organisations that endorsed it after publication (endorsers, the only choice "
                "for a secret ballot). Never an organisation that did not vote for it. Null "
                "for an election's result, which is declared, not signed.",
            },
            "signatories": {"type": "array", "items": schema_ref("Signatory")},
            "body_markdown": {"type": "string"},
            "body_html": {
                "type": "string",
                "description": "The body rendered from Markdown and sanitised.",
            },
            "provenance": {
                "type": "string",
                "description": "The vote's result in one sentence, as on every other surface: "
                "for, against and abstained by organisations and share of the whole weight, "
                "turnout and quorum (for a secret ballot, what was withheld). For an "
                "election: who was elected to how many seats, the method, the quota and the "
                "turnout.",
            },
            "responses": {"type": "array", "items": schema_ref("IcsResponse")},
        },
    },
    "StatementList": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "items",
            "page",
            "per_page",
            "total",
            "pages",
            "self",
            "first",
            "last",
            "next",
            "prev",
        ],
        "properties": {
            "items": {"type": "array", "items": schema_ref("Statement"), "maxItems": MAX_PER_PAGE},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "total": {"type": "integer", "minimum": 0},
            "pages": {"type": "integer", "minimum": 1},
            "self": URI,
            "first": URI,
            "last": URI,
            "next": {**nullable(URI), "description": "The next page, or null on the last."},
            "prev": {**nullable(URI), "description": "The previous page, or null on the first."},
        },
    },
    "Error": {
        "type": "object",
        "description": "Problem details (RFC 9457).",
        "additionalProperties": False,
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
        },
    },
    "Area": {
        "type": "object",
        "additionalProperties": False,
        "required": ["slug", "name"],
        "properties": {"slug": {"type": "string"}, "name": {"type": "string"}},
    },
    "Proposal": {
        "type": "object",
        "description": "The ICS proposal the statement answers.",
        "additionalProperties": False,
        "required": ["title", "ics_reference", "owning_body"],
        "properties": {
            "title": {"type": "string"},
            "ics_reference": {"type": ["string", "null"]},
            "owning_body": {"type": "string"},
        },
    },
    "Signatory": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "kind", "ods_code"],
        "properties": {
            "name": {"type": "string"},
            "kind": {"enum": ["practice", "pcn", "federation", "lmc"]},
            "ods_code": {"type": "string"},
        },
    },
    "ElectionResult": {
        "type": "object",
        "description": "An election's result as the statement published it, count sheet "
        "included; the figures are those of the count when it was published.",
        "additionalProperties": False,
        "required": [
            "title",
            "seats",
            "method",
            "method_label",
            "electorate",
            "secret",
            "decided_at",
            "unopposed",
            "elected",
            "withdrawn",
            "quota",
            "valid_votes",
            "turnout",
            "seed",
            "count_sheet_url",
            "stages",
        ],
        "properties": {
            "title": {"type": "string"},
            "seats": {"type": "integer", "minimum": 1},
            "method": {
                "enum": ["scottish", "meek"],
                "description": "Single transferable vote: Scottish STV (the Scottish Local "
                "Government Elections Order 2007) or Meek STV.",
            },
            "method_label": {"type": "string"},
            "electorate": {"type": "string", "description": "Who could vote, in words."},
            "secret": {"type": "boolean"},
            "decided_at": DATE_TIME,
            "unopposed": {
                "type": "boolean",
                "description": "No more candidates than seats: no ballot was held.",
            },
            "elected": {
                "type": "array",
                "items": {"type": "string"},
                "description": "In the order of election.",
            },
            "withdrawn": {"type": "array", "items": {"type": "string"}},
            "quota": {
                "type": ["string", "null"],
                "description": "The Droop quota (Meek: at the last stage); null if unopposed.",
            },
            "valid_votes": {"type": ["integer", "null"], "minimum": 0},
            "turnout": schema_ref("ElectionTurnout"),
            "seed": {
                "type": ["string", "null"],
                "description": "The seed of any lot the count drew, so anyone can recount.",
            },
            "count_sheet_url": {
                **nullable(URI),
                "description": "The count sheet on the statement page; null if unopposed.",
            },
            "stages": {"type": "array", "items": schema_ref("CountStage")},
        },
    },
    "ElectionTurnout": {
        "type": "object",
        "additionalProperties": False,
        "required": ["ballots", "electors", "weight_cast", "weight_total"],
        "properties": {
            "ballots": {"type": "integer", "minimum": 0},
            "electors": {"type": "integer", "minimum": 0},
            "weight_cast": {"type": "integer", "minimum": 0},
            "weight_total": {"type": "integer", "minimum": 0},
        },
    },
    "CountStage": {
        "type": "object",
        "description": "One stage of the count; votes are decimal strings, exactly as counted.",
        "additionalProperties": False,
        "required": [
            "stage",
            "action",
            "candidate",
            "votes",
            "changes",
            "non_transferable",
            "elected",
            "excluded",
            "notes",
        ],
        "properties": {
            "stage": {"type": "integer", "minimum": 1},
            "action": {"type": "string"},
            "candidate": {"type": ["string", "null"]},
            "votes": {"type": "object", "additionalProperties": {"type": "string"}},
            "changes": {"type": "object", "additionalProperties": {"type": "string"}},
            "non_transferable": {"type": "string"},
            "elected": {"type": "array", "items": {"type": "string"}},
            "excluded": {"type": "array", "items": {"type": "string"}},
            "notes": {"type": "array", "items": {"type": "string"}},
            "quota": {"type": "string", "description": "Meek STV: the quota at this stage."},
        },
    },
    "IcsResponse": {
        "type": "object",
        "description": 'What the ICS did in answer ("you said, we did").',
        "additionalProperties": False,
        "required": ["body_markdown", "body_html", "recorded_at"],
        "properties": {
            "body_markdown": {"type": "string"},
            "body_html": {"type": "string"},
            "recorded_at": DATE_TIME,
        },
    },
}


def query_parameter(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


def json_content(
    schema: str, description: str, media_type: str = "application/json"
) -> dict[str, Any]:
    return {"description": description, "content": {media_type: {"schema": schema_ref(schema)}}}


PROBLEM = "application/problem+json"


def _paths() -> dict[str, Any]:
    return {
        "/statements": {
            "get": {
                "operationId": "listStatements",
                "summary": "Statements you may read, newest first, a page at a time",
                "parameters": [
                    query_parameter(
                        "q", "Words in the title or body (any case).", {"type": "string"}
                    ),
                    query_parameter(
                        "proposal",
                        "Only statements answering this proposal (its number).",
                        {"type": "integer", "minimum": 1},
                    ),
                    query_parameter(
                        "from",
                        "Published on or after this day (London time).",
                        {"type": "string", "format": "date"},
                    ),
                    query_parameter(
                        "to",
                        "Published on or before this day (London time).",
                        {"type": "string", "format": "date"},
                    ),
                    query_parameter(
                        "status",
                        "Only statements in this state.",
                        {"enum": ["published", "superseded", "withdrawn"]},
                    ),
                    query_parameter(
                        "area", "Only statements of this area (its slug).", {"type": "string"}
                    ),
                    query_parameter(
                        "page", "Page number.", {"type": "integer", "minimum": 1, "default": 1}
                    ),
                    query_parameter(
                        "per_page",
                        "Statements per page.",
                        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 20},
                    ),
                ],
                "responses": {
                    "200": {
                        **json_content("StatementList", "A page of statements."),
                        "headers": {
                            "Link": {
                                "description": 'Links to other pages (RFC 8288): rel="next", '
                                '"prev", "first", "last" and "self".',
                                "schema": {"type": "string"},
                            }
                        },
                    },
                    "400": json_content("Error", "A query parameter is not valid.", PROBLEM),
                },
            }
        },
        "/statements/{reference}": {
            "get": {
                "operationId": "getStatement",
                "summary": "One statement",
                "parameters": [
                    {
                        "name": "reference",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": REFERENCE_PATTERN},
                    }
                ],
                "responses": {
                    "200": json_content("Statement", "The statement."),
                    "404": json_content(
                        "Error", "No such statement, or not one you may read.", PROBLEM
                    ),
                },
            }
        },
        **{path: item for paths, _ in _parts() for path, item in paths().items()},
        "/openapi.json": {
            "get": {
                "operationId": "getOpenApiDocument",
                "summary": "This document",
                "responses": {
                    "200": {
                        "description": "The OpenAPI 3.1 document of this API.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }


def document(server_url: str = "/api/v1", session_cookie: str = SESSION_COOKIE) -> dict[str, Any]:
    """The OpenAPI 3.1 document, with the API's base address as its server."""
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "GP Collective Voice statements",
            "version": "1.0.0",
            "summary": "Read-only access to the published statements of GP leadership groups.",
            "description": (
                "Every request is a GET. Without a session you see public statements; signed "
                "in to the portal (its session cookie), you also see the statements your roles "
                "may read. A statement you may not read is answered 404, as if it did not exist."
            ),
        },
        "servers": [{"url": server_url}],
        "security": [{}, {"session": []}],
        "paths": _paths(),
        "components": {
            "schemas": copy.deepcopy({**SCHEMAS, **_part_schemas()}),
            "securitySchemes": {
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": session_cookie,
                    "description": "The portal's session cookie, set by signing in.",
                }
            },
        },
    }
