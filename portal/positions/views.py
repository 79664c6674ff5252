"""ICS proposals, position drafts and their workflow.

Deny by default: every page needs a signed-in member of the area's group (ICS readers and
people of other areas get 404). A draft the user may not read (its tier, from
``portal.tiers``) is 404 too; an action on something they can read but may not take
is 403. Views are thin: load or 404, authorise, validate the form, call one service; on a
``DomainError`` throw the request's changes away and show the message."""

from __future__ import annotations

import io
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from portal.accounts.forms import ConfirmForm
from portal.accounts.models import User
from portal.database import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.http import abandon_changes, acting_user, refusal_shown_on
from portal.markdown import markdown_paragraphs
from portal.navigation import add_link
from portal.needs import services as needs_services
from portal.organisations.area_context import bind_area
from portal.positions import amendments as amending
from portal.positions import (
    comment_changes,
    consultation,
    diff,
    documents,
    drafting,
    forms,
    permissions,
    services,
    workflow,
)
from portal.positions.models import (
    Amendment,
    Comment,
    Position,
    Proposal,
    ProposalDocument,
    Revision,
    Tier,
)
from portal.positions.presenters import (
    AMENDMENT_STATES,
    POSITION_STATES,
    TIER_HINTS,
    choice_params,
    days_left_text,
    edit_conflict_view,
    file_size,
    paragraph_choices,
    statement_of,
    why_frozen,
)
from portal.positions.queries import area_proposals
from portal.statements import permissions as statement_permissions
from portal.times import london_datetime
from portal.voting import explain, setup
from portal.voting import public as voting_public
from portal.voting import rules as counting
from portal.voting.models import BallotSecrecy

blueprint = Blueprint(
    "positions", __name__, url_prefix="/areas/<area_slug>", template_folder="templates"
)


bind_area(blueprint)
# Voting asks which ICS proposal a vote answers without importing positions, which sits above it.
blueprint.record_once(
    lambda state: state.app.extensions.setdefault("ics_proposals", area_proposals)
)
add_link(
    blueprint, "Proposals", "positions.proposals", order=20, visible=permissions.is_group_member
)
add_link(
    blueprint, "Positions", "positions.positions", order=21, visible=permissions.is_group_member
)


@blueprint.before_request
def _require_group_member() -> None:
    if not permissions.is_group_member(current_user, g.area):
        abort(404)


@blueprint.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "position_states": POSITION_STATES,
        "amendment_states": AMENDMENT_STATES,
        "response_labels": services.RESPONSE_LABELS,
        "days_left_text": days_left_text,
        "file_size": file_size,
        "type_labels": documents.TYPE_LABELS,
        "choice_params": choice_params,
    }


