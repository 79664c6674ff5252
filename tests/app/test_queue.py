"""The job queue on a real Redis: a request's email is put on the RQ queue after its commit
and an RQ worker sends it; the scheduler enqueues one round per interval, however many
schedulers run; with Redis gone nothing fails and the outbox sweep still sends."""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from portal.accounts.models import Role
from portal.database import utcnow
from portal.outbox import OutboxMessage, OutboxState
from portal.queue import QUEUE_NAME, ROUND_JOB_ID, enqueue_round, queue, run_worker
from portal.voting import casting
from portal.voting.models import Vote, VoteState
from tests.conftest import fetch_csrf_token, free_port
from tests.factories import make_area, make_organisation, make_user, make_world
from tests.voting.helpers import WEIGHTED_WORLD, open_weighted_vote


@pytest.fixture
def on_redis(app: Flask, redis_url: str) -> Iterator[Redis]:
    """The app as production runs it: email left to the worker, jobs on this Redis."""
    previous = app.config["MAIL_DELIVERY"], app.config["REDIS_URL"]
    app.config.update(MAIL_DELIVERY="worker", REDIS_URL=redis_url)
    connection = Redis.from_url(redis_url)
    try:
        yield connection
    finally:
        app.config["MAIL_DELIVERY"], app.config["REDIS_URL"] = previous
        connection.close()


def ask_for_a_reset(client: FlaskClient) -> None:
    area = make_area()
    make_user(make_organisation(area), Role.GP_PARTNER, email="forgetful@example.nhs.uk")
    response = client.post(
        "/accounts/password-reset",
        data={
            "email": "forgetful@example.nhs.uk",
            "csrf_token": fetch_csrf_token(client, "/accounts/password-reset"),
        },
    )
    assert response.status_code == 200


def states(db: Any) -> list[OutboxState]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage.state)))


def test_a_requests_email_goes_on_the_queue_and_a_worker_sends_it(
    app: Flask, client: FlaskClient, db: Any, on_redis: Redis, smtp_server: Any
) -> None:
    ask_for_a_reset(client)

    jobs = queue(on_redis).jobs
    assert [job.func_name for job in jobs] == ["portal.queue.deliver_messages_job"]
    assert states(db) == [OutboxState.WAITING]
    assert smtp_server.messages == []

    run_worker(burst=True)

    assert states(db) == [OutboxState.SENT]
    assert [message["To"] for message in smtp_server.messages] == ["forgetful@example.nhs.uk"]
    assert queue(on_redis).count == 0


def test_a_job_for_mail_already_sent_sends_nothing_again(
    app: Flask, client: FlaskClient, db: Any, on_redis: Redis, smtp_server: Any
) -> None:
    ask_for_a_reset(client)
    job = queue(on_redis).jobs[0]
    # The sweep got there first (a worker's round), then the job runs.
    app.test_cli_runner().invoke(args=["worker", "--once"])
    assert len(smtp_server.messages) == 1
    queue(on_redis).enqueue(job.func_name, *job.args)

    run_worker(burst=True)

    assert len(smtp_server.messages) == 1


def test_one_round_is_enqueued_per_interval_and_the_worker_runs_it(
    app: Flask, db: Any, on_redis: Redis, smtp_server: Any
) -> None:
    setting = make_world(**WEIGHTED_WORLD)
    vote = open_weighted_vote(setting, db)
    casting.cast_ballot(setting.partners[3], vote, setting.practices[3], "for", utcnow())
    vote.opens_at = utcnow() - timedelta(days=2)
    vote.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    vote_id = vote.id

    # Two schedulers in the same interval: one round between them.
    assert enqueue_round(on_redis, interval=30) is True
    assert enqueue_round(on_redis, interval=30) is False
    on_redis.delete("portal:scheduler:tick")
    # A new interval, but the last round has not run yet: still only one.
    assert enqueue_round(on_redis, interval=30) is False
    assert [job.id for job in queue(on_redis).jobs] == [ROUND_JOB_ID]

    run_worker(burst=True)

    # The job ends with a fresh session, so the vote is read again by its id.
    assert db.session.get(Vote, vote_id).state is VoteState.CLOSED
    # The round's own email job sent the result emails (and the earlier ones) in the same run.
    assert smtp_server.messages
    assert any("Result declared" in m["Subject"] for m in smtp_server.messages)
    on_redis.delete("portal:scheduler:tick")
    assert enqueue_round(on_redis, interval=30) is True


def test_without_redis_the_request_succeeds_and_the_sweep_sends(
    app: Flask,
    client: FlaskClient,
    db: Any,
    smtp_server: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    previous = app.config["MAIL_DELIVERY"], app.config["REDIS_URL"]
    # Nothing listens on this port: Redis is down.
    app.config.update(MAIL_DELIVERY="worker", REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    try:
        with caplog.at_level(logging.WARNING, logger="portal.queue"):
            ask_for_a_reset(client)
        assert "queue unavailable" in caplog.text
        assert "left to the outbox sweep" in caplog.text
        assert states(db) == [OutboxState.WAITING]

        result = app.test_cli_runner().invoke(args=["worker", "--once"])
    finally:
        app.config["MAIL_DELIVERY"], app.config["REDIS_URL"] = previous

    assert result.exit_code == 0, result.output
    assert states(db) == [OutboxState.SENT]
    assert len(smtp_server.messages) == 1


def test_the_embedded_default_needs_no_redis(app: Flask, db: Any) -> None:
    assert app.config["REDIS_URL"] is None
    result = app.test_cli_runner().invoke(args=["scheduler"])
    assert result.exit_code == 2
    assert "without Redis, `flask worker` runs the rounds" in result.output
    assert QUEUE_NAME == "portal"


def test_a_burst_worker_gives_back_the_process_signal_handlers(
    app: Flask, db: Any, on_redis: Redis
) -> None:
    # RQ installs its own SIGINT and SIGTERM handlers; left behind, a later Ctrl-C (or a
    # SIGTERM to the web process) would raise RQ's StopRequested in unrelated code.
    before = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}

    run_worker(burst=True)

    assert {number: signal.getsignal(number) for number in before} == before
