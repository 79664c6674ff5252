"""Weighted votes: the list, a vote's page, casting with a receipt, results and downloads.

Views are thin: load the vote (404 when the user may not see it), authorise (403 for what the
user may see but not do), validate the form and call one service. A page view never closes a
vote: the worker does, and until it has counted a vote past its closing time, the pages show it
"closed, being counted".
Nobody sees how a vote is going before it closes: pages say whether an organisation has voted,
never what it chose, and officers see only how many have voted.

A choice on its way to the "check your answer" page waits in the session, not in the address:
addresses end up in access logs and browser history, and a secret ballot must not."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
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
    session,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from portal.accounts.forms import ConfirmForm
from portal.database import utcnow
from portal.extensions import db
from portal.http import acting_user, refusal_shown_on
from portal.names import display_name
from portal.navigation import add_link
from portal.organisations.area_context import bind_area
from portal.organisations.models import Organisation, OrganisationKind
from portal.times import london_datetime
from portal.voting import casting as casting_once
from portal.voting import (
    closing,
    conflicts,
    opening,
    reports,
    scrutiny,
    services,
    setup_check,
)
from portal.voting import proxies as voting_proxies
from portal.voting.forms import (
    KIND_LABELS,
    CancelVoteForm,
    CastForm,
    ConfirmCastForm,
    ConflictForm,
    EmailReceiptForm,
    InterestForm,
    ProxyForm,
    RulingForm,
    VoteForm,
    choice_list,
    new_vote_data,
    vote_data,
)
from portal.voting.models import (
    Ballot,
    ConflictDeclaration,
    ConflictRuling,
    ElectorateMember,
    InterestCategory,
    Proxy,
    Vote,
    VoteState,
)
from portal.voting.permissions import (
    can_cancel_vote,
    can_download_record,
    can_manage_votes,
    can_see_results,
    can_see_vote,
    can_see_votes,
    casts_for,
)
from portal.voting.presenters import (
    OUTCOMES,
    accepting_changes,
    active_proxy,
    being_counted,
    casting_cards,
    conflict_declarations,
    conflict_organisations,
    interest_register,
    member_shares,
    option_label,
    own_organisations,
    proposal_choices,
    proxy_practices,
    results_page,
    share_text,
    state_label,
    vote_list,
    why_blocked,
)
from portal.voting.published import how_decided_for

# Checking a receipt needs no account and no area; the app registers it from here.
from portal.voting.receipts import receipts_blueprint  # noqa: F401

blueprint = Blueprint(
    "voting", __name__, url_prefix="/areas/<area_slug>/votes", template_folder="templates"
)


bind_area(blueprint)
add_link(blueprint, "Votes", "voting.index", order=30, visible=can_see_votes)

CONFLICT_DECLARED = "The conflict of {name} has been declared. An officer will rule on it."


@blueprint.before_request
def _require_group_member() -> None:
    """Deny by default: only members of the area's group (not ICS readers) see its votes."""
    if not can_see_votes(current_user, g.area):
        abort(404)


@blueprint.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "percent": share_text,
        "option_label": option_label,
        "outcomes": OUTCOMES,
        "vote_state": lambda vote: state_label(vote, utcnow()),
        "kind_labels": KIND_LABELS,
        "kind_label": lambda kind: OrganisationKind(kind).label,
    }


def _vote(vote_id: int) -> Vote:
    """The vote, if this user may see it (else 404). Only the worker closes votes: one past its
    closing time and not yet counted is shown "closed, being counted"."""
    vote = db.session.get(Vote, vote_id)
    if vote is None or vote.area_id != g.area.id or not can_see_vote(current_user, vote):
        abort(404)
    return vote


@blueprint.get("/")
@login_required
def index() -> str:
    return render_template("voting/index.html", **vote_list(acting_user(), g.area, utcnow()))


@blueprint.route("/interests", methods=["GET", "POST"])
@login_required
def interests() -> str | Response:
    own = own_organisations()
    form = InterestForm()
    form.organisation.choices = choice_list((str(org.id), display_name(org.name)) for org in own)
    if form.validate_on_submit():
        organisation = next(org for org in own if str(org.id) == form.organisation.data)
        with refusal_shown_on(form) as refused:
            conflicts.declare_interest(
                acting_user(),
                organisation,
                InterestCategory(form.category.data),
                form.description.data,
            )
        if not refused:
            flash(f"The interest of {organisation.name} has been added to the register.", "info")
            return redirect(url_for(".interests"))
    return render_template("voting/interests.html", form=form, register=interest_register(own))


