"""Agreements: the list, setting one up, the agreement on any date (and its CSV), signing up
on a check-your-answers page, notice, versions compared and put to the signatories' vote, and
the lead's reports.

Deny by default: a page needs someone who may see agreements (404 otherwise); an action they
may see but not take is 403.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.agreements import (
    days,
    forms,
    oversight,
    permissions,
    presenters,
    procedure_versions,
    rolls,
    setting_up,
    signing,
)
from portal.agreements.models import (
    Agreement,
    CostSharing,
    RagStatus,
    ReportFrequency,
    VoteWeighting,
)
from portal.database import utcnow
from portal.extensions import db
from portal.http import acting_user, refusal_shown_on
from portal.names import display_name
from portal.navigation import add_link
from portal.organisations.area_context import bind_area
from portal.organisations.models import Organisation
from portal.organisations.permissions import is_officer
from portal.positions import diff
from portal.times import LONDON

blueprint = Blueprint(
    "agreements", __name__, url_prefix="/areas/<area_slug>/agreements", template_folder="templates"
)
bind_area(blueprint)
add_link(
    blueprint, "Agreements", "agreements.index", order=61, visible=permissions.can_see_agreements
)


@blueprint.before_request
def _require_reader() -> None:
    if not permissions.can_see_agreements(current_user, g.area):
        abort(404)


def _today() -> date:
    return utcnow().astimezone(LONDON).date()


def _agreement(agreement_id: int) -> Agreement:
    agreement = db.session.get(Agreement, agreement_id)
    if agreement is None or agreement.area_id != g.area.id:
        abort(404)
    if not permissions.can_see(current_user, agreement):
        abort(404)
    return agreement


def _day_asked() -> date:
    text = request.args.get("on")
    if not text:
        return _today()
    day = forms.day_from_query(text)
    if day is None:
        abort(400, description="Give the date as year-month-day, for example 2027-01-31")
    return day


def _practice_of_user(practice_id: str | None) -> Organisation:
    """One of the practices the user is a GP partner of: the one named, or the only one."""
    practices = permissions.signing_practices(current_user, g.area)
    if not practices:
        abort(403, description="Only a GP partner can act for a practice")
    if not practice_id and len(practices) == 1:
        return practices[0]
    for practice in practices:
        if str(practice.id) == practice_id:
            return practice
    abort(403, description="You are not a GP partner of that practice")


@blueprint.get("/")
def index() -> str:
    agreements = setting_up.visible_agreements(current_user, g.area)
    today = _today()
    return render_template(
        "agreements/index.html",
        agreements=agreements,
        rolls={a.id: rolls.roll_on(a, today) for a in agreements},
        flags={
            a.id: oversight.oversight_flags(a, today)
            for a in agreements
            if permissions.can_see_oversight_flags(current_user, a)
        },
        may_set_up=permissions.can_set_up(current_user, g.area),
    )


def _practice_asked(posted: str | None) -> Organisation:
    """The practice the form was sent for, or on a page's first showing the one in its
    address (the user's own when they have one only)."""
    return _practice_of_user(posted if request.method == "POST" else request.args.get("practice"))


def _lead_choices(form: forms.AgreementForm) -> list[Organisation]:
    if is_officer(current_user, g.area):
        leads = setting_up.lead_candidates(g.area)
    else:
        leads = permissions.lead_organisations_of(current_user, g.area)
    form.lead.choices = [SelectChoice("", "Choose the lead")] + [
        SelectChoice(str(o.id), f"{display_name(o.name)} ({o.kind.label})") for o in leads
    ]
    return leads


@blueprint.route("/new", methods=["GET", "POST"])
def new() -> ResponseReturnValue:
    if not permissions.can_set_up(current_user, g.area):
        abort(403)
    form = forms.AgreementForm()
    leads = _lead_choices(form)
    if form.validate_on_submit():
        lead = next(o for o in leads if str(o.id) == form.lead.data)
        terms = _terms(form)
        with refusal_shown_on(form) as refused:
            agreement = setting_up.create_agreement(
                acting_user(), g.area, lead, terms, form.procedure.data or "", utcnow()
            )
        if not refused:
            flash(f"{agreement.title} has been set up.", "info")
            return redirect(url_for(".agreement", agreement_id=agreement.id))
    status = 400 if request.method == "POST" else 200
    return render_template("agreements/new.html", form=form), status


def _terms(form: forms.AgreementForm) -> setting_up.Terms:
    return setting_up.Terms(
        title=form.title.data or "",
        gives_up=form.gives_up.data or "",
        gets=form.gets.data or "",
        who_does_what_markdown=form.who_does_what.data or "",
        oversight=form.oversight.data or "",
        report_frequency=ReportFrequency(form.report_frequency.data),
        review_on=form.review_on.data,
        starts_on=form.starts_on.data,
        minimum_term_months=form.minimum_term_months.data or 0,
        notice_period_months=form.notice_period_months.data or 0,
        cost_sharing=CostSharing(form.cost_sharing.data),
        annual_cost=form.annual_cost.data,
        vote_weighting=VoteWeighting(form.vote_weighting.data),
        visible_to_ics=bool(form.visible_to_ics.data),
    )


@blueprint.get("/<int:agreement_id>")
def agreement(agreement_id: int) -> str:
    found = _agreement(agreement_id)
    today = _today()
    day = _day_asked()
    return render_template(
        "agreements/agreement.html",
        **presenters.agreement_page(found, current_user, g.area, today, day),
        vote_form=forms.VoteForm(formdata=None),
    )


@blueprint.get("/<int:agreement_id>/practices.csv")
def practices_csv(agreement_id: int) -> Response:
    found = _agreement(agreement_id)
    day = _day_asked()
    return Response(
        rolls.roll_csv(rolls.roll_on(found, day)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="agreement-{found.id}-{day}.csv"'},
    )


def _first_sign_up_page(found: Agreement, practice: Organisation, form: forms.SignUpForm) -> str:
    """The sign-up page as first shown: for this practice, checking the version in force."""
    form.practice.data = str(practice.id)
    version = found.in_force
    form.checked_version.data = str(version.number if version else 0)
    return _sign_up_page(found, practice, form)


def _sign_up_page(found: Agreement, practice: Organisation, form: forms.SignUpForm) -> str:
    version = found.in_force
    assert version is not None
    today = _today()
    return render_template(
        "agreements/sign_up.html",
        agreement=found,
        practice=practice,
        version=version,
        form=form,
        today=today,
        earliest_leaving=days.add_months(today, found.minimum_term_months),
        share=rolls.percent(rolls.share_if_joined(found, practice, today)),
    )


@blueprint.route("/<int:agreement_id>/sign-up", methods=["GET", "POST"])
def sign_up(agreement_id: int) -> ResponseReturnValue:
    found = _agreement(agreement_id)
    form = forms.SignUpForm()
    practice = _practice_asked(form.practice.data)
    if request.method == "GET":
        return _first_sign_up_page(found, practice, form)
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            signing.sign_up(
                acting_user(),
                found,
                practice,
                checked_version=form.version(),
                today=_today(),
                now=utcnow(),
            )
        if not refused:
            flash(f"{display_name(practice.name)} has signed up to {found.title}.", "info")
            return redirect(url_for(".agreement", agreement_id=found.id))
    return _sign_up_page(found, practice, form), 400


@blueprint.route("/<int:agreement_id>/notice", methods=["GET", "POST"])
def notice(agreement_id: int) -> ResponseReturnValue:
    found = _agreement(agreement_id)
    form = forms.NoticeForm()
    practice = _practice_asked(form.practice.data)
    today = _today()
    if request.method == "POST" and form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            noticed = signing.give_notice(
                acting_user(), found, practice, form.reason.data or "", today=today, now=utcnow()
            )
        if not refused:
            assert noticed.leaves_on is not None
            leaves = days.long_day(noticed.leaves_on)
            flash(
                f"{display_name(practice.name)} has given notice. It is out from {leaves}.", "info"
            )
            return redirect(url_for(".agreement", agreement_id=found.id))
    if request.method == "GET":
        form.practice.data = str(practice.id)
    return _render_notice(found, practice, form, today), (400 if request.method == "POST" else 200)


def _render_notice(
    found: Agreement, practice: Organisation, form: forms.NoticeForm, today: date
) -> str:
    """The notice page: when the practice would leave, if it has not already given notice."""
    signatory = signing.current_signatory(found, practice, today)
    return render_template(
        "agreements/notice.html",
        agreement=found,
        practice=practice,
        signatory=signatory,
        leaves_on=(
            signing.leaving_day(found, signatory, today)
            if signatory is not None and signatory.leaves_on is None
            else None
        ),
        form=form,
    )


@blueprint.get("/<int:agreement_id>/versions")
def versions(agreement_id: int) -> str:
    found = _agreement(agreement_id)
    latest = found.versions[-1].number
    to_number = request.args.get("to", type=int) or latest
    from_number = request.args.get("from", type=int) or max(1, to_number - 1)
    old = procedure_versions.version_numbered(found, from_number)
    new = procedure_versions.version_numbered(found, to_number)
    if old is None or new is None:
        abort(404)
    return render_template(
        "agreements/versions.html",
        agreement=found,
        old=old,
        new=new,
        rows=diff.compare(old.body_markdown, new.body_markdown),
    )


@blueprint.route("/<int:agreement_id>/versions/new", methods=["GET", "POST"])
def new_version(agreement_id: int) -> ResponseReturnValue:
    found = _agreement(agreement_id)
    if not permissions.can_manage(current_user, found):
        abort(403)
    form = forms.VersionForm()
    if request.method == "GET":
        form.body.data = found.versions[-1].body_markdown
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            version = procedure_versions.propose_version(
                acting_user(), found, form.body.data or "", form.change_summary.data or "", utcnow()
            )
        if not refused:
            flash(
                f"Version {version.number} has been saved. Put it to the vote to adopt it.", "info"
            )
            return redirect(url_for(".versions", agreement_id=found.id, to=version.number))
    status = 400 if request.method == "POST" else 200
    return render_template("agreements/version_new.html", agreement=found, form=form), status


@blueprint.post("/<int:agreement_id>/versions/<int:number>/vote")
def put_to_vote(agreement_id: int, number: int) -> ResponseReturnValue:
    found = _agreement(agreement_id)
    version = procedure_versions.version_numbered(found, number)
    if version is None:
        abort(404)
    if not permissions.can_manage(current_user, found):
        abort(403)
    form = forms.VoteForm()
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            vote = procedure_versions.put_to_vote(
                acting_user(), version, form.closes_at(), today=_today(), now=utcnow()
            )
        if not refused:
            flash(f"Version {number} has been put to the practices signed up.", "info")
            return redirect(url_for("voting.vote", vote_id=vote.id))
    _flash_errors(form)
    return redirect(url_for(".agreement", agreement_id=found.id, _anchor="versions"))


def _flash_errors(form: forms.VoteForm) -> None:
    """The form's errors as banners on the agreement's page, where its fields are."""
    for errors in form.errors.values():
        for message in errors:
            flash(message, "error")
    for message in form.form_errors:
        flash(message, "error")


@blueprint.route("/<int:agreement_id>/reports/new", methods=["GET", "POST"])
def new_report(agreement_id: int) -> ResponseReturnValue:
    found = _agreement(agreement_id)
    if not permissions.can_report(current_user, found):
        abort(403)
    form = forms.ReportForm()
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            oversight.post_report(
                acting_user(),
                found,
                RagStatus(form.status.data),
                form.working.data or "",
                form.not_working.data or "",
                utcnow(),
            )
        if not refused:
            flash("The report has been posted.", "info")
            return redirect(url_for(".agreement", agreement_id=found.id, _anchor="reports"))
    status = 400 if request.method == "POST" else 200
    return render_template("agreements/report_new.html", agreement=found, form=form), status
