"""The job queue: RQ on Redis when ``PORTAL_REDIS_URL`` is set; the outbox table otherwise.

Without Redis (the embedded default, ``make run``) ``flask worker`` polls the database round
after round (``portal.worker.run_forever``) and nothing here is used.

With Redis there are three kinds of process (README, "Production layout"):

* the web instances, which after each commit put a job on the ``portal`` queue naming the
  email it recorded, so a worker sends it at once rather than at its next sweep;
* ``flask worker``: an RQ worker (with RQ's own scheduler, for jobs enqueued for later) that
  runs those jobs and the rounds of scheduled work;
* ``flask scheduler``: a small loop that puts one round of scheduled work on the queue every
  interval. Several schedulers may run: a Redis key taken with ``SET NX`` for one interval
  lets only one of them enqueue each round, and a round already waiting is not queued twice.

Redis holds no state of its own: the outbox row is the email, the vote row is the vote. A job
lost with Redis (down, flushed, or a worker killed mid-job) is only a delay: the next round's
sweep (``mail.deliver_due``) sends whatever is still waiting. So enqueueing never fails a
request: if Redis does not answer, that is logged and the sweep sends the email.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flask import current_app

from portal.extensions import db

if TYPE_CHECKING:
    from redis import Redis
    from rq import Queue

log = logging.getLogger(__name__)

QUEUE_NAME = "portal"
ROUND_JOB_ID = "portal-scheduled-round"
TICK_KEY = "portal:scheduler:tick"
# A web request waits at most this long for Redis before leaving its email to the sweep.
ENQUEUE_TIMEOUT_SECONDS = 0.5
# Statuses in which a round is still to run (or running): no second one is queued then.
PENDING = frozenset({"queued", "started", "scheduled", "deferred"})


def redis_url() -> str | None:
    return current_app.config.get("REDIS_URL") or None


def connection(timeout: float | None = None) -> Redis:
    from redis import Redis

    url = redis_url()
    if url is None:
        raise RuntimeError("PORTAL_REDIS_URL is not set: the worker polls the outbox table")
    return Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)


def queue(redis: Redis | None = None) -> Queue:
    from rq import Queue

    return Queue(QUEUE_NAME, connection=redis or connection())


# --- what the web instances enqueue -----------------------------------------------------


def enqueue_delivery(message_ids: Sequence[int]) -> bool:
    """Ask a worker to send these outbox messages now; False (and a log line) without Redis.

    Called after the commit that wrote them, so the job never sees a row not yet visible.
    """
    if not message_ids or redis_url() is None:
        return False
    from redis.exceptions import RedisError

    try:
        queue(connection(ENQUEUE_TIMEOUT_SECONDS)).enqueue(
            deliver_messages_job, list(message_ids), result_ttl=0, failure_ttl=3600
        )
    except RedisError as error:
        log.warning(
            "queue unavailable (%s): %d message(s) left to the outbox sweep",
            error,
            len(message_ids),
        )
        return False
    return True


# --- the scheduler ------------------------------------------------------------------------


def enqueue_round(redis: Redis, interval: float) -> bool:
    """Put one round of scheduled work on the queue, unless another scheduler did this interval
    or a round is still waiting or running; True if this call enqueued it."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    if not redis.set(TICK_KEY, "1", nx=True, px=max(1, int(interval * 1000))):
        return False
    try:
        if Job.fetch(ROUND_JOB_ID, connection=redis).get_status() in PENDING:
            return False
    except NoSuchJobError:
        pass
    # By name: the round is the worker's (a composition root), which the core must not import.
    queue(redis).enqueue(
        "portal.worker.run_round_job", job_id=ROUND_JOB_ID, result_ttl=0, failure_ttl=3600
    )
    return True


def run_scheduler(interval: float, rounds: int | None = None) -> None:
    """Enqueue a round every ``interval`` seconds; a Redis outage is logged and waited out."""
    from redis.exceptions import RedisError

    redis = connection(timeout=2)
    done = 0
    down = False
    while rounds is None or done < rounds:
        try:
            enqueue_round(redis, interval)
            if down:
                log.warning("queue reachable again: scheduled rounds resume")
                down = False
        except RedisError as error:
            if not down:
                log.warning("queue unavailable (%s): no round enqueued until it is back", error)
                down = True
        done += 1
        if rounds is None or done < rounds:
            time.sleep(interval)


# --- the worker ---------------------------------------------------------------------------


def run_worker(burst: bool = False) -> None:
    """An RQ worker on the ``portal`` queue, with RQ's scheduler, inside this app context.

    ``SimpleWorker`` runs each job in this process: the job needs the app and its database
    engine, which a forked work horse would share with its parent. If Redis goes away the
    worker waits for it and carries on; nothing is lost meanwhile (see the module's doc).
    """
    from redis.exceptions import RedisError
    from rq import SimpleWorker

    redis = connection(timeout=5)
    # RQ takes over SIGINT and SIGTERM for its warm shutdown and leaves them so; a burst run
    # inside a longer process (`flask worker --once`, the tests) gives them back when done.
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        while True:
            try:
                worker = SimpleWorker([queue(redis)], connection=redis)
                worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")
            except RedisError as error:
                log.warning("queue unavailable (%s): the worker waits for it", error)
                time.sleep(1)
                continue
            # A burst ran what was waiting; otherwise the worker was asked to stop (SIGTERM).
            return
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)


def _in_job(function: Any, *args: Any) -> Any:
    """Run a job's work with a fresh database session, whatever it leaves behind."""
    try:
        return function(*args)
    finally:
        db.session.remove()


def deliver_messages_job(message_ids: list[int]) -> int:
    from portal.mail import deliver_messages

    return int(_in_job(deliver_messages, message_ids))