def _pcn_choices(vote: Vote | None) -> list[Any]:
    pcns = db.session.execute(
        sa.select(Organisation)
        .where(
            Organisation.area_id == g.area.id,
            Organisation.kind == OrganisationKind.PCN,
            Organisation.closed_on.is_(None),
        )
        .order_by(Organisation.name)
    ).scalars()
    choices = [(pcn.ods_code, f"{display_name(pcn.name)} ({pcn.ods_code})") for pcn in pcns]
    known = {code for code, _ in choices}
    # A network chosen for a draft that has since closed stays visible, so it can be unticked.
    chosen = (vote.pcn_codes if vote else None) or []
    choices += [(code, code) for code in chosen if code not in known]
    return choice_list(choices)


def _save_vote(form: VoteForm, vote: Vote | None) -> str | Response:
    warning = None
    if form.validate_on_submit():
        if form.use_banded.data:
            form.switch_to_banded()
        details = form.details()
        if not (form.keep_weights.data or form.use_banded.data):
            warning = setup_check.for_details(g.area, details)
        if warning is None:
            with refusal_shown_on(form) as refused:
                details = dataclasses.replace(
                    details,
                    scrutineers=scrutiny.find_scrutineers(g.area, form.scrutineers.data or ""),
                )
                if vote is None:
                    vote = services.create_vote(acting_user(), g.area, details)
                    message = "The vote has been saved as a draft. Open it when it is ready."
                else:
                    services.update_vote(acting_user(), vote, details)
                    message = "The draft has been saved."
            if not refused:
                if form.use_banded.data:
                    message += " Weights are in bands of patients, so more practices share one."
                flash(message, "info")
                return redirect(url_for(".vote", vote_id=vote.id))
    return render_template("voting/edit.html", form=form, vote=vote, warning=warning)


@blueprint.route("/new", methods=["GET", "POST"])
@login_required
def new() -> str | Response:
    if not can_manage_votes(current_user, g.area):
        abort(403)
    form = VoteForm() if request.method == "POST" else VoteForm(data=new_vote_data(utcnow()))
    form.pcn_codes.choices = _pcn_choices(None)
    form.proposal.choices = proposal_choices(g.area)
    return _save_vote(form, None)


@blueprint.route("/<int:vote_id>/edit", methods=["GET", "POST"])
@login_required
def edit(vote_id: int) -> str | Response:
    vote = _vote(vote_id)
    if not can_manage_votes(current_user, vote.area):
        abort(403)
    if vote.state is not VoteState.DRAFT:
        flash("The rules and text cannot change once the vote has opened.", "error")
        return redirect(url_for(".vote", vote_id=vote.id))
    form = VoteForm() if request.method == "POST" else VoteForm(data=vote_data(vote))
    form.pcn_codes.choices = _pcn_choices(vote)
    form.proposal.choices = proposal_choices(g.area)
    return _save_vote(form, vote)


def _proxy_form(vote: Vote, grantor: Organisation, formdata: bool = False) -> ProxyForm:
    form = ProxyForm(
        prefix=f"proxy-{grantor.ods_code}", formdata=request.form if formdata else None
    )
    form.holder.choices = choice_list(
        [("", "Choose a practice")]
        + [
            (member.ods_code, display_name(member.name))
            for member in sorted(vote.electorate, key=lambda member: member.name)
            if member.kind == OrganisationKind.PRACTICE.value
            and member.organisation_id != grantor.id
            and not member.recused
        ]
    )
    form.instruction.choices = choice_list(
        [("", "No instruction: the proxy decides")]
        + [(option, option_label(vote, option)) for option in vote.options]
    )
    return form


def _conflict_form(vote: Vote, formdata: bool = False) -> ConflictForm:
    declared = set(
        db.session.execute(
            sa.select(ConflictDeclaration.organisation_id).where(
                ConflictDeclaration.vote_id == vote.id
            )
        ).scalars()
    )
    form = ConflictForm(prefix="conflict", formdata=request.form if formdata else None)
    form.organisation.choices = choice_list(
        (org.ods_code, display_name(org.name))
        for org in conflict_organisations(vote)
        if org.id not in declared
    )
    return form


