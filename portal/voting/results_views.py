"""A counted vote's results and its downloads: the stored ballot record, byte for byte, and the
ballots as CSV, for those who may see them (else 404)."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from portal.http import acting_user
from portal.voting import reports
from portal.voting.blueprint import blueprint, load_vote
from portal.voting.models import Vote
from portal.voting.permissions import can_download_record, can_see_results
from portal.voting.presenters import results_page


def _closed_vote(vote_id: int) -> Vote:
    vote = load_vote(vote_id)
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
