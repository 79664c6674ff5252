"""A scrutineer's page: set the passphrase when appointed, open the sealed record after close.

Only the vote's own scrutineers reach these pages (404 for anyone else, officers included:
naming scrutineers gives an officer no way into the record). Opening the record is a POST,
because it is audited.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from portal.database import utcnow
from portal.extensions import db
from portal.http import refusal_shown_on
from portal.organisations.area_context import bind_area
from portal.voting import scrutiny
from portal.voting.forms import ScrutineerOpenForm, ScrutineerPassphraseForm
from portal.voting.models import Scrutineer, Vote, VoteState

blueprint = Blueprint(
    "scrutiny", __name__, url_prefix="/areas/<area_slug>/votes", template_folder="templates"
)
bind_area(blueprint)


def _scrutineer(vote_id: int) -> tuple[Vote, Scrutineer]:
    vote = db.session.get(Vote, vote_id)
    if vote is None or vote.area_id != g.area.id:
        abort(404)
    scrutineer = scrutiny.scrutineer_for(current_user, vote)
    if scrutineer is None:
        abort(404)
    return vote, scrutineer


def _render(
    vote: Vote,
    scrutineer: Scrutineer,
    passphrase_form: ScrutineerPassphraseForm | None = None,
    open_form: ScrutineerOpenForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    return render_template(
        "voting/scrutineer.html",
        vote=vote,
        scrutineer=scrutineer,
        over=vote.state in (VoteState.CLOSED, VoteState.CANCELLED),
        passphrase_form=passphrase_form or ScrutineerPassphraseForm(formdata=None),
        open_form=open_form or ScrutineerOpenForm(formdata=None),
    ), status


@blueprint.get("/<int:vote_id>/scrutiny")
@login_required
def scrutineer(vote_id: int) -> tuple[str, int]:
    vote, member = _scrutineer(vote_id)
    return _render(vote, member)


@blueprint.post("/<int:vote_id>/scrutiny/passphrase")
@login_required
def set_passphrase(vote_id: int) -> tuple[str, int] | Response:
    vote, member = _scrutineer(vote_id)
    form = ScrutineerPassphraseForm()
    if not form.validate_on_submit():
        return _render(vote, member, passphrase_form=form, status=400)
    with refusal_shown_on(form) as refused:
        scrutiny.set_passphrase(
            current_user, vote, form.passphrase.data or "", form.confirmation.data or "", utcnow()
        )
    if refused:
        return _render(vote, member, passphrase_form=form, status=400)
    flash("Your passphrase is set. Keep it safe: nobody can recover it for you.", "info")
    return redirect(url_for(".scrutineer", vote_id=vote.id))


@blueprint.post("/<int:vote_id>/scrutiny/record")
@login_required
def open_record(vote_id: int) -> tuple[str, int] | Response:
    vote, member = _scrutineer(vote_id)
    form = ScrutineerOpenForm()
    if not form.validate_on_submit():
        return _render(vote, member, open_form=form, status=400)
    raw = b""
    with refusal_shown_on(form) as refused:
        raw = scrutiny.open_record(current_user, vote, form.passphrase.data or "")
    if refused:
        return _render(vote, member, open_form=form, status=400)
    return Response(
        raw,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="vote-{vote.id}-full-ballot-record.json"',
            "Cache-Control": "no-store",
        },
    )