def _ruling_form(declaration: ConflictDeclaration, formdata: bool = False) -> RulingForm:
    current = declaration.ruling
    return RulingForm(
        prefix=f"ruling-{declaration.id}",
        formdata=request.form if formdata else None,
        data={"ruling": None if current is ConflictRuling.PENDING else current.value},
    )


def _render_vote(
    vote: Vote,
    *,
    proxy_forms: dict[int, ProxyForm] | None = None,
    conflict_form: ConflictForm | None = None,
    ruling_forms: dict[int, RulingForm] | None = None,
    cancel_form: CancelVoteForm | None = None,
) -> str:
    user = acting_user()
    manager = can_manage_votes(user, vote.area)
    shares = member_shares(vote)
    proxy_sections = []
    for practice in proxy_practices(vote):
        active = active_proxy(vote, practice)
        form = (proxy_forms or {}).get(practice.id) or _proxy_form(vote, practice)
        proxy_sections.append((practice, active, form))
    declarations = conflict_declarations(vote)
    conflict_ids = {organisation.id for organisation in conflict_organisations(vote)}
    own_declarations = [d for d in declarations if d.organisation_id in conflict_ids]
    if conflict_form is None and conflict_ids:
        conflict_form = _conflict_form(vote)
    context: dict[str, Any] = {
        "vote": vote,
        "manager": manager,
        "being_counted": being_counted(vote, utcnow()),
        "cards": casting_cards(vote, shares) if vote.state is VoteState.OPEN else [],
        "proxy_sections": proxy_sections,
        "own_declarations": own_declarations,
        "conflict_form": conflict_form
        if conflict_form and conflict_form.organisation.choices
        else None,
        "results_visible": can_see_results(user, vote),
        "error_forms": [
            form
            for form in [
                *(proxy_forms or {}).values(),
                conflict_form,
                *(ruling_forms or {}).values(),
                cancel_form,
            ]
            if form is not None and (form.errors or form.form_errors)
        ],
        "cancel_form": (cancel_form or CancelVoteForm(formdata=None))
        if can_cancel_vote(user, vote)
        else None,
    }
    if manager:
        rulings_open = accepting_changes(vote)
        context["declarations"] = [
            (
                declaration,
                ((ruling_forms or {}).get(declaration.id) or _ruling_form(declaration))
                if rulings_open
                else None,
            )
            for declaration in declarations
        ]
        eligible = [member for member in vote.electorate if not member.recused]
        context["eligible_count"] = len(eligible)
        context["voted_count"] = db.session.execute(
            sa.select(sa.func.count(Ballot.id)).where(Ballot.vote_id == vote.id)
        ).scalar_one()
        context["electorate"] = [
            (member, shares.get(member.organisation_id)) for member in vote.electorate
        ]
    context["how_decided"] = how_decided_for(vote)
    return render_template("voting/vote.html", **context)


@blueprint.get("/<int:vote_id>")
@login_required
def vote(vote_id: int) -> str:
    return _render_vote(_vote(vote_id))


@blueprint.get("/<int:vote_id>/open")
@login_required
def open_check(vote_id: int) -> str | Response:
    """Check before opening: what is put to the vote, how it is decided, who is emailed."""
    vote = _vote(vote_id)
    if not can_manage_votes(current_user, vote.area):
        abort(403)
    if vote.state is not VoteState.DRAFT:
        return redirect(url_for(".vote", vote_id=vote_id))
    return render_template(
        "voting/open_check.html",
        vote=vote,
        opening=opening.preview(vote, utcnow()),
        how_decided=how_decided_for(vote),
        exposure=setup_check.for_vote(vote),
        form=ConfirmForm(),
    )


@blueprint.post("/<int:vote_id>/open")
@login_required
def open_vote(vote_id: int) -> Response:
    vote = _vote(vote_id)
    if not can_manage_votes(current_user, vote.area):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with refusal_shown_on() as refused:
        services.open_vote(acting_user(), vote, utcnow())
    if not refused:
        flash(
            f"The vote opened at {london_datetime(vote.opened_at)} to "
            f"{len(vote.electorate)} organisations. "
            "Those who cast their ballots have been emailed.",
            "info",
        )
    return redirect(url_for(".vote", vote_id=vote_id))


