"""Checking a ballot receipt: no account and no area needed, the code is all a voter keeps.

The code is sent in a POST body (with a CSRF token), never in a URL, which would end up in
server logs and browser history. A secret ballot's receipt proves that the ballot was counted,
replaced or voided by a cancellation, never which answer it gave: otherwise the code would be
proof of a choice to show a coercer or a buyer. An open ballot's receipt shows its answer.
A receipt of a vote on a draft is shown only to the draft's tier's audience (signed in), so a
code cannot carry an ``lmc``-tier title to anyone else: to them it is a code of no ballot.

The endpoint is ``receipts.receipt_check`` (GET shows the form, POST checks a code); rate
limits are keyed on that name.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from portal.database import utcnow
from portal.voting import casting
from portal.voting.forms import ReceiptCheckForm
from portal.voting.models import VoteKind
from portal.voting.permissions import in_tier_audience

receipts_blueprint = Blueprint("receipts", __name__, template_folder="templates")

NOT_FOUND = "No ballot has this receipt code. Check the code and try again."


@receipts_blueprint.route("/receipts", methods=["GET", "POST"])
def receipt_check() -> str | tuple[str, int]:
    form = ReceiptCheckForm()
    if not form.validate_on_submit():
        status = 400 if form.errors else 200
        return render_template("voting/receipt_check.html", form=form, found=None), status
    code = form.code.data or ""
    found = casting.check_receipt(code, utcnow())
    if found is None or not in_tier_audience(current_user, found.vote):
        form.code.errors = [NOT_FOUND]
        return render_template("voting/receipt_check.html", form=form, found=None), 404
    choice = None
    if found.choice is not None:
        choice = found.choice.capitalize() if found.vote.kind is VoteKind.MOTION else found.choice
    blank = ReceiptCheckForm(formdata=None)
    return render_template("voting/receipt_check.html", form=blank, found=found, choice=choice)
