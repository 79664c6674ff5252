"""The read-only JSON API of agreements (``/api/v1/agreements``), in the API's OpenAPI document.

Only GET. A signed-in reader (session cookie) sees the agreements their roles may see; anyone
else sees none. One they may not see is answered 404, as one that does not exist. Errors are
RFC 9457 problem details.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from portal.agreements import forms, permissions, rolls, setting_up
from portal.agreements import openapi as agreements_openapi
from portal.agreements.models import Agreement
from portal.database import utcnow
from portal.extensions import db
from portal.markdown import render_markdown
from portal.statements.api import problem
from portal.statements.feed import rfc3339
from portal.statements.openapi import register_part
from portal.times import LONDON
from portal.urls import external_url

blueprint = Blueprint("agreements_api", __name__, url_prefix="/api/v1")
# The agreements' paths join the portal's one OpenAPI document.
blueprint.record_once(
    lambda state: register_part(
        state.app, lambda: copy.deepcopy(agreements_openapi.PATHS), agreements_openapi.SCHEMAS
    )
)


blueprint.register_error_handler(HTTPException, problem)


def _day() -> date:
    text = request.args.get("on")
    if not text:
        return utcnow().astimezone(LONDON).date()
    day = forms.day_from_query(text)
    if day is None:
        abort(400, description="on must be a date, for example 2027-01-31")
    return day


def agreement_json(agreement: Agreement, day: date) -> dict[str, Any]:
    """One agreement as the API gives it (the ``Agreement`` schema)."""
    in_force = agreement.in_force
    assert in_force is not None
    assert in_force.adopted_at is not None
    roll = rolls.roll_on(agreement, day)
    lead = agreement.lead
    latest = agreement.reports[-1] if agreement.reports else None
    return {
        "id": agreement.id,
        "url": external_url(
            "agreements.agreement", area_slug=agreement.area.slug, agreement_id=agreement.id
        ),
        "title": agreement.title,
        "area": {"slug": agreement.area.slug, "name": agreement.area.name},
        "lead": {"name": lead.name, "kind": lead.kind.value, "ods_code": lead.ods_code},
        "starts_on": agreement.starts_on.isoformat(),
        "minimum_term_months": agreement.minimum_term_months,
        "notice_period_months": agreement.notice_period_months,
        "cost_sharing": agreement.cost_sharing.value,
        "annual_cost": f"{agreement.annual_cost:.2f}"
        if agreement.annual_cost is not None
        else None,
        "vote_weighting": agreement.vote_weighting.value,
        "visible_to_ics": agreement.visible_to_ics,
        "gives_up": agreement.gives_up,
        "gets": agreement.gets,
        "who_does_what_markdown": agreement.who_does_what_markdown,
        "oversight": agreement.oversight,
        "report_frequency": agreement.report_frequency.value,
        "review_on": agreement.review_on.isoformat() if agreement.review_on else None,
        "procedure": {
            "number": in_force.number,
            "body_markdown": in_force.body_markdown,
            "body_html": str(render_markdown(in_force.body_markdown)),
            "adopted_at": rfc3339(in_force.adopted_at),
        },
        "versions": [
            {
                "number": v.number,
                "state": v.state.value,
                "created_at": rfc3339(v.created_at),
                "adopted_at": rfc3339(v.adopted_at) if v.adopted_at else None,
            }
            for v in agreement.versions
        ],
        "on": day.isoformat(),
        "practices": [
            {
                "name": row.practice.name,
                "ods_code": row.practice.ods_code,
                "pcn": {"name": row.pcn.name, "ods_code": row.pcn.ods_code} if row.pcn else None,
                "registered_patients": row.patients,
                "share_percent": (
                    rolls.percent(row.share).removesuffix(" %") if row.share is not None else None
                ),
                "joined_on": row.signatory.joined_on.isoformat(),
                "leaves_on": row.signatory.leaves_on.isoformat()
                if row.signatory.leaves_on
                else None,
            }
            for row in roll.rows
        ],
        "patients_covered": roll.patients,
        "latest_report": (
            {"status": latest.status.value, "posted_at": rfc3339(latest.posted_at)}
            if latest
            else None
        ),
    }


def _json(data: Any) -> Response:
    response = jsonify(data)
    response.headers["Vary"] = "Cookie"
    return response


@blueprint.get("/agreements")
def agreements() -> Response:
    day = _day()
    area_slug = request.args.get("area")
    found = [
        a
        for a in setting_up.visible_agreements(current_user)
        if area_slug is None or a.area.slug == area_slug
    ]
    return _json({"items": [agreement_json(a, day) for a in found], "total": len(found)})


@blueprint.get("/agreements/<int:agreement_id>")
def agreement(agreement_id: int) -> Response:
    found = db.session.get(Agreement, agreement_id)
    if found is None or not permissions.can_see(current_user, found):
        abort(404, description="There is no such agreement that you can see")
    return _json(agreement_json(found, _day()))
