"""Casting a ballot: choose, check your answer, confirm once, the receipt.

A choice on its way to the "check your answer" page waits in the session, not in the address:
addresses end up in access logs and browser history, and a secret ballot must not. So does the
receipt code, for the receipt page only."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from portal.database import utcnow
from portal.extensions import db
from portal.http import acting_user, refusal_shown_on
from portal.organisations.models import Organisation
from portal.voting import casting as casting_once
from portal.voting import proxies as voting_proxies
from portal.voting.blueprint import blueprint, load_vote
from portal.voting.forms import CastForm, ConfirmCastForm, EmailReceiptForm, choice_list
from portal.voting.models import ElectorateMember, Proxy, Vote
from portal.voting.permissions import casts_for
from portal.voting.presenters import member_shares, option_label, why_blocked


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


def _pending_key(vote: Vote, ods_code: str) -> str:
    return f"pending-ballot-{vote.id}-{ods_code}"


def _pending(vote: Vote, casting: Casting) -> dict[str, str] | None:
    """The answer chosen and its unused one-time token, from the session; None if none."""
    pending = session.get(_pending_key(vote, casting.member.ods_code))
    if not isinstance(pending, dict) or pending.get("choice") not in dict(_choices(vote, casting)):
        return None
    if not casting_once.is_unused(vote, casting.organisation, str(pending.get("token", ""))):
        return None
    return pending


def _accepting_casting(vote_id: int, ods_code: str) -> tuple[Vote, Casting]:
    """The vote and the ballot the user may cast in it, while it takes ballots; otherwise
    back to the vote's page, saying why."""
    vote = load_vote(vote_id)
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
            session[_pending_key(vote, ods_code)] = {"token": token, "choice": form.choice.data}
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


def _pending_choice(vote: Vote, ods_code: str, token: str) -> str:
    """The answer this confirmation page was for; empty once it has left the session."""
    pending = session.get(_pending_key(vote, ods_code))
    if not isinstance(pending, dict) or pending.get("token") != token:
        return ""
    return str(pending.get("choice", ""))


def _receipt_key(vote: Vote, ods_code: str) -> str:
    return f"receipt-{vote.id}-{ods_code}"


def _keep_receipt(vote: Vote, ods_code: str, code: str | None) -> None:
    """The answer is cast: it leaves the session, and the new receipt code (None when this
    confirmation had already cast) waits there for the receipt page."""
    session.pop(_pending_key(vote, ods_code), None)
    if code is not None:
        session[_receipt_key(vote, ods_code)] = code


def _casting_organisation(vote: Vote, ods_code: str) -> Organisation:
    """The organisation whose ballot the user confirms. Their own (the common case) comes from
    the memberships signing in loaded, with no query: the cast reads its electorate row anyway,
    under the vote's lock, and refuses one not in the electorate. A proxy's is looked up."""
    for membership in current_user.memberships:
        own = membership.organisation
        mine = own.ods_code == ods_code and own.area_id == vote.area_id
        if mine and casts_for(current_user, own):
            return own
    return _casting(vote, ods_code).organisation


@blueprint.post("/<int:vote_id>/cast/<ods_code>/confirm")
@login_required
def confirm(vote_id: int, ods_code: str) -> Response:
    """Cast once, then redirect to the receipt (post/redirect/get): reloading the receipt, or
    sending this page again, casts nothing more."""
    vote = load_vote(vote_id)
    organisation = _casting_organisation(vote, ods_code)
    form = ConfirmCastForm()
    if not form.validate_on_submit():
        abort(400)
    token = form.token.data or ""
    choice = _pending_choice(vote, ods_code, token)
    confirmed = None
    with refusal_shown_on() as refused:
        confirmed = casting_once.confirm(acting_user(), vote, organisation, token, choice, utcnow())
    if refused or confirmed is None:
        return redirect(url_for(".vote", vote_id=vote_id))
    _keep_receipt(vote, ods_code, confirmed.code)
    return redirect(url_for(".receipt", vote_id=vote.id, ods_code=ods_code))


@blueprint.get("/<int:vote_id>/cast/<ods_code>/receipt")
@login_required
def receipt(vote_id: int, ods_code: str) -> str | Response:
    """The receipt of the ballot just cast; its code comes from the session, never the URL."""
    vote = load_vote(vote_id)
    casting = _casting(vote, ods_code)
    ballot = casting_once.ballot_of(vote, casting.organisation)
    if ballot is None:
        return redirect(url_for(".vote", vote_id=vote_id))
    return render_template(
        "voting/receipt.html",
        vote=vote,
        casting=casting,
        ballot=ballot,
        code=session.get(_receipt_key(vote, ods_code)),
        email_form=EmailReceiptForm(),
    )


@blueprint.post("/<int:vote_id>/cast/<ods_code>/receipt/email")
@login_required
def email_receipt(vote_id: int, ods_code: str) -> Response:
    vote = load_vote(vote_id)
    _casting(vote, ods_code)  # 404 or 403 unless this user casts this ballot
    form = EmailReceiptForm()
    if not form.validate_on_submit():
        abort(400)
    code = session.get(_receipt_key(vote, ods_code))
    if code is None:
        flash("There is no receipt code to send: it is kept only where the ballot was cast.")
    else:
        casting_once.email_receipt(
            acting_user(), code, url_for("receipts.receipt_check", _external=True)
        )
        flash(f"The receipt code is on its way to {acting_user().email}.", "success")
    return redirect(url_for(".receipt", vote_id=vote_id, ods_code=ods_code))
