"""The read-only JSON API of statements, described by ``/api/v1/openapi.json``.

Only GET: nothing changes, so nothing needs a CSRF token. A signed-in reader (session cookie)
sees the tiers they may read; anyone else sees public statements. A statement the reader may
not read is answered 404, exactly as one that does not exist. Errors are RFC 9457 problem
details (``application/problem+json``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, jsonify, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException

from portal.markdown import render_markdown
from portal.statements import caching, election_results, services
from portal.statements.feed import rfc3339
from portal.statements.forms import FilterError, filter_args, filters_from_args
from portal.statements.models import Statement
from portal.statements.openapi import MAX_PER_PAGE, document
from portal.statements.permissions import can_read_statement
from portal.urls import external_url

blueprint = Blueprint("statements_api", __name__, url_prefix="/api/v1")
blueprint.record_once(lambda state: caching.init_app(state.app))

DEFAULT_PER_PAGE = 20
PROBLEM = "application/problem+json"


@blueprint.errorhandler(HTTPException)
def problem(error: HTTPException) -> Response:
    """An HTTP error as RFC 9457 problem details; every API blueprint answers errors so."""
    code = error.code or 500
    response = jsonify(
        {
            "type": "about:blank",
            "title": error.name,
            "status": code,
            "detail": error.description or error.name,
        }
    )
    response.status_code = code
    response.mimetype = PROBLEM
    return response


def _json(data: Any, **headers: str) -> Response:
    response = jsonify(data)
    response.headers["Vary"] = "Cookie"
    response.headers.update(headers)
    return response


def statement_json(statement: Statement) -> dict[str, Any]:
    """One statement as the API gives it (the ``Statement`` schema)."""
    successor = statement.superseded_by
    proposal = statement.proposal
    return {
        "reference": statement.reference,
        "url": external_url("statements.statement", reference=statement.reference),
        "pdf_url": external_url("statements.statement_pdf", reference=statement.reference),
        "title": statement.title,
        "status": statement.state.value,
        "tier": statement.tier.value,
        "area": {"slug": statement.area.slug, "name": statement.area.name},
        "published_at": rfc3339(statement.published_at),
        "ended_at": rfc3339(statement.ended_at) if statement.ended_at else None,
        "end_reason": statement.end_reason,
        "superseded_by": (
            successor.reference
            if successor is not None and can_read_statement(current_user, successor)
            else None
        ),
        "proposal": (
            {
                "title": proposal.title,
                "ics_reference": proposal.ics_reference,
                "owning_body": proposal.owning_body,
            }
            if proposal is not None
            else None
        ),
        "source": statement.source.value,
        "election": _election_json(statement),
        "signatories_choice": (
            statement.signatories_choice.value if statement.signatories_choice else None
        ),
        "signatories": [
            {"name": s.name, "kind": s.kind, "ods_code": s.ods_code} for s in statement.signatories
        ],
        "body_markdown": statement.body_markdown,
        "body_html": str(render_markdown(statement.body_markdown)),
        "provenance": statement.provenance,
        "responses": [
            {
                "body_markdown": r.body_markdown,
                "body_html": str(render_markdown(r.body_markdown)),
                "recorded_at": rfc3339(r.created_at),
            }
            for r in statement.responses
        ],
    }


def _election_json(statement: Statement) -> dict[str, Any] | None:
    result = election_results.result_of(statement)
    if result is None:
        return None
    page = external_url("statements.statement", reference=statement.reference)
    return {
        "title": result.title,
        "seats": result.seats,
        "method": result.method,
        "method_label": result.method_label,
        "electorate": result.electorate,
        "secret": result.secret,
        "decided_at": rfc3339(result.decided_at),
        "unopposed": result.unopposed,
        "elected": result.elected,
        "withdrawn": result.withdrawn,
        "quota": result.quota,
        "valid_votes": result.valid,
        "turnout": {
            "ballots": result.ballots,
            "electors": result.electors,
            "weight_cast": result.weight_cast,
            "weight_total": result.weight_total,
        },
        "seed": result.seed,
        "count_sheet_url": f"{page}#count-sheet" if result.stages else None,
        "stages": result.stages,
    }


def _whole(name: str, default: int, low: int, high: int | None = None) -> int:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or len(text) > 9:
        abort(400, description=f"{name} must be a whole number")
    value = int(text)
    if value < low or (high is not None and value > high):
        limit = f"from {low} to {high}" if high is not None else f"{low} or more"
        abort(400, description=f"{name} must be {limit}")
    return value


@blueprint.get("/statements")
@caching.cached("api-list", personal_html=False)
def statements() -> Response:
    try:
        filters = filters_from_args(request.args)
    except FilterError as error:
        abort(400, description=str(error))
    page = _whole("page", 1, 1)
    per_page = _whole("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    result = services.paginate(_listed(filters), page, per_page)
    links = _page_links(filter_args(filters), page, per_page, result.pages)
    header = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items() if url)
    return _json(
        {
            "items": [statement_json(s) for s in result.items],
            "page": page,
            "per_page": per_page,
            "total": result.total,
            "pages": result.pages,
            **links,
        },
        Link=header,
    )


def _listed(filters: services.Filters) -> sa.Select[Statement]:
    """The statements found, with everything statement_json reads loaded once for the page
    rather than per statement."""
    return services.search(current_user, filters).options(
        selectinload(Statement.area),
        selectinload(Statement.superseded_by),
        selectinload(Statement.proposal),
        selectinload(Statement.signatories),
        selectinload(Statement.responses),
    )


def _page_links(args: dict[str, Any], page: int, per_page: int, pages: int) -> dict[str, Any]:
    """The addresses of this page of the list and its neighbours (None where there is none)."""

    def page_url(number: int) -> str:
        query = urlencode({**args, "page": number, "per_page": per_page})
        return f"{external_url('statements_api.statements')}?{query}"

    return {
        "self": page_url(page),
        "first": page_url(1),
        "last": page_url(pages),
        "next": page_url(page + 1) if page < pages else None,
        "prev": page_url(min(page - 1, pages)) if page > 1 else None,
    }


@blueprint.get("/statements/<reference>")
@caching.cached("api-item", personal_html=False)
def statement(reference: str) -> Response:
    found = services.find(reference, current_user)
    if found is None:
        abort(404, description=f"There is no statement {reference[:40]} that you can read")
    return _json(statement_json(found))


@blueprint.get("/openapi.json")
def openapi() -> Response:
    return _json(
        document(
            server_url=url_for("statements_api.statements").rsplit("/", 1)[0],
            session_cookie=current_app.config["SESSION_COOKIE_NAME"],
        )
    )
