"""The worker closes due votes and sends their email in one round; one failing job stops nothing."""

from __future__ import annotations

from datetime import timedelta

from portal.database import utcnow
from portal.voting import casting, notices
from portal.voting.models import Vote, VoteState
from tests.voting.helpers import open_weighted_vote


def _past_due(db, setting) -> Vote:
    vote = open_weighted_vote(setting, db)
    casting.cast_ballot(setting.partners[3], vote, setting.practices[3], "for", utcnow())
    vote.opens_at = utcnow() - timedelta(days=2)
    vote.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    return vote


def test_one_round_closes_a_due_vote_and_sends_its_result_email(app, db, setting, smtp_server):
    vote = _past_due(db, setting)
    smtp_server.messages.clear()
    app.config["MAIL_DELIVERY"] = "worker"
    try:
        result = app.test_cli_runner().invoke(args=["worker", "--once"])
    finally:
        app.config["MAIL_DELIVERY"] = "request"

    assert result.exit_code == 0, result.output
    assert "close due votes: 1 vote(s) closed" in result.output
    db.session.expire_all()
    assert db.session.get(Vote, vote.id).state is VoteState.CLOSED
    assert smtp_server.messages
    assert all("Result declared" in m["Subject"] for m in smtp_server.messages)


def test_a_failing_job_is_rolled_back_and_the_others_still_run(
    app,
    db,
    setting,
    smtp_server,
    monkeypatch,
):
    vote = _past_due(db, setting)

    def broken_reminders(now):
        raise RuntimeError("reminders are broken")

    monkeypatch.setattr(notices, "send_reminders", broken_reminders)
    result = app.test_cli_runner().invoke(args=["worker", "--once"])

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Vote, vote.id).state is VoteState.CLOSED