@blueprint.post("/<int:vote_id>/cancel")
@login_required
def cancel_vote(vote_id: int) -> str | Response:
    vote = _vote(vote_id)
    if not can_manage_votes(current_user, vote.area):
        abort(403)
    form = CancelVoteForm()
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            closing.cancel_vote(acting_user(), vote, form.reason.data, utcnow())
        if not refused:
            flash("The vote has been cancelled. No ballot will be counted.", "info")
            return redirect(url_for(".vote", vote_id=vote.id))
    return _render_vote(vote, cancel_form=form)


def _organisation_in_area(ods_code: str, kind: OrganisationKind) -> Organisation:
    organisation = db.session.execute(
        sa.select(Organisation).where(
            Organisation.area_id == g.area.id,
            Organisation.kind == kind,
            Organisation.ods_code == ods_code,
        )
    ).scalar_one_or_none()
    if organisation is None:
        abort(404)
    return organisation


@blueprint.post("/<int:vote_id>/proxy/<ods_code>")
@login_required
def name_proxy(vote_id: int, ods_code: str) -> str | Response:
    vote = _vote(vote_id)
    grantor = _organisation_in_area(ods_code, OrganisationKind.PRACTICE)
    if not casts_for(current_user, grantor):
        abort(403)
    form = _proxy_form(vote, grantor, formdata=True)
    if form.validate_on_submit():
        holder = _organisation_in_area(form.holder.data, OrganisationKind.PRACTICE)
        with refusal_shown_on(form) as refused:
            voting_proxies.name_proxy(
                acting_user(), vote, grantor, holder, form.instruction.data or None, utcnow()
            )
        if not refused:
            flash(f"{holder.name} can now cast {grantor.name}'s ballot in this vote.", "info")
            return redirect(url_for(".vote", vote_id=vote.id, _anchor="proxy"))
    return _render_vote(vote, proxy_forms={grantor.id: form})


@blueprint.post("/<int:vote_id>/proxies/<int:proxy_id>/revoke")
@login_required
def revoke_proxy(vote_id: int, proxy_id: int) -> Response:
    vote = _vote(vote_id)
    proxy = db.session.get(Proxy, proxy_id)
    if proxy is None or proxy.vote_id != vote.id:
        abort(404)
    if not casts_for(current_user, proxy.grantor):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with refusal_shown_on() as refused:
        voting_proxies.revoke_proxy(acting_user(), proxy, utcnow())
    if not refused:
        flash(f"The proxy has been revoked: {proxy.grantor.name} casts its own ballot.", "info")
    return redirect(url_for(".vote", vote_id=vote.id, _anchor="proxy"))


@blueprint.post("/<int:vote_id>/conflicts")
@login_required
def declare_conflict(vote_id: int) -> str | Response:
    vote = _vote(vote_id)
    organisations = conflict_organisations(vote)
    if not organisations:
        abort(403)
    form = _conflict_form(vote, formdata=True)
    if form.validate_on_submit():
        organisation = next(org for org in organisations if org.ods_code == form.organisation.data)
        category, description = InterestCategory(form.category.data), form.description.data
        with refusal_shown_on(form) as refused:
            conflicts.declare_conflict(
                acting_user(), vote, organisation, category, description, utcnow()
            )
        if not refused:
            flash(CONFLICT_DECLARED.format(name=organisation.name), "info")
            return redirect(url_for(".vote", vote_id=vote.id, _anchor="conflicts"))
    return _render_vote(vote, conflict_form=form)


@blueprint.post("/<int:vote_id>/conflicts/<int:declaration_id>")
@login_required
def rule_on_conflict(vote_id: int, declaration_id: int) -> str | Response:
    vote = _vote(vote_id)
    declaration = db.session.get(ConflictDeclaration, declaration_id)
    if declaration is None or declaration.vote_id != vote.id:
        abort(404)
    if not can_manage_votes(current_user, vote.area):
        abort(403)
    form = _ruling_form(declaration, formdata=True)
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            conflicts.rule_on_conflict(
                acting_user(), declaration, ConflictRuling(form.ruling.data), utcnow()
            )
        if not refused:
            flash(f"The ruling on {declaration.organisation.name}'s conflict is recorded.", "info")
            return redirect(url_for(".vote", vote_id=vote.id, _anchor="officer"))
    return _render_vote(vote, ruling_forms={declaration.id: form})


