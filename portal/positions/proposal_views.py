"""ICS proposals: the list, recording one with its documents, attaching more, downloading one.

A stored document is sent as an attachment the browser never renders, caches or sniffs."""

from __future__ import annotations

import io
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.database import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.http import abandon_changes, acting_user
from portal.positions import documents, forms, permissions, services
from portal.positions.blueprint import blueprint, load_proposal
from portal.positions.models import Proposal, ProposalDocument


@blueprint.get("/proposals")
def proposals() -> str:
    rows = list(
        db.session.execute(
            sa.select(Proposal)
            .where(Proposal.area_id == g.area.id)
            .order_by(
                Proposal.response_deadline.is_(None),
                Proposal.response_deadline,
                Proposal.created_at.desc(),
            )
        ).scalars()
    )
    return render_template(
        "positions/proposals.html",
        proposals=[
            (proposal, services.response_state(acting_user(), proposal)) for proposal in rows
        ],
        can_create=permissions.can_create_proposal(current_user, g.area),
    )


def _uploads(field_name: str) -> list[documents.Upload]:
    return [
        documents.read_upload(storage.stream, storage.filename)
        for storage in request.files.getlist(field_name)
        if storage and (storage.filename or storage.content_length)
    ]


@blueprint.route("/proposals/new", methods=["GET", "POST"])
def new_proposal() -> str | Response:
    if not permissions.can_create_proposal(current_user, g.area):
        abort(403)
    form = forms.ProposalForm()
    if form.validate_on_submit():
        try:
            uploads = _uploads(form.documents.name)
            proposal = services.create_proposal(
                acting_user(), g.area, form.details(), uploads, utcnow()
            )
        except documents.DocumentRefused as error:
            abandon_changes()
            form.documents.errors = [*form.documents.errors, error.message]
        except DomainError as error:
            abandon_changes()
            form.form_errors.append(error.message)
        else:
            flash(f"The proposal {proposal.title} has been recorded.", "info")
            return redirect(url_for(".proposal", proposal_id=proposal.id))
    return render_template("positions/proposal_new.html", form=form)


def _render_proposal(proposal: Proposal, document_form: Any = None) -> str:
    readable = [
        position
        for position in proposal.positions
        if permissions.can_read_position(current_user, position)
    ]
    can_add = permissions.can_add_documents(current_user, g.area)
    return render_template(
        "positions/proposal.html",
        proposal=proposal,
        positions=readable,
        state=services.response_state(acting_user(), proposal),
        document_form=document_form or (forms.DocumentForm() if can_add else None),
        can_draft=permissions.can_create_position(current_user, g.area),
    )


@blueprint.get("/proposals/<int:proposal_id>")
def proposal(proposal_id: int) -> str:
    return _render_proposal(load_proposal(proposal_id))


@blueprint.post("/proposals/<int:proposal_id>/documents")
def add_documents(proposal_id: int) -> str | Response:
    proposal = load_proposal(proposal_id)
    if not permissions.can_add_documents(current_user, g.area):
        abort(403)
    form = forms.DocumentForm()
    if form.validate_on_submit():
        try:
            documents.attach_documents(
                acting_user(), proposal, _uploads(form.attachments.name), utcnow()
            )
        except DomainError as error:
            abandon_changes()
            form.attachments.errors = [*form.attachments.errors, error.message]
        else:
            flash("The documents have been attached.", "info")
            return redirect(url_for(".proposal", proposal_id=proposal.id))
    return _render_proposal(load_proposal(proposal_id), form)


@blueprint.get("/proposals/<int:proposal_id>/documents/<int:document_id>")
def document(proposal_id: int, document_id: int) -> Response:
    proposal = load_proposal(proposal_id)
    stored = db.session.get(ProposalDocument, document_id)
    if stored is None or stored.proposal_id != proposal.id:
        abort(404)
    return _download(stored)


def _download(stored: ProposalDocument) -> Response:
    """The stored file as an attachment that the browser never renders, caches or sniffs."""
    content = documents.document_content(stored)
    if content is None:
        abort(404)
    response = send_file(
        io.BytesIO(content),
        mimetype=stored.media_type,
        as_attachment=True,
        download_name=stored.filename,
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
