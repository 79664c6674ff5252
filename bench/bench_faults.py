"""Benchmark: 1,000 ballots cast across two instances while processes die and Redis goes away.

The deployment, all real processes: two gunicorn instances (4 workers each) on one PostgreSQL
database made for this run (``bench_faults_<pid>``, dropped afterwards), one RQ worker
(``flask worker``) and one ``flask scheduler``, a private ``redis-server`` that this script
starts on a free port of its own (never the machine's shared one), and an SMTP server
(aiosmtpd) that records every message it is given.

The load: ``PRACTICES`` practices with two GP partners each, all signed in first; then 1,000
casts by ``THREADS`` client threads, each through the real forms (choose, check, confirm,
read the receipt, email the receipt code), on a random instance, both partners of a practice
changing their practice's ballot again and again at the same time. A request cut off by a
fault is retried from the start; a cast counts as *confirmed* only when its receipt page was
read, and only confirmed casts are checked.

The faults, each once mid-run: one gunicorn worker of instance A is sent SIGKILL (its master
starts another); the worker process is stopped and started again; Redis is stopped for 10 s
(started afresh, empty, as a restarted Redis that keeps nothing on disk would be). While Redis
is away a sign-in is tried on each instance: it must be refused (rate limits fail closed for
sign-in) while casting goes on (they fail open for casts), and the instances' logs must say so.

Then the vote is closed by the worker, and the script checks: every confirmed cast's receipt
is in the database with the choice the receipt page showed; each organisation has exactly one
counted ballot, the one with its latest confirmed receipt; the stored ballot record and the
result's counts agree with the ballots; every outbox message was sent, each arrived, and none
arrived under two Message-IDs (a repeat under one Message-ID is allowed: SMTP is at least
once). The figures are printed.

Run: ``.venv/bin/python bench/bench_faults.py`` from the repository root (a few minutes).
``BENCH_POSTGRESQL_URL`` names another server; ``BENCH_CASTS``, ``BENCH_PRACTICES`` and
``BENCH_THREADS`` change the load.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

from tests.instances import (  # noqa: E402
    Browser,
    FlaskProcess,
    Gunicorn,
    portal_environment,
)

POSTGRESQL = os.environ.get("BENCH_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
CASTS = int(os.environ.get("BENCH_CASTS", "1000"))
PRACTICES = int(os.environ.get("BENCH_PRACTICES", "120"))
THREADS = int(os.environ.get("BENCH_THREADS", "12"))
PASSWORD = "correct horse battery staple"  # noqa: S105  (the factories' test password)
REDIS_DOWN_SECONDS = 10
CHOICES = ("for", "against")
TOKEN = re.compile(r'name="token" type="hidden" value="([^"]+)"')
RECEIPT_CODE = re.compile(r'id="receipt-code">([^<]+)<')
# A cast cut off by a fault is tried again from the start, at most this many times.
ATTEMPTS = 5


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- the SMTP server ----------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[dict[str, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        from email import message_from_bytes
        from email.policy import default

        message = message_from_bytes(envelope.content, policy=default)
        body = message.get_body(preferencelist=("plain",))
        with self.lock:
            self.messages.append(
                {
                    # A long header is folded onto its own line: compare it unfolded.
                    "message_id": str(message["Message-ID"]).strip(),
                    "to": str(message["To"]),
                    "subject": str(message["Subject"]),
                    "body": body.get_content() if body is not None else "",
                }
            )
        return "250 Message accepted for delivery"


# --- the private Redis --------------------------------------------------------------------


@dataclass
class PrivateRedis:
    port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise SystemExit("the private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


# --- the load -----------------------------------------------------------------------------


@dataclass
class Person:
    email: str
    practice: str
    address: str
    browser: Browser = field(default_factory=Browser)
    # One browser does one thing at a time; the practice's other partner races it.
    busy: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Confirmed:
    practice: str
    choice: str
    code: str
    confirmed_at: float


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    confirmed: list[Confirmed] = field(default_factory=list)
    retries: int = 0
    gave_up: int = 0
    emails_asked: int = 0
    latencies: list[float] = field(default_factory=list)
    during_outage: int = 0
    errors: Counter[str] = field(default_factory=Counter)


def seed(app: Any) -> tuple[str, int, list[Person]]:
    """An area, its practices and partners, an LMC officer and one open vote."""
    from portal.accounts.models import Role
    from portal.database import utcnow
    from portal.extensions import db
    from portal.organisations.models import OrganisationKind
    from portal.voting import services
    from portal.voting.models import BallotSecrecy, VoteKind
    from tests.factories import make_area, make_organisation, make_user
    from tests.voting.test_vote_services import MOTION_RULES

    with app.app_context():
        area = make_area("faults", "Fault Test ICB")
        lmc = make_organisation(area, OrganisationKind.LMC, ods_code="LMC1")
        officer = make_user(lmc, Role.LMC_OFFICER, email="officer@faults.example.nhs.uk")
        pcn = make_organisation(area, OrganisationKind.PCN, ods_code="U10001")
        people = []
        for number in range(PRACTICES):
            code = f"F{number:05d}"
            practice = make_organisation(area, ods_code=code, list_size=5000 + number, pcn=pcn)
            address = f"10.{number // 250}.{number % 250}.1"
            for partner in "ab":
                email = f"{partner}.{code.lower()}@faults.example.nhs.uk"
                make_user(practice, Role.GP_PARTNER, email=email, password=PASSWORD)
                people.append(Person(email, code, address))
        now = utcnow()
        details = services.VoteDetails(
            title="Fault tolerance motion",
            question="Should the LMC support the motion?",
            body_markdown="A motion for the fault benchmark.",
            kind=VoteKind.MOTION,
            secrecy=BallotSecrecy.OPEN,
            options=[],
            voting_kinds=["practice"],
            pcn_codes=None,
            opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(hours=2),
            rules=dict(MOTION_RULES),
        )
        vote = services.create_vote(officer, area, details)
        services.open_vote(officer, vote, utcnow())
        db.session.commit()
        return area.slug, vote.id, people


def cast_once(
    person: Person, base: str, other: str, cast_path: str, choice: str, tally: Tally
) -> Confirmed:
    """Choose on ``base``, check and confirm on ``other``, read the receipt, email its code."""
    headers = {"X-Forwarded-For": person.address}
    browser = person.browser
    page = browser.request(f"{base}{cast_path}", headers=headers)
    if page.status != 200:
        raise RuntimeError(f"cast page {page.status}")
    chosen = browser.request(
        f"{base}{cast_path}",
        {"choice": choice, "csrf_token": page.csrf_token()},
        headers=headers,
    )
    if chosen.status != 302:
        raise RuntimeError(f"choose {chosen.status}")
    check = browser.request(f"{other}{cast_path}/check", headers=headers)
    token = TOKEN.search(check.text)
    if check.status != 200 or token is None:
        raise RuntimeError(f"check {check.status}")
    confirmed = browser.request(
        f"{other}{cast_path}/confirm",
        {"token": token.group(1), "csrf_token": check.csrf_token()},
        headers=headers,
    )
    if confirmed.status != 302 or not confirmed.location.endswith("/receipt"):
        raise RuntimeError(f"confirm {confirmed.status}")
    receipt = browser.request(f"{base}{cast_path}/receipt", headers=headers)
    code = RECEIPT_CODE.search(receipt.text)
    if receipt.status != 200 or code is None:
        raise RuntimeError(f"receipt {receipt.status}")
    done = Confirmed(person.practice, choice, code.group(1).strip(), time.monotonic())
    emailed = browser.request(
        f"{other}{cast_path}/receipt/email", {"csrf_token": receipt.csrf_token()}, headers=headers
    )
    if emailed.status == 302:
        with tally.lock:
            tally.emails_asked += 1
    return done


def sign_in_all(people: list[Person], instances: list[Gunicorn]) -> None:
    def one(index: int) -> None:
        person = people[index]
        base = instances[index % 2].base
        answer = person.browser.sign_in(base, person.email, PASSWORD, headers=_xff(person))
        if answer.status != 302 or answer.location.endswith("/accounts/login"):
            raise SystemExit(f"sign-in failed for {person.email}: {answer.status}")

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(one, range(len(people))))


def _xff(person: Person) -> dict[str, str]:
    return {"X-Forwarded-For": person.address}


# --- the run ------------------------------------------------------------------------------


def run() -> None:
    from flask_migrate import upgrade

    from config import load_settings
    from portal import create_app
    from portal.extensions import db

    server = sa.engine.make_url(POSTGRESQL)
    name = f"bench_faults_{os.getpid()}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    workdir = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    recorder = Recorder()
    smtp_port = free_port()
    smtp = Controller(recorder, hostname="127.0.0.1", port=smtp_port)
    private_redis = PrivateRedis(free_port(), workdir)
    processes: list[Any] = []
    passed = False
    try:
        smtp.start()
        private_redis.start()
        app = create_app({**load_settings("testing"), "DATABASE_URL": url})
        with app.app_context():
            upgrade()
        area_slug, vote_id, people = seed(app)
        environment = portal_environment(
            url,
            private_redis.url,
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(smtp_port),
            TRUSTED_PROXIES="1",
            OUTBOX_DIR=str(workdir / "outbox"),
            UPLOAD_DIR=str(workdir / "uploads"),
        )
        instances = [
            Gunicorn(free_port(), environment, workdir, name=label).start() for label in "AB"
        ]
        processes.extend(instances)
        worker = FlaskProcess(["worker"], environment, workdir / "worker.log").start()
        scheduler = FlaskProcess(
            ["scheduler", "--interval", "2"], environment, workdir / "scheduler.log"
        ).start()
        processes.extend([worker, scheduler])
        for instance in instances:
            instance.wait_until_serving()
        started = time.monotonic()
        sign_in_all(people, instances)
        print(
            f"{len(people)} partners of {PRACTICES} practices signed in in "
            f"{time.monotonic() - started:.1f} s"
        )

        figures = cast_under_faults(people, instances, worker, private_redis, area_slug, vote_id)
        check(app, db, recorder, figures, instances, vote_id, workdir)
        passed = True
    finally:
        for process in reversed(processes):
            process.stop()
        private_redis.stop()
        smtp.stop()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        if passed:
            shutil.rmtree(workdir, ignore_errors=True)


@dataclass
class Figures:
    tally: Tally
    seconds: float
    outage_sign_ins: list[int]
    killed_pid: int
    worker_restart_seconds: float
    redis_back_at: float


def cast_under_faults(
    people: list[Person],
    instances: list[Gunicorn],
    worker: FlaskProcess,
    private_redis: PrivateRedis,
    area_slug: str,
    vote_id: int,
) -> Figures:
    tally = Tally()
    rng = random.Random(2026)
    # Random partners, so the two partners of a practice often change its ballot at once.
    tasks = [(rng.randrange(len(people)), rng.choice(CHOICES)) for _ in range(CASTS)]
    progress = Counter[str]()
    faults_done: dict[str, Any] = {}
    redis_down = threading.Event()
    lock = threading.Lock()

    def one(task: tuple[int, str]) -> None:
        person = people[task[0]]
        with person.busy:
            cast_as(person, task[1])

    def cast_as(person: Person, choice: str) -> None:
        cast_path = f"/areas/{area_slug}/votes/{vote_id}/cast/{person.practice}"
        for attempt in range(ATTEMPTS):
            # Chosen on one instance, confirmed on the other, in either order.
            first, second = rng.sample(instances, 2)
            began = time.monotonic()
            try:
                done = cast_once(person, first.base, second.base, cast_path, choice, tally)
            except (OSError, http.client.HTTPException, RuntimeError) as error:
                with tally.lock:
                    tally.retries += 1
                    tally.errors[type(error).__name__ + ": " + str(error)[:60]] += 1
                time.sleep(0.2 * (attempt + 1))
                continue
            with tally.lock:
                tally.confirmed.append(done)
                tally.latencies.append(time.monotonic() - began)
                if redis_down.is_set():
                    tally.during_outage += 1
            with lock:
                progress["done"] += 1
            return
        with tally.lock:
            tally.gave_up += 1

    def faults() -> None:
        def at(count: int) -> None:
            while progress["done"] < count:
                time.sleep(0.05)

        at(CASTS // 4)
        faults_done["killed"] = instances[0].kill_one_worker()
        print(f"  SIGKILL sent to gunicorn worker {faults_done['killed']} of instance A")
        at(CASTS * 2 // 5)
        began = time.monotonic()
        worker.restart()
        faults_done["worker_restart"] = time.monotonic() - began
        print("  worker process stopped and started again")
        at(CASTS * 11 // 20)
        private_redis.stop()
        redis_down.set()
        print(f"  private Redis stopped for {REDIS_DOWN_SECONDS} s")
        probes = []
        for instance in instances:
            probe = Browser()
            answer = probe.sign_in(instance.base, people[0].email, PASSWORD)
            probes.append(answer.status)
        faults_done["outage_sign_ins"] = probes
        time.sleep(REDIS_DOWN_SECONDS)
        private_redis.start()
        redis_down.clear()
        faults_done["redis_back_at"] = time.monotonic()
        print("  private Redis started again (empty)")

    fault_thread = threading.Thread(target=faults)
    started = time.monotonic()
    fault_thread.start()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(one, tasks))
    fault_thread.join()
    return Figures(
        tally=tally,
        seconds=time.monotonic() - started,
        outage_sign_ins=faults_done.get("outage_sign_ins", []),
        killed_pid=faults_done.get("killed", 0),
        worker_restart_seconds=faults_done.get("worker_restart", 0.0),
        redis_back_at=faults_done.get("redis_back_at", time.monotonic()),
    )


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> float:
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if condition():
            return time.monotonic() - began
        time.sleep(0.5)
    raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")


def check(
    app: Any,
    db: Any,
    recorder: Recorder,
    figures: Figures,
    instances: list[Gunicorn],
    vote_id: int,
    workdir: Path,
) -> None:
    import json

    from portal.database import utcnow
    from portal.outbox import OutboxMessage, OutboxState
    from portal.voting.casting import receipt_hash
    from portal.voting.models import Ballot, Receipt, Vote, VoteState

    problems: list[str] = []
    tally = figures.tally

    def waiting() -> int:
        with app.app_context():
            return int(
                db.session.execute(
                    sa.select(sa.func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.state != OutboxState.SENT)
                ).scalar_one()
            )

    drained = wait_for(lambda: waiting() == 0, 180, "the outbox to empty")
    since_redis = time.monotonic() - figures.redis_back_at

    with app.app_context():
        vote = db.session.get(Vote, vote_id)
        vote.closes_at = utcnow() - timedelta(seconds=1)
        db.session.commit()

    def closed() -> bool:
        with app.app_context():
            return db.session.get(Vote, vote_id).state is VoteState.CLOSED

    closing = wait_for(closed, 120, "the worker to close the vote")
    wait_for(lambda: waiting() == 0, 120, "the result emails")

    with app.app_context():
        vote = db.session.get(Vote, vote_id)
        receipts = {
            receipt.code_hash: receipt
            for receipt in db.session.scalars(sa.select(Receipt).where(Receipt.vote_id == vote_id))
        }
        ballots = {
            ballot.organisation.ods_code: ballot
            for ballot in db.session.scalars(sa.select(Ballot).where(Ballot.vote_id == vote_id))
        }
        # Receipts match: each code the receipt page showed is stored with the choice shown.
        latest: dict[str, Confirmed] = {}
        for done in sorted(tally.confirmed, key=lambda done: done.confirmed_at):
            receipt = receipts.get(receipt_hash(done.code))
            if receipt is None:
                problems.append(f"receipt {done.code} of {done.practice} is not stored")
                continue
            if receipt.choice != done.choice:
                problems.append(f"receipt {done.code} shows {receipt.choice}, not {done.choice}")
            latest[done.practice] = done
        # One counted ballot per organisation, and it is one of its confirmed casts.
        counted_per_practice: Counter[str] = Counter()
        for receipt in receipts.values():
            ballot = receipt.ballot
            if ballot is not None and receipt.ballot_version == ballot.version:
                counted_per_practice[ballot.organisation.ods_code] += 1
        for practice in latest:
            if practice not in ballots:
                problems.append(f"{practice} has confirmed casts but no ballot")
            elif counted_per_practice[practice] != 1:
                problems.append(f"{practice} has {counted_per_practice[practice]} counted receipts")
        confirmed_codes = {receipt_hash(done.code) for done in tally.confirmed}
        for ballot in ballots.values():
            counted = [
                code
                for code, receipt in receipts.items()
                if receipt.ballot_id == ballot.id and receipt.ballot_version == ballot.version
            ]
            if counted and counted[0] not in confirmed_codes:
                # Cast by a request whose answer a fault cut off: counted, never shown.
                tally.errors["counted but its receipt never shown"] += 1
        # The tally: the stored record and the result agree with the ballots.
        record = json.loads(vote.ballot_record or "{}")
        in_record = {entry["voter"]: entry["choice"] for entry in record.get("ballots", [])}
        if in_record != {code: ballot.choice for code, ballot in ballots.items()}:
            problems.append("the ballot record differs from the ballots")
        counts = Counter(ballot.choice for ballot in ballots.values())
        totals = (vote.result or {}).get("totals", {})
        for option in CHOICES:
            if totals.get(option, {}).get("members") != counts[option]:
                problems.append(f"the result counts {totals.get(option)} for {option}")
        outbox = list(db.session.scalars(sa.select(OutboxMessage)))

    # Email: every message sent, every one arrived, none under two Message-IDs.
    received_ids = Counter(message["message_id"] for message in recorder.messages)
    outbox_ids = {message.message_id for message in outbox}
    missing = outbox_ids - set(received_ids)
    if missing:
        problems.append(f"{len(missing)} outbox message(s) never arrived")
    unknown = set(received_ids) - outbox_ids
    if unknown:
        problems.append(f"{len(unknown)} message(s) arrived that the outbox does not hold")
    by_content: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for message in recorder.messages:
        by_content[(message["to"], message["subject"], message["body"])].add(message["message_id"])
    twice = [content for content, ids in by_content.items() if len(ids) > 1]
    if twice:
        problems.append(f"{len(twice)} email(s) arrived under two or more Message-IDs")
    receipt_emails = sum(1 for message in outbox if "receipt" in message.subject.lower())
    if receipt_emails < tally.emails_asked:
        problems.append(f"{tally.emails_asked} receipt emails asked for, {receipt_emails} queued")

    # Rate limits during the outage, and what the logs say.
    logs = "\n".join(instance.error_log.read_text() for instance in instances)
    if any(status != 503 for status in figures.outage_sign_ins):
        problems.append(f"sign-in during the outage answered {figures.outage_sign_ins}, not 503")
    if "fails closed" not in logs:
        problems.append("no log line says sign-in failed closed")
    if tally.during_outage and "fails open" not in logs:
        problems.append("no log line says casting failed open")
    if tally.during_outage == 0:
        problems.append("no cast was confirmed while Redis was down")

    latencies = sorted(tally.latencies)
    print(f"Casts: {CASTS} tasks by {THREADS} threads over 2 instances x 4 workers")
    print(f"  confirmed                          : {len(tally.confirmed)}")
    print(f"  gave up after {ATTEMPTS} tries              : {tally.gave_up}")
    print(f"  tries cut off by a fault (retried) : {tally.retries}")
    print(f"  confirmed while Redis was down     : {tally.during_outage}")
    print(
        f"  time for all casts                 : {figures.seconds:.1f} s "
        f"({len(tally.confirmed) / figures.seconds:.1f} casts/s)"
    )
    if latencies:
        print(
            f"  one cast (6 requests) p50/p95      : {statistics.median(latencies):.2f} s / "
            f"{latencies[int(len(latencies) * 0.95) - 1]:.2f} s"
        )
    print(f"  organisations with a ballot        : {len(ballots)} of {PRACTICES}")
    print(f"  worker restart took                : {figures.worker_restart_seconds:.2f} s")
    print(f"  sign-in during the outage          : {figures.outage_sign_ins}")
    print(
        f"Email: {len(outbox)} outbox messages, {sum(received_ids.values())} deliveries, "
        f"{len(received_ids)} distinct Message-IDs, "
        f"{sum(n - 1 for n in received_ids.values())} repeats under the same Message-ID"
    )
    print(
        f"  outbox empty {drained:.1f} s after the last cast (Redis back {since_redis:.1f} s "
        f"before that); vote closed by the worker {closing:.1f} s after its closing time"
    )
    for error, number in tally.errors.most_common(8):
        print(f"  fault seen by clients: {number} x {error}")
    if problems:
        print("FAILED:")
        for problem in problems[:30]:
            print(f"  {problem}")
        print(f"(logs in {workdir}, kept)")
        raise SystemExit(1)
    print(
        "PASSED: every confirmed ballot is in the tally, one counted ballot per organisation, "
        "receipts match, every email arrived, none under two Message-IDs, rate limits "
        "failed open for casts and closed for sign-in, as logged."
    )


if __name__ == "__main__":
    run()