@dataclass
class Casting:
    vote: Vote
    organisation: Organisation
    member: ElectorateMember
    proxy: Proxy | None

    @cached_property
    def share(self) -> Fraction | None:
        """The member's share of the weight: worked out from the whole electorate, so only
        for the pages that show it, never for the confirm POST."""
        return member_shares(self.vote).get(self.organisation.id)


def _casting(vote: Vote, ods_code: str) -> Casting:
    """The organisation in the vote's electorate (else 404) whose ballot the user may cast,
    as its own voter or its proxy (else 403). One row is read, not the whole electorate."""
    member = (
        db.session.execute(
            sa.select(ElectorateMember)
            .where(ElectorateMember.vote_id == vote.id, ElectorateMember.ods_code == ods_code)
            .order_by(ElectorateMember.id)
        )
        .scalars()
        .first()
    )
    if member is None:
        abort(404)
    organisation = member.organisation
    proxy = None
    if not casts_for(current_user, organisation):
        proxy = voting_proxies.proxy_held_by(acting_user(), vote, organisation)
        if proxy is None:
            abort(403)
    return Casting(vote, organisation, member, proxy)


def _pending_key(vote: Vote, casting: Casting) -> str:
    return f"pending-ballot-{vote.id}-{casting.member.ods_code}"


def _pending(vote: Vote, casting: Casting) -> dict[str, str] | None:
    """The answer chosen and its unused one-time token, from the session; None if none."""
    pending = session.get(_pending_key(vote, casting))
    if not isinstance(pending, dict) or pending.get("choice") not in dict(_choices(vote, casting)):
        return None
    if not casting_once.is_unused(vote, casting.organisation, str(pending.get("token", ""))):
        return None
    return pending


def _accepting_casting(vote_id: int, ods_code: str) -> tuple[Vote, Casting]:
    """The vote and the ballot the user may cast in it, while it takes ballots; otherwise
    back to the vote's page, saying why."""
    vote = _vote(vote_id)
    casting = _casting(vote, ods_code)
    ballot = casting_once.ballot_of(vote, casting.organisation)
    problem = why_blocked(vote, casting.member, ballot, casting.proxy)
    if problem is not None:
        flash(problem, "error")
        abort(redirect(url_for(".vote", vote_id=vote.id)))
    return vote, casting


def _render_casting(template: str, vote: Vote, casting: Casting, **context: Any) -> str:
    has_voted = casting_once.ballot_of(vote, casting.organisation) is not None
    return render_template(template, vote=vote, casting=casting, has_voted=has_voted, **context)


def _choices(vote: Vote, casting: Casting) -> list[tuple[str, str]]:
    """The options; only the instructed one when a proxy casts under an instruction."""
    options = vote.options
    if casting.proxy is not None and casting.proxy.instruction:
        options = [casting.proxy.instruction]
    return [(option, option_label(vote, option)) for option in options]


@blueprint.route("/<int:vote_id>/cast/<ods_code>", methods=["GET", "POST"])
@login_required
def cast(vote_id: int, ods_code: str) -> str | Response:
    vote, casting = _accepting_casting(vote_id, ods_code)
    form = CastForm()
    form.choice.choices = choice_list(_choices(vote, casting))
    if form.validate_on_submit():
        with refusal_shown_on(form) as refusal:
            token = casting_once.issue(vote, casting.organisation, form.choice.data)
            session[_pending_key(vote, casting)] = {"token": token, "choice": form.choice.data}
        if not refusal:
            return redirect(url_for(".check", vote_id=vote.id, ods_code=ods_code))
    elif request.method == "GET" and (pending := _pending(vote, casting)) is not None:
        form.choice.data = pending["choice"]
    return _render_casting("voting/cast.html", vote, casting, form=form)


@blueprint.get("/<int:vote_id>/cast/<ods_code>/check")
@login_required
def check(vote_id: int, ods_code: str) -> str | Response:
    vote, casting = _accepting_casting(vote_id, ods_code)
    pending = _pending(vote, casting)
    if pending is None:
        return redirect(url_for(".cast", vote_id=vote.id, ods_code=ods_code))
    form = ConfirmCastForm(token=pending["token"])
    return _render_casting("voting/check.html", vote, casting, choice=pending["choice"], form=form)


def _pending_choice(vote: Vote, casting: Casting, token: str) -> str:
    """The answer this confirmation page was for; empty once it has left the session."""
    pending = session.get(_pending_key(vote, casting))
    if not isinstance(pending, dict) or pending.get("token") != token:
        return ""
    return str(pending.get("choice", ""))