def _proposal(proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.area_id != g.area.id:
        abort(404)
    return proposal


def _position(position_id: int) -> Position:
    """The draft, if this user may read it (else 404). It follows its vote through voting's
    events, so loading it writes nothing."""
    position = db.session.get(Position, position_id)
    if (
        position is None
        or position.area_id != g.area.id
        or not permissions.can_read_position(current_user, position)
    ):
        abort(404)
    return position


def _comment(position: Position, comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.position_id != position.id:
        abort(404)
    return comment


def _amendment(position: Position, amendment_id: int) -> Amendment:
    amendment = db.session.get(Amendment, amendment_id)
    if amendment is None or amendment.position_id != position.id:
        abort(404)
    return amendment


def _confirmed() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


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
    return _render_proposal(_proposal(proposal_id))


@blueprint.post("/proposals/<int:proposal_id>/documents")
def add_documents(proposal_id: int) -> str | Response:
    proposal = _proposal(proposal_id)
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
    return _render_proposal(_proposal(proposal_id), form)


@blueprint.get("/proposals/<int:proposal_id>/documents/<int:document_id>")
def document(proposal_id: int, document_id: int) -> Response:
    proposal = _proposal(proposal_id)
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


@blueprint.get("/positions")
def positions() -> str:
    readable = list(
        db.session.execute(services.readable_positions(acting_user(), g.area)).scalars()
    )
    readable.sort(key=lambda position: position.latest.created_at, reverse=True)
    return render_template(
        "positions/positions.html",
        positions=readable,
        can_create=permissions.can_create_position(current_user, g.area),
    )


def _proposal_choices() -> list[SelectChoice]:
    proposals = db.session.execute(
        sa.select(Proposal)
        .where(Proposal.area_id == g.area.id)
        .order_by(Proposal.response_deadline.is_(None), Proposal.response_deadline)
    ).scalars()
    return [SelectChoice("", "It does not answer an ICS proposal")] + [
        SelectChoice(str(proposal.id), proposal.title) for proposal in proposals
    ]


def _position_form(tiers: list[Tier]) -> forms.PositionForm:
    if request.method == "POST":
        form = forms.PositionForm()
    else:
        answering = request.args.get("proposal", "")
        form = forms.PositionForm(data={"tier": Tier.GROUP.value, "proposal": answering})
    form.tier.choices = [SelectChoice(tier.value, tier.label) for tier in tiers]
    form.proposal.choices = _proposal_choices()
    return form


@blueprint.route("/positions/new", methods=["GET", "POST"])
def new_position() -> str | Response:
    if not permissions.can_create_position(current_user, g.area):
        abort(403)
    form = _position_form(permissions.tiers_for_new_position(current_user, g.area))
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            position = drafting.create_position(
                acting_user(),
                g.area,
                title=form.title.data,
                body_markdown=form.body_markdown.data,
                tier=Tier(form.tier.data),
                proposal=_proposal(int(form.proposal.data)) if form.proposal.data else None,
                now=utcnow(),
            )
        if not refused:
            flash("The draft has been saved as revision 1. You lead it.", "info")
            return redirect(url_for(".position", position_id=position.id))
    hints = {choice.value: TIER_HINTS[Tier(choice.value)] for choice in form.tier.choices}
    return render_template("positions/position_new.html", form=form, tier_hints=hints)


def _comment_form(position: Position, formdata: bool = False) -> forms.CommentForm:
    form = forms.CommentForm() if formdata else forms.CommentForm(formdata=None)
    form.comment_paragraph.choices = paragraph_choices(position, whole=True)
    # "Comment" beside paragraph N links here with ?paragraph=N (counted from 1).
    chosen = request.args.get("paragraph", "")
    if not formdata and chosen.isdigit() and 0 < int(chosen) < len(form.comment_paragraph.choices):
        form.comment_paragraph.data = str(int(chosen) - 1)
    return form


def _amendment_form(position: Position, formdata: bool = False) -> forms.AmendmentForm:
    form = forms.AmendmentForm() if formdata else forms.AmendmentForm(formdata=None)
    form.amendment_paragraph.choices = [
        SelectChoice("", "Choose a paragraph"),
        *paragraph_choices(position, whole=False),
    ]
    return form


def _lead_form(position: Position, formdata: bool = False) -> forms.LeadForm:
    form = forms.LeadForm() if formdata else forms.LeadForm(formdata=None)
    form.lead.choices = [SelectChoice("", "Choose a member")] + [
        SelectChoice(str(user.id), user.name)
        for user in drafting.possible_leads(position)
        if user.id != position.lead_id
    ]
    return form


def _render_position(position: Position, status: int = 200, **given: Any) -> tuple[str, int]:
    user = acting_user()
    can_lead = permissions.can_lead(user, position)
    amendments = services.position_amendments(position)
    comments = services.position_comments(position)
    rejecting = given.get("rejecting")
    context = {
        "position": position,
        "paragraphs": markdown_paragraphs(position.latest.body_markdown),
        "comments": comments,
        "open_comments": [c for c in comments if c.resolved_at is None],
        "amendments": amendments,
        "needs_behind": needs_services.needs_behind(user, position),
        "can_publish": statement_permissions.can_publish(user, position.area),
        "statement": statement_of(position, user),
        "amendment_changes": {
            a.id: diff.compare_words(amending.original_paragraph(a), a.replacement_markdown)
            for a in amendments
        },
        "outcomes": {a.id: amending.amendment_vote_outcome(a) for a in amendments},
        "vote_outcome": voting_public.outcome(position.vote),
        "can_lead": can_lead,
        "is_officer": permissions.is_officer(user, g.area),
        "can_edit": permissions.can_edit(user, position),
        "can_open_vote": permissions.can_open_vote(user, position),
        "can_return": permissions.can_return_to_drafting(user, position),
        "now": utcnow(),
        "comment_form": given.get("comment_form")
        or (_comment_form(position) if permissions.can_comment(user, position) else None),
        "amendment_form": given.get("amendment_form")
        or (
            _amendment_form(position) if permissions.can_propose_amendment(user, position) else None
        ),
        "reject_form": given.get("reject_form"),
        "reject_form_blank": forms.RejectForm(formdata=None),
        "rejecting": rejecting,
        "consultation_form": given.get("consultation_form")
        or (
            forms.ConsultationForm(formdata=None)
            if permissions.can_open_consultation(user, position)
            else None
        ),
        "lead_form": given.get("lead_form")
        or (_lead_form(position) if permissions.can_reassign_lead(user, position) else None),
        "can_decide": {
            a.id: permissions.can_decide_amendment(user, a, position) for a in amendments
        },
        "can_put_to_vote": {
            a.id: permissions.can_put_amendment_to_vote(user, a, position) for a in amendments
        },
        "changeable_comments": {
            c.id for c in comments if comment_changes.may_change(user, position, c, utcnow())
        },
        "comment_history_visible": comment_changes.can_see_history(user, position),
        "comment_edit_window": comment_changes.EDIT_WINDOW,
    }
    return render_template("positions/position.html", **context), status


@blueprint.get("/positions/<int:position_id>")
def position(position_id: int) -> tuple[str, int]:
    return _render_position(_position(position_id))


@blueprint.route("/positions/<int:position_id>/edit", methods=["GET", "POST"])
def edit(position_id: int) -> str | Response:
    position = _position(position_id)
    if not permissions.can_lead(current_user, position):
        abort(403)
    if position.state not in permissions.OPEN_FOR_CHANGES:
        flash("The text cannot change now: " + why_frozen(position), "error")
        return redirect(url_for(".position", position_id=position.id))
    form = _edit_form(position)
    conflict = None
    if form.validate_on_submit():
        revision, conflict = _save_revision(position, form)
        if revision is not None:
            flash(f"Saved as revision {revision.number}.", "info")
            return redirect(url_for(".position", position_id=position.id))
    return render_template("positions/edit.html", position=position, form=form, conflict=conflict)


def _edit_form(position: Position) -> forms.EditForm:
    if request.method == "POST":
        return forms.EditForm()
    latest = position.latest
    return forms.EditForm(
        data={
            "title": latest.title,
            "body_markdown": latest.body_markdown,
            "base_revision": str(latest.number),
        }
    )


def _save_revision(
    position: Position, form: forms.EditForm
) -> tuple[Revision | None, dict[str, Any] | None]:
    """The new revision; or None, with the clash of edits to show when someone else saved
    first (the form's errors say what went wrong)."""
    base_number = form.base_number()
    if base_number is None:
        abort(400)
    try:
        revision = drafting.save_revision(
            acting_user(),
            position,
            base_number=base_number,
            title=form.title.data,
            body_markdown=form.body_markdown.data,
            now=utcnow(),
        )
    except drafting.EditConflict as error:
        abandon_changes()
        form.form_errors.append(error.message)
        # The next save starts from what the user has now been shown.
        form.base_revision.data = str(error.latest.number)
        return None, edit_conflict_view(error)
    except DomainError as error:
        abandon_changes()
        form.form_errors.append(error.message)
        return None, None
    return revision, None


@blueprint.get("/positions/<int:position_id>/history")
def history(position_id: int) -> str:
    position = _position(position_id)
    latest = position.latest.number
    to_number = request.args.get("to", type=int) or latest
    from_number = request.args.get("from", type=int) or max(1, to_number - 1)
    old = drafting.revision_numbered(position, from_number)
    new = drafting.revision_numbered(position, to_number)
    if old is None or new is None:
        abort(404)
    return render_template(
        "positions/history.html",
        position=position,
        old=old,
        new=new,
        rows=diff.compare(old.body_markdown, new.body_markdown),
        title_change=diff.compare_words(old.title, new.title) if old.title != new.title else None,
    )


@blueprint.post("/positions/<int:position_id>/comments")
def comment(position_id: int) -> str | Response | tuple[str, int]:
    position = _position(position_id)
    if not permissions.can_participate(current_user, position):
        abort(403)
    form = _comment_form(position, formdata=True)
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            drafting.add_comment(
                acting_user(),
                position,
                body_markdown=form.comment_body.data,
                paragraph_index=form.paragraph_index(),
                now=utcnow(),
            )
        if not refused:
            flash("Your comment has been added.", "info")
            return redirect(url_for(".position", position_id=position.id, _anchor="comments"))
    return _render_position(_position(position_id), comment_form=form)


@blueprint.post("/positions/<int:position_id>/comments/<int:comment_id>/resolve")
def resolve_comment(position_id: int, comment_id: int) -> Response:
    position = _position(position_id)
    found = _comment(position, comment_id)
    if not permissions.can_lead(current_user, position):
        abort(403)
    _confirmed()
    with refusal_shown_on() as refused:
        drafting.resolve_comment(acting_user(), position, found, utcnow())
    if not refused:
        flash("The comment has been marked as resolved.", "info")
    return redirect(url_for(".position", position_id=position.id, _anchor="comments"))


@blueprint.post("/positions/<int:position_id>/amendments")
def propose_amendment(position_id: int) -> str | Response | tuple[str, int]:
    position = _position(position_id)
    if not permissions.can_participate(current_user, position):
        abort(403)
    form = _amendment_form(position, formdata=True)
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
    return _render_position(_position(position_id), amendment_form=form)


@blueprint.post("/positions/<int:position_id>/amendments/<int:amendment_id>/accept")
def accept_amendment(position_id: int, amendment_id: int) -> Response:
    position = _position(position_id)
    amendment = _amendment(position, amendment_id)
    if not permissions.can_lead(current_user, position):
        abort(403)
    _confirmed()
    with refusal_shown_on() as refused:
        revision = amending.accept_amendment(acting_user(), position, amendment, utcnow())
    if not refused:
        flash(f"The amendment has been accepted as revision {revision.number}.", "info")
    return redirect(url_for(".position", position_id=position.id, _anchor="amendments"))


@blueprint.post("/positions/<int:position_id>/amendments/<int:amendment_id>/reject")
def reject_amendment(position_id: int, amendment_id: int) -> str | Response | tuple[str, int]:
    position = _position(position_id)
    amendment = _amendment(position, amendment_id)
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
    return _render_position(_position(position_id), reject_form=form, rejecting=amendment.id)


def _vote_form() -> forms.VoteRulesForm:
    if request.method == "POST":
        return forms.VoteRulesForm()
    return forms.VoteRulesForm(data=forms.new_vote_rules_data(utcnow()))


@blueprint.route(
    "/positions/<int:position_id>/amendments/<int:amendment_id>/vote", methods=["GET", "POST"]
)
def amendment_vote(position_id: int, amendment_id: int) -> str | Response:
    position = _position(position_id)
    amendment = _amendment(position, amendment_id)
    if not permissions.can_put_amendment_to_vote(current_user, amendment, position):
        abort(403)
    form = _vote_form()
    if (
        form.validate_on_submit()
        and not request.form.get("change")
        and not _rule_errors(position, form)
    ):
        checking = _vote_check(position, amendment, form)
        if checking is not None:
            return checking
        with refusal_shown_on(form) as refused:
            vote = workflow.put_amendment_to_vote(
                acting_user(), position, amendment, form.settings(), utcnow()
            )
        if not refused:
            flash(
                f"The amendment has been put to the vote: {vote.title}. It opened at "
                f"{london_datetime(vote.opened_at)}.",
                "info",
            )
            return redirect(url_for(".position", position_id=position.id, _anchor="amendments"))
    return _render_amendment_vote(position, amendment, form)


def _render_amendment_vote(
    position: Position, amendment: Amendment, form: forms.VoteRulesForm
) -> str:
    return render_template(
        "positions/vote_form.html",
        position=position,
        amendment=amendment,
        original=amending.original_paragraph(amendment),
        question=workflow.amendment_question(amendment),
        form=form,
    )


@blueprint.post("/positions/<int:position_id>/consultation")
def open_consultation(position_id: int) -> str | Response | tuple[str, int]:
    position = _position(position_id)
    if not permissions.can_lead(current_user, position):
        abort(403)
    form = forms.ConsultationForm()
    if form.validate_on_submit():
        assert form.ends_at is not None
        # An end after the ICS's deadline is shown with a warning, and kept only when the
        # same day is sent again from that page.
        late = consultation.deadline_warning(position, form.ends_at)
        if late and request.form.get("accept_late") != form.ends_at.isoformat():
            return render_template(
                "positions/consultation_end.html",
                position=position,
                form=form,
                warning=late,
                accept_late=form.ends_at.isoformat(),
                heading="Open the consultation",
                button_text="Open the consultation",
                opening=True,
            )
        with refusal_shown_on(form) as refused:
            workflow.open_consultation(acting_user(), position, form.ends_at, utcnow())
        if not refused:
            flash(
                "The consultation is open: members can comment and propose amendments until "
                f"{london_datetime(form.ends_at)}. They have been emailed a link.",
                "info",
            )
            return redirect(url_for(".position", position_id=position.id))
    return _render_position(_position(position_id), consultation_form=form)


@blueprint.route("/positions/<int:position_id>/vote", methods=["GET", "POST"])
def open_vote(position_id: int) -> str | Response:
    position = _position(position_id)
    if not permissions.can_open_vote(current_user, position):
        abort(403)
    form = _vote_form()
    if (
        form.validate_on_submit()
        and not request.form.get("change")
        and not _rule_errors(position, form)
    ):
        checking = _vote_check(position, None, form)
        if checking is not None:
            return checking
        with refusal_shown_on(form) as refused:
            vote = workflow.open_position_vote(acting_user(), position, form.settings(), utcnow())
        if not refused:
            flash(
                f"The vote on revision {position.voted_revision_number} opened at "
                f"{london_datetime(vote.opened_at)} and is open until "
                f"{london_datetime(vote.closes_at)}. The text cannot change while it is open.",
                "info",
            )
            return redirect(url_for(".position", position_id=position.id))
    return render_template("positions/vote_form.html", position=position, amendment=None, form=form)


def _rule_errors(position: Position, form: forms.VoteRulesForm) -> bool:
    """Put on their fields, in plain words, the rules the count could never meet (a cap too
    small for the organisations that vote, say); whether there were any."""
    answers = {field.name: field.data for field in form}
    voting = workflow.voting_organisations(position, list(form.voting_kinds.data or []))
    errors = setup.plain_rule_errors(answers, voting)
    for name, message in errors.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
    return bool(errors)


def _vote_check(
    position: Position, amendment: Amendment | None, form: forms.VoteRulesForm
) -> str | None:
    """The check page before a vote opens from a draft (it emails every organisation that
    votes, and cannot be undone); None once the lead has confirmed it there."""
    if request.form.get("confirmed") == "yes":
        return None
    settings = form.settings()
    try:
        rules = counting.parse_rules(settings.rules, "motion")
    except counting.RecordError:
        return None  # the service refuses it, with its reason on the form
    how_decided = explain.how_decided(
        rules,
        explain.Setting(
            kind="motion",
            voting_kinds=list(settings.voting_kinds),
            secret=settings.secrecy is BallotSecrecy.SECRET,
        ),
    )
    return render_template(
        "positions/vote_open_check.html",
        position=position,
        amendment=amendment,
        form=form,
        settings=settings,
        how_decided=how_decided,
        organisations=workflow.voting_organisations(position, settings.voting_kinds),
    )


@blueprint.post("/positions/<int:position_id>/redraft")
def return_to_drafting(position_id: int) -> Response:
    position = _position(position_id)
    if not permissions.can_lead(current_user, position):
        abort(403)
    _confirmed()
    with refusal_shown_on() as refused:
        workflow.return_to_drafting(acting_user(), position, utcnow())
    if not refused:
        flash("The position is back in drafting for another round.", "info")
    return redirect(url_for(".position", position_id=position.id))


@blueprint.post("/positions/<int:position_id>/lead")
def change_lead(position_id: int) -> str | Response | tuple[str, int]:
    position = _position(position_id)
    if not permissions.can_reassign_lead(current_user, position):
        abort(403)
    form = _lead_form(position, formdata=True)
    if form.validate_on_submit() and form.lead.data:
        new_lead = db.session.get(User, int(form.lead.data))
        if new_lead is None:
            abort(404)
        with refusal_shown_on(form) as refused:
            drafting.reassign_lead(acting_user(), position, new_lead)
        if not refused:
            flash(f"{new_lead.name} now leads this draft.", "info")
            return redirect(url_for(".position", position_id=position.id))
    elif not form.lead.errors:
        form.lead.errors = ["Choose the new drafting lead"]
    return _render_position(_position(position_id), lead_form=form)
