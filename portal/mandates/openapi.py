"""The mandates part of the API's OpenAPI 3.1 document (``portal/statements/openapi.py`` puts
it in the one document). JSON Schema 2020-12; the tests validate every response against it."""

from __future__ import annotations

from typing import Any

from portal.mandates.models import MANDATE_TIERS, MandateState, Ratification
from portal.statements.openapi import PROBLEM, json_content, nullable, query_parameter, schema_ref

MAX_PER_PAGE = 100


TEXT = {"type": "string", "minLength": 1}
DATE = {"type": "string", "format": "date"}
MANDATE_FIELDS = {
    "id": {"type": "integer", "minimum": 1},
    "url": {"type": "string", "format": "uri", "description": "The mandate's page."},
    "title": {**TEXT, "maxLength": 200, "description": "Its subject."},
    "state": {
        "enum": [state.value for state in MandateState],
        "description": "As of today: in_force, suspended, ended (its end date has passed), "
        "revoked (by a vote), superseded (by a later mandate on the same subject); "
        "proposed or not_granted while, or after, its motion was decided against it.",
    },
    "tier": {
        "enum": [tier.value for tier in MANDATE_TIERS],
        "description": "Who may read it: the group, ICS readers too, or anyone.",
    },
    "area": schema_ref("Area"),
    "proposal": nullable(schema_ref("Proposal")),
    "holders": {"type": "array", "minItems": 1, "items": schema_ref("MandateHolder")},
    "may_agree": TEXT,
    "may_not_agree": TEXT,
    "come_back_when": {**TEXT, "description": "When the holders must come back to members."},
    "ends_on": {**DATE, "description": "The last day it is in force (London)."},
    "granted_at": nullable({"type": "string", "format": "date-time"}),
    "provenance": {
        "type": "string",
        "description": "The granting motion and its result in one sentence, as every "
        "surface words it (empty until the motion is decided).",
    },
    "suspension_reason": {"type": ["string", "null"]},
    "revocation": {
        "type": ["string", "null"],
        "description": "The revoking motion and its result in one sentence.",
    },
    "superseded_by": {
        "type": ["integer", "null"],
        "description": "The replacing mandate, when it is one you may read.",
    },
    "commitments": {"type": "array", "items": schema_ref("Commitment")},
}

SCHEMAS: dict[str, Any] = {
    "Mandate": {
        "type": "object",
        "description": "What named leaders may agree on behalf of practices, granted by a vote.",
        "additionalProperties": False,
        "required": list(MANDATE_FIELDS),
        "properties": MANDATE_FIELDS,
    },
    "MandateHolder": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "role", "organisation", "ods_code"],
        "properties": {
            "name": TEXT,
            "role": {"type": "string", "description": "The role they hold it in."},
            "organisation": TEXT,
            "ods_code": {"type": "string"},
        },
    },
    "Commitment": {
        "type": "object",
        "description": "A commitment a holder reported making under the mandate.",
        "additionalProperties": False,
        "required": ["made_on", "forum", "with_whom", "what_agreed", "ratification"],
        "properties": {
            "made_on": DATE,
            "forum": TEXT,
            "with_whom": TEXT,
            "what_agreed": TEXT,
            "ratification": {
                "enum": [value.value for value in Ratification],
                "description": "not_needed within the bounds; awaiting while members have "
                "not ratified one that went beyond them; ratified or not_ratified after.",
            },
        },
    },
    "MandateList": {
        "type": "object",
        "additionalProperties": False,
        "required": ["items", "page", "per_page", "total", "pages"],
        "properties": {
            "items": {"type": "array", "items": schema_ref("Mandate"), "maxItems": MAX_PER_PAGE},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "total": {"type": "integer", "minimum": 0},
            "pages": {"type": "integer", "minimum": 1},
        },
    },
}


def paths() -> dict[str, Any]:
    return {
        "/mandates": {
            "get": {
                "operationId": "listMandates",
                "summary": "Granted mandates you may read, newest first",
                "parameters": [
                    query_parameter(
                        "area", "Only mandates of this area (its slug).", {"type": "string"}
                    ),
                    query_parameter(
                        "state",
                        "Only mandates in this state today.",
                        {"enum": [state.value for state in MandateState]},
                    ),
                    query_parameter(
                        "page", "Page number.", {"type": "integer", "minimum": 1, "default": 1}
                    ),
                    query_parameter(
                        "per_page",
                        "Mandates per page.",
                        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 20},
                    ),
                ],
                "responses": {
                    "200": json_content("MandateList", "A page of mandates."),
                    "400": json_content("Error", "A query parameter is not valid.", PROBLEM),
                },
            }
        },
        "/mandates/{id}": {
            "get": {
                "operationId": "getMandate",
                "summary": "One mandate, with its commitments",
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1},
                    }
                ],
                "responses": {
                    "200": json_content("Mandate", "The mandate."),
                    "404": json_content(
                        "Error", "No such mandate, or not one you may read.", PROBLEM
                    ),
                },
            }
        },
    }
