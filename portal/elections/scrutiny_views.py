"""A secret election's scrutineer pages (``/scrutiny``): setting a passphrase before the count
and opening the sealed ballots file after it.

They answer only the election's named scrutineers (404 for anyone else, officers included:
naming scrutineers gives an officer no way into the ballots). Opening the sealed ballots file
is a POST, because it is audited."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from portal.database import utcnow
from portal.elections import scrutiny
from portal.elections.blueprint import blueprint, load_election
from portal.elections.models import Election, ElectionScrutineer, ElectionState
from portal.http import acting_user, refusal_shown_on
from portal.voting.forms import ScrutineerOpenForm, ScrutineerPassphraseForm


def _own_scrutineer(election: Election) -> ElectionScrutineer:
    scrutineer = scrutiny.scrutineer_for(current_user, election)
    if scrutineer is None:
        abort(404)
    return scrutineer


def _render_scrutineer(
    election: Election,
    scrutineer: ElectionScrutineer,
    passphrase_form: ScrutineerPassphraseForm | None = None,
    open_form: ScrutineerOpenForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    return render_template(
        "elections/scrutineer.html",
        election=election,
        scrutineer=scrutineer,
        before_count=election.state in (ElectionState.NOMINATIONS, ElectionState.VOTING),
        passphrase_form=passphrase_form or ScrutineerPassphraseForm(formdata=None),
        open_form=open_form or ScrutineerOpenForm(formdata=None),
    ), status


@blueprint.get("/<int:election_id>/scrutiny")
@login_required
def scrutineer(election_id: int) -> tuple[str, int]:
    election = load_election(election_id)
    return _render_scrutineer(election, _own_scrutineer(election))


@blueprint.post("/<int:election_id>/scrutiny/passphrase")
@login_required
def set_scrutineer_passphrase(election_id: int) -> tuple[str, int] | Response:
    election = load_election(election_id)
    member = _own_scrutineer(election)
    form = ScrutineerPassphraseForm()
    if not form.validate_on_submit():
        return _render_scrutineer(election, member, passphrase_form=form, status=400)
    with refusal_shown_on(form) as refused:
        scrutiny.set_passphrase(
            acting_user(),
            election,
            form.passphrase.data or "",
            form.confirmation.data or "",
            utcnow(),
        )
    if refused:
        return _render_scrutineer(election, member, passphrase_form=form, status=400)
    flash("Your passphrase is set. Keep it safe: nobody can recover it for you.", "info")
    return redirect(url_for(".scrutineer", election_id=election.id))


@blueprint.post("/<int:election_id>/scrutiny/ballots")
@login_required
def open_ballots(election_id: int) -> tuple[str, int] | Response:
    election = load_election(election_id)
    member = _own_scrutineer(election)
    form = ScrutineerOpenForm()
    if not form.validate_on_submit():
        return _render_scrutineer(election, member, open_form=form, status=400)
    raw = b""
    with refusal_shown_on(form) as refused:
        raw = scrutiny.open_ballots(acting_user(), election, form.passphrase.data or "")
    if refused:
        return _render_scrutineer(election, member, open_form=form, status=400)
    return Response(
        raw,
        mimetype="text/plain",
        headers={
            "Content-Disposition": f'attachment; filename="election-{election.id}-ballots.blt"',
            "Cache-Control": "no-store",
        },
    )
