"""Email preferences (your own, signed in or through an email's link) and an area's outbox.

Deny by default: the preferences page needs a signed-in member; the page an email's link
opens needs that link's valid signature (404 otherwise) and changes only the one kind of
email it names, with a POST button (opening the link writes nothing). The outbox page is
for the area's administrators only (404 for anyone else).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from portal.accounts.models import User
from portal.email_kinds import CHOOSABLE_KINDS, FIXED_KINDS, Kind
from portal.http import acting_user, refusal_shown_on
from portal.mail import register_delivery_policy
from portal.navigation import add_link
from portal.notifications import forms, permissions, services
from portal.organisations.area_context import bind_area
from portal.outbox import OutboxState

blueprint = Blueprint(
    "notifications", __name__, url_prefix="/notifications", template_folder="templates"
)
# The mail layer (shared core) applies each member's choices through this domain's services.
blueprint.record_once(lambda state: register_delivery_policy(state.app, services))
outbox_blueprint = Blueprint(
    "outbox", __name__, url_prefix="/areas/<area_slug>/admin/outbox", template_folder="templates"
)
bind_area(outbox_blueprint)
add_link(outbox_blueprint, "Outbox", "outbox.outbox", order=92, visible=permissions.can_see_outbox)


@blueprint.route("/", methods=["GET", "POST"])
@login_required
def preferences() -> str | Response | tuple[str, int]:
    user = acting_user()
    current = None if request.method == "POST" else services.choices_of(user)
    form = forms.choices_form(CHOOSABLE_KINDS, current)
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            changed = services.set_preferences(user, user, form.choices())
        if not refused:
            flash("Your email preferences are saved" if changed else "Nothing changed", "success")
            return redirect(url_for("notifications.preferences"))
    page = render_template(
        "notifications/preferences.html",
        form=form,
        kinds=CHOOSABLE_KINDS,
        fixed_kinds=FIXED_KINDS,
        field_name=forms.field_name,
    )
    return (page, 400) if form.errors or form.form_errors else page


@blueprint.route("/email/<token>", methods=["GET", "POST"])
def from_email(token: str) -> str | Response | tuple[str, int]:
    owner, kind = _token_owner(token)
    if not kind.choosable and kind is not Kind.DIGEST:
        return render_template("notifications/fixed_kind.html", kind=kind)
    # A digest carries several kinds, so its link asks about every kind; any other email's
    # link asks only about its own.
    kinds = CHOOSABLE_KINDS if kind is Kind.DIGEST else (kind,)
    current = None if request.method == "POST" else services.choices_of(owner)
    form = forms.choices_form(kinds, current)
    if form.validate_on_submit():
        # Whoever holds the link acts for its owner; signed in as the owner, it is them.
        actor = acting_user() if permissions.can_change_preferences(current_user, owner) else None
        with refusal_shown_on(form) as refused:
            services.set_preferences(actor, owner, form.choices())
        if not refused:
            return render_template("notifications/saved.html", choices=form.choices())
    page = render_template(
        "notifications/from_email.html", form=form, kinds=kinds, field_name=forms.field_name
    )
    return (page, 400) if form.errors or form.form_errors else page


def _token_owner(token: str) -> tuple[User, Kind]:
    """Whose preferences an email's link opens, and the kind of email it came in (else 404)."""
    found = services.read_preferences_token(token)
    if found is None:
        abort(404)
    return found


@outbox_blueprint.before_request
def _require_area_admin() -> None:
    if not permissions.can_see_outbox(current_user, g.area):
        abort(404)


@outbox_blueprint.get("/")
def outbox() -> str:
    state = request.args.get("state")
    if state not in {s.value for s in OutboxState}:
        state = None
    return render_template(
        "notifications/outbox.html",
        messages=services.outbox_of(g.area, state),
        counts=services.outbox_counts(g.area),
        state=state,
        states=list(OutboxState),
        page_size=services.OUTBOX_PAGE_SIZE,
    )
