"""The read-only JSON API of the register of mandates, described in ``/api/v1/openapi.json``.

Tier-aware exactly as the statements API: a signed-in reader (session cookie) sees the
mandates their roles may read, anyone else the public ones; a mandate you may not read is
answered 404, as one that does not exist. Errors are problem details, as statements' are.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from portal.database import utcnow
from portal.mandates import openapi as mandates_openapi
from portal.mandates import services
from portal.mandates.models import Mandate, MandateState
from portal.mandates.openapi import MAX_PER_PAGE
from portal.statements.api import problem
from portal.statements.feed import rfc3339
from portal.statements.openapi import register_part
from portal.urls import external_url

blueprint = Blueprint("mandates_api", __name__, url_prefix="/api/v1")
# The register's paths join the portal's one OpenAPI document.
blueprint.record_once(
    lambda state: register_part(state.app, mandates_openapi.paths, mandates_openapi.SCHEMAS)
)

DEFAULT_PER_PAGE = 20
STATES = frozenset(state.value for state in MandateState)


blueprint.register_error_handler(HTTPException, problem)


def _json(data: Any) -> Response:
    response = jsonify(data)
    response.headers["Vary"] = "Cookie"
    return response


def mandate_json(mandate: Mandate) -> dict[str, Any]:
    """One mandate as the API gives it (the ``Mandate`` schema)."""
    today = services.london_day(utcnow())
    successor = mandate.superseded_by
    proposal = mandate.proposal
    return {
        "id": mandate.id,
        "url": external_url("mandates.mandate", mandate_id=mandate.id),
        "title": mandate.title,
        "state": mandate.state_on(today).value,
        "tier": mandate.tier.value,
        "area": {"slug": mandate.area.slug, "name": mandate.area.name},
        "proposal": (
            {
                "title": proposal.title,
                "ics_reference": proposal.ics_reference,
                "owning_body": proposal.owning_body,
            }
            if proposal is not None
            else None
        ),
        "holders": [
            {
                "name": holder.user.name,
                "role": holder.role.value,
                "organisation": holder.organisation.name,
                "ods_code": holder.organisation.ods_code,
            }
            for holder in mandate.holders
        ],
        "may_agree": mandate.may_agree,
        "may_not_agree": mandate.may_not_agree,
        "come_back_when": mandate.come_back_when,
        "ends_on": mandate.ends_on.isoformat(),
        "granted_at": rfc3339(mandate.granted_at) if mandate.granted_at else None,
        "provenance": mandate.provenance or "",
        "suspension_reason": mandate.suspension_reason if mandate.suspended_at else None,
        "revocation": mandate.revocation_provenance,
        "superseded_by": (
            successor.id
            if successor is not None and services.find(current_user, successor.id) is not None
            else None
        ),
        "commitments": [
            {
                "made_on": c.made_on.isoformat(),
                "forum": c.forum,
                "with_whom": c.with_whom,
                "what_agreed": c.what_agreed,
                "ratification": c.ratification.value,
            }
            for c in mandate.commitments
        ],
    }


def _whole(name: str, default: int, high: int | None = None) -> int:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or len(text) > 9 or int(text) < 1:
        abort(400, description=f"{name} must be a whole number, 1 or more")
    value = int(text)
    if high is not None and value > high:
        abort(400, description=f"{name} must be from 1 to {high}")
    return value


@blueprint.get("/mandates")
def mandates() -> Response:
    area_slug = request.args.get("area") or None
    state = request.args.get("state") or None
    if state is not None and state not in STATES:
        abort(400, description="state must be one of " + ", ".join(sorted(STATES)))
    page = _whole("page", 1)
    per_page = _whole("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    today = services.london_day(utcnow())
    found = services.register(current_user, area_slug)
    if state is not None:
        found = [m for m in found if m.state_on(today).value == state]
    items, pages = _page_of(found, page, per_page)
    return _json(
        {
            "items": [mandate_json(m) for m in items],
            "page": page,
            "per_page": per_page,
            "total": len(found),
            "pages": pages,
        }
    )


def _page_of(found: list[Mandate], page: int, per_page: int) -> tuple[list[Mandate], int]:
    """The mandates on ``page`` and how many pages there are (at least one, even if empty)."""
    return found[(page - 1) * per_page : page * per_page], max(1, -(-len(found) // per_page))


@blueprint.get("/mandates/<int:mandate_id>")
def mandate(mandate_id: int) -> Response:
    found = services.find(current_user, mandate_id)
    if found is None:
        abort(404, description=f"There is no mandate {mandate_id} that you can read")
    return _json(mandate_json(found))