def _receipt_key(vote: Vote, casting: Casting) -> str:
    return f"receipt-{vote.id}-{casting.member.ods_code}"


def _keep_receipt(vote: Vote, casting: Casting, code: str | None) -> None:
    """The answer is cast: it leaves the session, and the new receipt code (None when this
    confirmation had already cast) waits there for the receipt page."""
    session.pop(_pending_key(vote, casting), None)
    if code is not None:
        session[_receipt_key(vote, casting)] = code


@blueprint.post("/<int:vote_id>/cast/<ods_code>/confirm")
@login_required
def confirm(vote_id: int, ods_code: str) -> Response:
    """Cast once, then redirect to the receipt (post/redirect/get): reloading the receipt, or
    sending this page again, casts nothing more."""
    vote = _vote(vote_id)
    casting = _casting(vote, ods_code)
    form = ConfirmCastForm()
    if not form.validate_on_submit():
        abort(400)
    token = form.token.data or ""
    choice = _pending_choice(vote, casting, token)
    confirmed = None
    with refusal_shown_on() as refused:
        confirmed = casting_once.confirm(
            acting_user(), vote, casting.organisation, token, choice, utcnow()
        )
    if refused or confirmed is None:
        return redirect(url_for(".vote", vote_id=vote_id))
    _keep_receipt(vote, casting, confirmed.code)
    return redirect(url_for(".receipt", vote_id=vote.id, ods_code=ods_code))


@blueprint.get("/<int:vote_id>/cast/<ods_code>/receipt")
@login_required
def receipt(vote_id: int, ods_code: str) -> str | Response:
    """The receipt of the ballot just cast; its code comes from the session, never the URL."""
    vote = _vote(vote_id)
    casting = _casting(vote, ods_code)
    ballot = casting_once.ballot_of(vote, casting.organisation)
    if ballot is None:
        return redirect(url_for(".vote", vote_id=vote_id))
    return render_template(
        "voting/receipt.html",
        vote=vote,
        casting=casting,
        ballot=ballot,
        code=session.get(_receipt_key(vote, casting)),
        email_form=EmailReceiptForm(),
    )


@blueprint.post("/<int:vote_id>/cast/<ods_code>/receipt/email")
@login_required
def email_receipt(vote_id: int, ods_code: str) -> Response:
    vote = _vote(vote_id)
    casting = _casting(vote, ods_code)
    form = EmailReceiptForm()
    if not form.validate_on_submit():
        abort(400)
    code = session.get(_receipt_key(vote, casting))
    if code is None:
        flash("There is no receipt code to send: it is kept only where the ballot was cast.")
    else:
        casting_once.email_receipt(
            acting_user(), code, url_for("receipts.receipt_check", _external=True)
        )
        flash(f"The receipt code is on its way to {acting_user().email}.", "success")
    return redirect(url_for(".receipt", vote_id=vote_id, ods_code=ods_code))


def _closed_vote(vote_id: int) -> Vote:
    vote = _vote(vote_id)
    if not can_see_results(current_user, vote):
        abort(404)
    return vote


@blueprint.get("/<int:vote_id>/results")
@login_required
def results(vote_id: int) -> str:
    return render_template(
        "voting/results.html", **results_page(_closed_vote(vote_id), acting_user())
    )


def _ballot_record(vote_id: int) -> tuple[Vote, str]:
    """The counted vote and its stored record, if this user may download it (else 404)."""
    vote = _closed_vote(vote_id)
    if not can_download_record(current_user, vote) or vote.ballot_record is None:
        abort(404)
    return vote, vote.ballot_record


@blueprint.get("/<int:vote_id>/record.json")
@login_required
def record_json(vote_id: int) -> Response:
    """The stored ballot record, byte for byte, so its SHA-256 is the one on the results page."""
    vote, record = _ballot_record(vote_id)
    return Response(
        record.encode(),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="vote-{vote.id}-ballot-record.json"'
        },
    )


@blueprint.get("/<int:vote_id>/ballots.csv")
@login_required
def ballots_csv(vote_id: int) -> Response:
    vote, _ = _ballot_record(vote_id)
    return Response(
        reports.ballots_csv(vote),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="vote-{vote.id}-ballots.csv"'},
    )
