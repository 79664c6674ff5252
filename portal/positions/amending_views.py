"""Amending a draft: a member proposes an amendment to one paragraph, and the drafting lead
accepts it (a new revision; its check page is ``amendment_views``) or rejects it with a reason.
Putting one to the vote is in ``workflow_views``."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.database import utcnow
from portal.http import acting_user, refusal_shown_on
from portal.positions import amendments as amending
from portal.positions import forms, permissions
from portal.positions.blueprint import blueprint, confirmed, load_amendment, load_position
from portal.positions.draft_views import amendment_form, render_position


@blueprint.post("/positions/<int:position_id>/amendments")
def propose_amendment(position_id: int) -> str | Response | tuple[str, int]:
    position = load_position(position_id)
    if not permissions.can_participate(current_user, position):
        abort(403)
    form = amendment_form(position, formdata=True)
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            amending.propose_amendment(
                acting_user(),
                position,
                paragraph_index=int(form.amendment_paragraph.data),
                replacement_markdown=form.replacement.data,
                reason=form.reason.data,
                now=utcnow(),
            )
        if not refused:
            flash("Your amendment has been proposed to the drafting lead.", "info")
            return redirect(url_for(".position", position_id=position.id, _anchor="amendments"))
    return render_position(load_position(position_id), amendment_form=form)


@blueprint.post("/positions/<int:position_id>/amendments/<int:amendment_id>/accept")
def accept_amendment(position_id: int, amendment_id: int) -> Response:
    position = load_position(position_id)
    amendment = load_amendment(position, amendment_id)
    if not permissions.can_lead(current_user, position):
        abort(403)
    confirmed()
    with refusal_shown_on() as refused:
        revision = amending.accept_amendment(acting_user(), position, amendment, utcnow())
    if not refused:
        flash(f"The amendment has been accepted as revision {revision.number}.", "info")
    return redirect(url_for(".position", position_id=position.id, _anchor="amendments"))


@blueprint.post("/positions/<int:position_id>/amendments/<int:amendment_id>/reject")
def reject_amendment(position_id: int, amendment_id: int) -> str | Response | tuple[str, int]:
    position = load_position(position_id)
    amendment = load_amendment(position, amendment_id)
    if not permissions.can_lead(current_user, position):
        abort(403)
    form = forms.RejectForm()
    # The id the reason box has on the page, for the error summary's link.
    form.rejection_reason.id = f"rejection-reason-{amendment.id}"
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            amending.reject_amendment(
                acting_user(), position, amendment, form.rejection_reason.data, utcnow()
            )
        if not refused:
            flash("The amendment has been rejected.", "info")
            return redirect(url_for(".position", position_id=position.id, _anchor="amendments"))
    return render_position(load_position(position_id), reject_form=form, rejecting=amendment.id)
