"""The area's audit log, for its administrators only."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, g, render_template, request
from flask_login import current_user, login_required

from portal.audit.models import AuditEntry
from portal.audit.services import pending_entries
from portal.extensions import db
from portal.navigation import add_link
from portal.organisations.area_context import bind_area
from portal.organisations.permissions import can_administer_area

PAGE_SIZE = 50
# Beyond any chain's length, and small enough for every database's OFFSET.
LAST_PAGE = 10_000_000

blueprint = Blueprint(
    "audit", __name__, url_prefix="/areas/<area_slug>/audit", template_folder="templates"
)
bind_area(blueprint)
add_link(blueprint, "Audit log", "audit.log", order=91, visible=can_administer_area)


@blueprint.route("/")
@login_required
def log() -> str:
    if not can_administer_area(current_user, g.area):
        abort(404)
    page = min(max(request.args.get("page", 1, type=int), 1), LAST_PAGE)
    # Only the chained entries: a page view never chains, it says how many are waiting.
    query = (
        sa.select(AuditEntry)
        .where(AuditEntry.area_id == g.area.id, AuditEntry.sequence.is_not(None))
        .order_by(AuditEntry.sequence.desc())
    )
    entries = list(
        db.session.execute(query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).scalars()
    )
    return render_template(
        "audit/log.html",
        entries=entries[:PAGE_SIZE],
        page=page,
        has_next=len(entries) > PAGE_SIZE,
        pending=pending_entries(g.area),
    )
