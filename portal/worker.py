"""The worker: the scheduled work that no page view may do, round after round.

``flask --app wsgi worker`` runs every job below in turn, each in its own transaction, then
waits and starts again; ``--once`` runs one round (for cron, or a test). A job that fails is
logged and rolled back and the others still run, so one broken vote never holds up the email.
Votes are closed, and elections moved on from nominations and counted, within a round of
their closing time (the default round is 5 seconds); email queued by a job goes out in the
same round, after that job's commit. Retention periods (``portal.retention``) are applied
in every round too, so data goes within a round of its period ending, and audit entries a
commit left unchained are chained.

This module is the composition root for scheduled work, as ``create_app`` is for pages: it
may import every domain; no domain imports it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from portal.database import utcnow
from portal.extensions import db

log = logging.getLogger(__name__)


def _close_due_votes(now: datetime) -> str | None:
    from portal.voting.closing import close_due_votes

    closed = close_due_votes(now)
    return f"{len(closed)} vote(s) closed" if closed else None


def _remind_voters(now: datetime) -> str | None:
    from portal.voting.notices import send_reminders

    sent = send_reminders(now)
    return f"{sent} reminder(s) queued" if sent else None


def _advance_elections(now: datetime) -> str | None:
    from portal.elections.closing import close_due

    done = close_due(now)
    return f"{len(done)} election step(s) done" if done else None


def _remind_consultees(now: datetime) -> str | None:
    from portal.positions.consultation import send_closing_reminders

    sent = send_closing_reminders(now)
    return f"{sent} consultation reminder(s) queued" if sent else None


def _send_digests(now: datetime) -> str | None:
    from portal.notifications.services import send_due_digests

    sent = send_due_digests(now)
    return f"{sent} digest(s) queued" if sent else None


def _apply_retention(now: datetime) -> str | None:
    from portal.retention import RetentionReport, run_retention

    report = run_retention(now)
    return str(report) if report != RetentionReport() else None


def _end_due_mandates(now: datetime) -> str | None:
    from portal.mandates.services import end_due

    ended = end_due(now)
    return f"{len(ended)} mandate(s) ended on their date" if ended else None


def _chain_audit_entries(now: datetime) -> str | None:
    # Each commit's entries are chained just after it; this takes those left because another
    # process was chaining at that moment, or whose process stopped first (portal.audit.chaining).
    from portal.audit.chaining import chain_pending

    chained = chain_pending(db.engine)
    return f"{chained} audit entr{'y' if chained == 1 else 'ies'} chained" if chained else None


def _send_email(now: datetime) -> str | None:
    from portal.mail import deliver_due

    sent = deliver_due()
    return f"{sent} message(s) sent" if sent else None


JOBS: tuple[tuple[str, Callable[[datetime], str | None]], ...] = (
    ("close due votes", _close_due_votes),
    ("remind voters", _remind_voters),
    ("close nominations and count elections", _advance_elections),
    ("remind members of consultations closing", _remind_consultees),
    ("send digests", _send_digests),
    ("apply retention periods", _apply_retention),
    ("end mandates on their date", _end_due_mandates),
    ("chain audit entries left waiting", _chain_audit_entries),
    ("send email", _send_email),
)


def run_round_job() -> list[str]:
    """One round as a queue job (``portal.queue`` enqueues it by name), in a fresh session."""
    try:
        reports = run_round()
    finally:
        db.session.remove()
    for report in reports:
        log.info("%s", report)
    return reports


def run_round(now: datetime | None = None) -> list[str]:
    """Run each job once, committing after each; return what they reported.

    ``now`` fixes the time every job sees (a test travelling in time); by default each job
    reads the clock as it starts."""
    from portal.mail import deliver_queued

    reports = []
    for name, job in JOBS:
        try:
            report = job(now or utcnow())
            db.session.commit()
            deliver_queued()
        except Exception:
            # One failing job must not stop the others; its changes are undone and it is retried
            # next round.
            log.exception("worker job %r failed; its changes were rolled back", name)
            db.session.rollback()
            continue
        if report:
            reports.append(f"{name}: {report}")
    return reports


def run_forever(interval: float, rounds: int | None = None) -> None:
    done = 0
    while rounds is None or done < rounds:
        for report in run_round():
            log.info("%s", report)
        db.session.remove()
        done += 1
        if rounds is None or done < rounds:
            time.sleep(interval)
