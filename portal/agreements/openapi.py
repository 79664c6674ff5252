"""The agreements part of the API's OpenAPI 3.1 document (``portal/statements/openapi.py``
puts it in), written by hand; the tests validate every response against it."""

from __future__ import annotations

from typing import Any

from portal.agreements.models import (
    CostSharing,
    RagStatus,
    ReportFrequency,
    VersionState,
    VoteWeighting,
)
from portal.statements.openapi import PROBLEM, json_content, nullable, schema_ref

MAX_PER_PAGE = 100


def _enum(enum_class: Any) -> dict[str, Any]:
    return {"enum": [member.value for member in enum_class]}


URI = {"type": "string", "format": "uri"}
DATE = {"type": "string", "format": "date"}
DATE_TIME = {"type": "string", "format": "date-time"}
ORGANISATION = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "kind", "ods_code"],
    "properties": {
        "name": {"type": "string"},
        "kind": {"enum": ["practice", "pcn", "federation"]},
        "ods_code": {"type": "string"},
    },
}

SCHEMAS: dict[str, Any] = {
    "Agreement": {
        "type": "object",
        "description": (
            "A shared service or way of working that practices sign up to, with one agreed "
            "procedure. A new version of the procedure takes effect only when the practices "
            "signed up at the time vote for it."
        ),
        "additionalProperties": False,
        "required": [
            "id",
            "url",
            "title",
            "area",
            "lead",
            "starts_on",
            "minimum_term_months",
            "notice_period_months",
            "cost_sharing",
            "annual_cost",
            "vote_weighting",
            "visible_to_ics",
            "gives_up",
            "gets",
            "who_does_what_markdown",
            "oversight",
            "report_frequency",
            "review_on",
            "procedure",
            "versions",
            "on",
            "practices",
            "patients_covered",
            "latest_report",
        ],
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "url": {**URI, "description": "The agreement's page."},
            "title": {"type": "string", "minLength": 1, "maxLength": 200},
            "area": schema_ref("Area"),
            "lead": {**ORGANISATION, "description": "The lead organisation."},
            "starts_on": DATE,
            "minimum_term_months": {"type": "integer", "minimum": 0},
            "notice_period_months": {"type": "integer", "minimum": 1},
            "cost_sharing": _enum(CostSharing),
            "annual_cost": {
                "type": ["string", "null"],
                "pattern": "^[0-9]+\\.[0-9]{2}$",
                "description": "The yearly cost shared, in pounds, when there is one.",
            },
            "vote_weighting": _enum(VoteWeighting),
            "visible_to_ics": {"type": "boolean"},
            "gives_up": {"type": "string"},
            "gets": {"type": "string"},
            "who_does_what_markdown": {"type": "string"},
            "oversight": {"type": "string", "description": "Who reports to whom."},
            "report_frequency": _enum(ReportFrequency),
            "review_on": nullable(DATE),
            "procedure": {**schema_ref("ProcedureVersion"), "description": "The version in force."},
            "versions": {"type": "array", "items": schema_ref("ProcedureVersionSummary")},
            "on": {**DATE, "description": "The day the practices are listed for."},
            "practices": {"type": "array", "items": schema_ref("AgreementPractice")},
            "patients_covered": {"type": "integer", "minimum": 0},
            "latest_report": nullable(schema_ref("OversightReport")),
        },
    },
    "AgreementList": {
        "type": "object",
        "additionalProperties": False,
        "required": ["items", "total"],
        "properties": {
            "items": {"type": "array", "items": schema_ref("Agreement")},
            "total": {"type": "integer", "minimum": 0},
        },
    },
    "ProcedureVersion": {
        "type": "object",
        "additionalProperties": False,
        "required": ["number", "body_markdown", "body_html", "adopted_at"],
        "properties": {
            "number": {"type": "integer", "minimum": 1},
            "body_markdown": {"type": "string"},
            "body_html": {"type": "string", "description": "Rendered and sanitised."},
            "adopted_at": DATE_TIME,
        },
    },
    "ProcedureVersionSummary": {
        "type": "object",
        "additionalProperties": False,
        "required": ["number", "state", "created_at", "adopted_at"],
        "properties": {
            "number": {"type": "integer", "minimum": 1},
            "state": _enum(VersionState),
            "created_at": DATE_TIME,
            "adopted_at": nullable(DATE_TIME),
        },
    },
    "AgreementPractice": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "name",
            "ods_code",
            "pcn",
            "registered_patients",
            "share_percent",
            "joined_on",
            "leaves_on",
        ],
        "properties": {
            "name": {"type": "string"},
            "ods_code": {"type": "string"},
            "pcn": nullable(
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name", "ods_code"],
                    "properties": {"name": {"type": "string"}, "ods_code": {"type": "string"}},
                }
            ),
            "registered_patients": {"type": ["integer", "null"], "minimum": 0},
            "share_percent": {
                "type": ["string", "null"],
                "pattern": "^[0-9]+\\.[0-9]$",
                "description": "Its share of the cost, to one decimal place.",
            },
            "joined_on": DATE,
            "leaves_on": {**nullable(DATE), "description": "The first day it is out."},
        },
    },
    "OversightReport": {
        "type": "object",
        "additionalProperties": False,
        "required": ["status", "posted_at"],
        "properties": {"status": _enum(RagStatus), "posted_at": DATE_TIME},
    },
}


ON_PARAMETER = {
    "name": "on",
    "in": "query",
    "required": False,
    "description": "List the practices in on this day (London), not today.",
    "schema": DATE,
}

PATHS: dict[str, Any] = {
    "/agreements": {
        "get": {
            "operationId": "listAgreements",
            "summary": "The agreements you may see (signed in: your areas'; ICS readers: "
            "those shown to the ICS)",
            "parameters": [
                {
                    "name": "area",
                    "in": "query",
                    "required": False,
                    "description": "Only agreements of this area (its slug).",
                    "schema": {"type": "string"},
                },
                ON_PARAMETER,
            ],
            "responses": {
                "200": json_content("AgreementList", "The agreements."),
                "400": json_content("Error", "A query parameter is not valid.", PROBLEM),
            },
        }
    },
    "/agreements/{agreement_id}": {
        "get": {
            "operationId": "getAgreement",
            "summary": "One agreement",
            "parameters": [
                {
                    "name": "agreement_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                },
                ON_PARAMETER,
            ],
            "responses": {
                "200": json_content("Agreement", "The agreement."),
                "400": json_content("Error", "A query parameter is not valid.", PROBLEM),
                "404": json_content("Error", "No such agreement, or not one you may see.", PROBLEM),
            },
        }
    },
}
