"""Position drafts: the list, starting one, its page, editing it into a new revision, its
history, comments on it and who leads it.

Two people editing at once: the second save is refused with both texts shown, and the next
save starts from what that person has now seen."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from portal.accounts.models import User
from portal.database import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.http import abandon_changes, acting_user, refusal_shown_on
from portal.markdown import markdown_paragraphs
from portal.page_parts import parts_of
from portal.positions import amendments as amending
from portal.positions import comment_changes, diff, drafting, forms, permissions, services
from portal.positions.blueprint import (
    blueprint,
    confirmed,
    load_comment,
    load_position,
    load_proposal,
)
from portal.positions.models import Position, Proposal, Revision, Tier
from portal.positions.presenters import (
    TIER_HINTS,
    edit_conflict_view,
    paragraph_choices,
    why_frozen,
)
from portal.voting import public as voting_public


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
                proposal=load_proposal(int(form.proposal.data)) if form.proposal.data else None,
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


def amendment_form(position: Position, formdata: bool = False) -> forms.AmendmentForm:
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


def render_position(position: Position, status: int = 200, **given: Any) -> tuple[str, int]:
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
        # The needs behind the draft and the statement it became come from those domains.
        **parts_of("position", user=user, position=position),
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
            amendment_form(position) if permissions.can_propose_amendment(user, position) else None
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
    return render_position(load_position(position_id))


@blueprint.route("/positions/<int:position_id>/edit", methods=["GET", "POST"])
def edit(position_id: int) -> str | Response:
    position = load_position(position_id)
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
    position = load_position(position_id)
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
    position = load_position(position_id)
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
    return render_position(load_position(position_id), comment_form=form)


@blueprint.post("/positions/<int:position_id>/comments/<int:comment_id>/resolve")
def resolve_comment(position_id: int, comment_id: int) -> Response:
    position = load_position(position_id)
    found = load_comment(position, comment_id)
    if not permissions.can_lead(current_user, position):
        abort(403)
    confirmed()
    with refusal_shown_on() as refused:
        drafting.resolve_comment(acting_user(), position, found, utcnow())
    if not refused:
        flash("The comment has been marked as resolved.", "info")
    return redirect(url_for(".position", position_id=position.id, _anchor="comments"))


@blueprint.post("/positions/<int:position_id>/lead")
def change_lead(position_id: int) -> str | Response | tuple[str, int]:
    position = load_position(position_id)
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
    return render_position(load_position(position_id), lead_form=form)
