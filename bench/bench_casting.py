"""Benchmark: casting a ballot on PostgreSQL against a bare insert, over HTTP with ``wrk``.

What it measures: requests a second of the confirm POST of casting (``/areas/<area>/votes/
<vote>/cast/<practice>/confirm``: the token used up, the ballot, its receipt and its audit
entry written, one commit), each request a first ballot of its own practice, served by the
portal under gunicorn (4 sync workers); and of a bare Flask app whose one POST endpoint
inserts one row through a SQLAlchemy session into a table of the same PostgreSQL database and
commits, under the same gunicorn. ``wrk`` (Debian's package) drives each with 50 connections
on 2 threads, posting the same kind of form body (a CSRF token and a one-time token) and
expecting a redirect to a receipt. The sides alternate, round after round, in the same run;
the figure of each side is the median of its rounds. The target (issue 15): the portal at
least 0.5 of the bare app.

The voters: ``--practices`` practices of one area, one GP partner each, and ``--votes`` open
votes, every practice in each electorate; so there are practices x votes ballots to cast, one
per organisation and vote. Each partner is signed in through the real form (in process, with
the test client, before the servers start); the answer of each of their votes is then chosen
with ``casting.issue`` (the service behind the "choose" POST) and put in their signed session
as the choose POST does, and the check page is read once for the form's CSRF token. A wrk Lua
script (``wrk`` can do it cleanly: each thread takes every other line of a file of
pre-made requests) sends each (cookie, CSRF token, one-time token) once, vote after vote, and
counts any answer other than a redirect to the receipt page as bad; a round that runs out of
voters asks for a missing page, which wrk reports, and the run stops: raise the counts.

Afterwards the tables are checked: each used token has exactly one ballot, one receipt and one
``ballot.cast`` audit entry, none for a token left unused; no practice has two ballots in a
vote; every request wrk saw answered has its ballot (wrk may stop with up to 50 requests sent
and not yet answered, which may or may not have cast); once the entries the last commits left
pending are chained (as the worker's sweep does), the audit chain is intact; the bare
table has a row for every answered insert.

The database is made for this run (``bench_casting_<pid>``, dropped afterwards) on the server
of ``BENCH_POSTGRESQL_URL`` (default: the local one, user postgres), its schema from the
migrations, the portal with the testing settings (fixed keys, no rate limits, no Redis) but
the audit chaining of a deployment (in the background, ``AUDIT_CHAIN_DELAY_MS``).

Run: ``.venv/bin/python bench/bench_casting.py [--seconds 5] [--rounds 3]`` from the
repository root (``make bench`` runs it). Needs ``wrk`` (``make bench-tools``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from bench_statements import (  # noqa: E402
    CLOCK_TICKS,
    CONNECTIONS,
    THREADS,
    WORKERS,
    Server,
    gunicorn,
    process_cpu_ticks,
    workers_cpu_seconds,
)

POSTGRESQL = os.environ.get("BENCH_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
TARGET = 0.5
PASSWORD = "correct horse battery staple"  # noqa: S105  (the factories' test password)
CSRF_FIELD = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
TOKEN_FIELD = re.compile(r'name="token" type="hidden" value="([^"]+)"')
REQUESTS_PER_SECOND = re.compile(r"Requests/sec:\s+([\d.]+)")
ANSWERED = re.compile(r"(\d+) requests in")
NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
SOCKET_ERRORS = re.compile(r"Socket errors:.*")
BAD = re.compile(r"^bad (\d+)$", re.MULTILINE)

# Each thread sends its share of the file's requests, once each, and counts every answer that
# is not a redirect to a receipt page. Out of requests, it asks for a page that does not exist.
WRK_SCRIPT = textwrap.dedent(
    """
    local threads = {}
    local next_id = 0

    function setup(thread)
      thread:set("id", next_id)
      next_id = next_id + 1
      table.insert(threads, thread)
    end

    function init(args)
      local file, count = args[1], tonumber(args[2])
      mine, position, bad = {}, 0, 0
      local line_number = 0
      for line in io.lines(file) do
        if line_number % count == id then
          local path, cookie, body = line:match("^(%S+)\\t(%S+)\\t(%S+)$")
          table.insert(mine, wrk.format("POST", path, {
            ["Cookie"] = cookie,
            ["Content-Type"] = "application/x-www-form-urlencoded",
          }, body))
        end
        line_number = line_number + 1
      end
    end

    function request()
      position = position + 1
      return mine[position] or wrk.format("GET", "/bench-ran-out-of-voters")
    end

    function response(status, headers, body)
      local location = headers["Location"] or ""
      if status ~= 302 or not location:match("/receipt$") then
        bad = bad + 1
      end
    end

    function done(summary, latency, requests)
      local total = 0
      for _, thread in ipairs(threads) do
        total = total + thread:get("bad")
      end
      io.write(string.format("bad %d\\n", total))
    end
    """
)

BARE_APP = textwrap.dedent(
    '''
    """The stack's ceiling: Flask inserting one row through a SQLAlchemy session, committed."""
    import os

    import sqlalchemy as sa
    from flask import Flask, redirect, request
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, scoped_session, sessionmaker


    class Base(DeclarativeBase):
        pass


    class Row(Base):
        __tablename__ = "bench_bare_rows"
        id: Mapped[int] = mapped_column(primary_key=True)
        token: Mapped[str] = mapped_column(sa.String(64))
        created_at: Mapped[sa.DateTime] = mapped_column(
            sa.DateTime(timezone=True), server_default=sa.func.now()
        )


    engine = sa.create_engine(os.environ["BARE_DATABASE_URL"])
    Session = scoped_session(sessionmaker(engine))
    app = Flask(__name__)


    @app.teardown_appcontext
    def close(error):
        Session.remove()


    @app.post("/insert")
    def insert():
        Session.add(Row(token=request.form["token"][:64]))
        Session.commit()
        return redirect("/inserted/receipt")
    '''
)


@dataclass
class Round:
    rate: float
    answered: int
    #: The server's workers' processor time a request (user and system), in milliseconds.
    cpu_ms: float
    #: PostgreSQL's processes' time a request, and the whole machine's (every process).
    postgres_ms: float
    machine_ms: float


def postgres_cpu_seconds() -> float:
    """User and system time of every PostgreSQL process of this machine so far (``/proc``)."""
    total = 0
    for entry in Path("/proc").iterdir():
        try:
            named_postgres = (entry / "comm").read_text().startswith("postgres")
        except OSError:  # not a process, or one that has gone
            continue
        if entry.name.isdigit() and named_postgres:
            total += process_cpu_ticks(entry / "stat")
    return total / CLOCK_TICKS


def machine_cpu_seconds() -> float:
    """Busy time of all the machine's processors so far: every state but idle and waiting."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / CLOCK_TICKS


def run_wrk(server: Server, requests_file: Path, seconds: int) -> Round:
    base = server.base
    script = requests_file.with_suffix(".lua")
    cpu_before = workers_cpu_seconds(server.pid)
    postgres_before, machine_before = postgres_cpu_seconds(), machine_cpu_seconds()
    script.write_text(WRK_SCRIPT)
    result = subprocess.run(
        [
            "wrk",
            f"-t{THREADS}",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            # A queue of 50 on 4 workers: an answer may take longer than wrk's 2 s default.
            "--timeout",
            "10s",
            "-s",
            str(script),
            base,
            "--",
            str(requests_file),
            str(THREADS),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    cpu = workers_cpu_seconds(server.pid) - cpu_before
    postgres = postgres_cpu_seconds() - postgres_before
    machine = machine_cpu_seconds() - machine_before
    output = result.stdout
    non_2xx, bad = NON_2XX.search(output), BAD.search(output)
    if non_2xx or bad is None or int(bad.group(1)):
        raise SystemExit(
            f"{base}: answers other than a redirect to a receipt (or too few voters):\n{output}"
        )
    errors = SOCKET_ERRORS.search(output)
    if errors:
        raise SystemExit(f"{base}: wrk saw socket errors: {errors.group(0)}\n{output}")
    rate, answered = REQUESTS_PER_SECOND.search(output), ANSWERED.search(output)
    if rate is None or answered is None:
        raise SystemExit(f"wrk printed no rate for {base}:\n{output}{result.stderr}")
    count = int(answered.group(1))
    per_request = 1000 / max(count, 1)
    return Round(
        float(rate.group(1)),
        count,
        cpu * per_request,
        postgres * per_request,
        machine * per_request,
    )


# --- the voters -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One confirm POST, ready to send: its path, the voter's cookie and the form body."""

    vote_id: int
    ods_code: str
    path: str
    cookie: str
    body: str

    def line(self) -> str:
        return f"{self.path}\t{self.cookie}\t{self.body}\n"


def seed(app: Any, practices: int, votes: int) -> tuple[str, list[int], list[tuple[str, str]]]:
    """An area, its practices with a partner each, an LMC officer and ``votes`` open votes;
    returns the area's slug, the votes' ids and each partner's (email, practice code)."""
    from portal.accounts.models import Role
    from portal.database import utcnow
    from portal.extensions import db
    from portal.organisations.models import OrganisationKind
    from portal.voting import services
    from portal.voting.models import BallotSecrecy, VoteKind
    from tests.factories import make_area, make_organisation, make_user
    from tests.voting.test_vote_services import MOTION_RULES

    with app.app_context():
        area = make_area("casting", "Casting Benchmark ICB")
        lmc = make_organisation(area, OrganisationKind.LMC, ods_code="LMC1")
        officer = make_user(lmc, Role.LMC_OFFICER, email="officer@casting.example.nhs.uk")
        pcn = make_organisation(area, OrganisationKind.PCN, ods_code="U10001")
        partners = []
        for number in range(practices):
            code = f"C{number:05d}"
            practice = make_organisation(area, ods_code=code, list_size=5000 + number, pcn=pcn)
            email = f"partner.{code.lower()}@casting.example.nhs.uk"
            make_user(practice, Role.GP_PARTNER, email=email, password=PASSWORD)
            partners.append((email, code))
        vote_ids = []
        now = utcnow()
        for number in range(votes):
            details = services.VoteDetails(
                title=f"Casting benchmark motion {number + 1}",
                question="Should the LMC support the motion?",
                body_markdown="A motion for the casting benchmark.",
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
            vote_ids.append(vote.id)
        db.session.commit()
        return area.slug, vote_ids, partners


def prepare_requests(
    app: Any, area_slug: str, vote_ids: list[int], partners: list[tuple[str, str]]
) -> list[Request]:
    """Sign each partner in, choose an answer in each vote, and make its confirm POSTs."""
    from portal.extensions import db
    from portal.organisations.models import Organisation
    from portal.voting import casting
    from portal.voting.models import Vote
    from tests.conftest import sign_in_with_form

    prepared = []
    choices = ("for", "against")
    for number, (email, code) in enumerate(partners):
        client = app.test_client()
        answer = sign_in_with_form(client, email, PASSWORD)
        assert answer.status_code == 302, answer.get_data(as_text=True)
        with app.app_context():
            organisation = db.session.execute(
                sa.select(Organisation).where(Organisation.ods_code == code)
            ).scalar_one()
            pending = {}
            for vote_id in vote_ids:
                vote = db.session.get(Vote, vote_id)
                assert vote is not None
                choice = choices[(number + vote_id) % 2]
                token = casting.issue(vote, organisation, choice)
                pending[f"pending-ballot-{vote_id}-{code}"] = {"token": token, "choice": choice}
            db.session.commit()
        with client.session_transaction() as session:
            session.update(pending)
        first = f"/areas/{area_slug}/votes/{vote_ids[0]}/cast/{code}"
        page = client.get(f"{first}/check").get_data(as_text=True)
        csrf, shown = CSRF_FIELD.search(page), TOKEN_FIELD.search(page)
        assert csrf, page
        assert shown, page
        assert shown.group(1) == pending[f"pending-ballot-{vote_ids[0]}-{code}"]["token"]
        cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
        assert cookie is not None
        for vote_id in vote_ids:
            body = urllib.parse.urlencode(
                {
                    "csrf_token": csrf.group(1),
                    "token": pending[f"pending-ballot-{vote_id}-{code}"]["token"],
                }
            )
            prepared.append(
                Request(
                    vote_id,
                    code,
                    f"/areas/{area_slug}/votes/{vote_id}/cast/{code}/confirm",
                    f"{cookie.key}={cookie.value}",
                    body,
                )
            )
    # Vote after vote, as on a last day: everyone casting in the same vote at once.
    prepared.sort(key=lambda request: (request.vote_id, request.ods_code))
    return prepared


# --- the checks -----------------------------------------------------------------------------


def cast_so_far(engine: sa.Engine) -> set[tuple[int, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT b.vote_id, o.ods_code FROM ballots b "
                "JOIN organisations o ON o.id = b.organisation_id"
            )
        )
        return {(vote_id, code) for vote_id, code in rows}


def check_tables(
    app: Any, engine: sa.Engine, answered: int, bare_answered: int, unanswered: int
) -> None:
    """Exactly one ballot, receipt and audit entry per used token; none lost, none doubled."""
    with engine.connect() as connection:

        def count(sql: str) -> int:
            return int(connection.execute(sa.text(sql)).scalar_one())

        ballots = count("SELECT count(*) FROM ballots")
        distinct = count("SELECT count(DISTINCT (vote_id, organisation_id)) FROM ballots")
        used = count("SELECT count(*) FROM cast_confirmations WHERE used")
        receipts = count("SELECT count(*) FROM receipts")
        entries = count("SELECT count(*) FROM audit_entries WHERE action = 'ballot.cast'")
        changed = count("SELECT count(*) FROM audit_entries WHERE action = 'ballot.changed'")
        unmatched = count(
            "SELECT count(*) FROM cast_confirmations c WHERE c.used <> EXISTS ("
            "SELECT 1 FROM ballots b WHERE b.vote_id = c.vote_id "
            "AND b.organisation_id = c.organisation_id)"
        )
        bare_rows = count("SELECT count(*) FROM bench_bare_rows")
    with app.app_context():
        from portal.audit.chaining import chain_pending
        from portal.audit.services import verify_chain
        from portal.extensions import db

        # What the worker's sweep would do next round: chain what the last commits left.
        left = chain_pending(db.engine)
        fault = verify_chain()
    print(f"audit entries still waiting to be chained after the run (swept): {left}")
    print(
        f"tables afterwards: {answered} casts answered, {used} tokens used, {ballots} ballots "
        f"({distinct} distinct practice and vote), {receipts} receipts, {entries} ballot.cast "
        f"audit entries, {changed} ballot.changed, {unmatched} tokens whose use and ballot "
        f"disagree; audit chain {'intact' if fault is None else f'BROKEN at {fault}'}; "
        f"bare: {bare_answered} inserts answered, {bare_rows} rows"
    )
    problems = []
    if not (ballots == distinct == used == receipts == entries) or changed or unmatched:
        problems.append("ballots, tokens, receipts and audit entries do not match one to one")
    if not answered <= ballots <= answered + unanswered:
        problems.append(f"{ballots} ballots for {answered} answered casts")
    if not bare_answered <= bare_rows <= bare_answered + unanswered:
        problems.append(f"{bare_rows} bare rows for {bare_answered} answered inserts")
    if fault is not None:
        problems.append(f"the audit chain is broken: {fault}")
    if problems:
        raise SystemExit("LOST OR DOUBLED: " + "; ".join(problems))
    print("0 ballots lost, 0 doubled")


# --- the run --------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of one wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each side, alternating")
    parser.add_argument("--practices", type=int, default=400, help="voters, one per practice")
    parser.add_argument("--votes", type=int, default=20, help="open votes, each for all")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench_casting: wrk is missing: make bench-tools", file=sys.stderr)
        return 1

    from flask_migrate import upgrade

    from config import Defaults, load_settings
    from portal import create_app

    server = sa.engine.make_url(POSTGRESQL)
    name = f"bench_casting_{os.getpid()}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    folder = Path(tempfile.mkdtemp(prefix="bench-casting-"))
    engine = sa.create_engine(url)
    try:
        app = create_app({**load_settings("testing"), "DATABASE_URL": url})
        with app.app_context():
            upgrade()
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "CREATE TABLE bench_bare_rows (id serial PRIMARY KEY, token varchar(64) "
                    "NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
                )
            )
        started = time.monotonic()
        area_slug, vote_ids, partners = seed(app, options.practices, options.votes)
        requests = prepare_requests(app, area_slug, vote_ids, partners)
        print(
            f"{len(requests):,} ballots ready to cast ({options.practices} practices x "
            f"{options.votes} votes) in {time.monotonic() - started:.0f} s"
        )
        portal_env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "FLASK_"))},
            "PORTAL_ENV": "testing",
            # The suite chains each commit's audit entries before answering; a deployment
            # chains them in the background, at most once every so often (its default).
            "PORTAL_AUDIT_CHAIN_DELAY_MS": str(Defaults.AUDIT_CHAIN_DELAY_MS),
            "PORTAL_DATABASE_URL": url,
            "PORTAL_OUTBOX_DIR": str(folder / "outbox"),
            "PORTAL_UPLOAD_DIR": str(folder / "uploads"),
        }
        bare = folder / "bare"
        bare.mkdir()
        (bare / "bare_app.py").write_text(BARE_APP)
        bare_env = {**os.environ, "PYTHONPATH": str(bare), "BARE_DATABASE_URL": url}
        bare_requests = folder / "bare.requests"
        # The bare insert is several times faster than a cast: it gets its lines three times
        # over, so a round of it never runs out.
        with bare_requests.open("w") as file:
            for _ in range(3):
                for request in requests:
                    file.write(f"/insert\tbench=1\t{request.body}\n")
        print(
            f"casting over HTTP on PostgreSQL: gunicorn -w {WORKERS}, wrk -t{THREADS} "
            f"-c{CONNECTIONS} -d{options.seconds}s, {options.rounds} alternating rounds a side, "
            f"medians; {os.cpu_count()} cores, shared with whatever else runs on this machine"
        )
        portal_rounds, bare_rounds = [], []

        def portal_round(seconds: int) -> Round:
            done = cast_so_far(engine)
            remaining = folder / f"portal-{len(portal_rounds)}.requests"
            with remaining.open("w") as file:
                for request in requests:
                    if (request.vote_id, request.ods_code) not in done:
                        file.write(request.line())
            return run_wrk(portal, remaining, seconds)

        with (
            gunicorn("wsgi:app", folder, portal_env) as portal,
            gunicorn("bare_app:app", folder, bare_env) as ceiling,
        ):
            # Each worker's first requests compile templates and fill caches: not counted.
            warm_up = [portal_round(1), run_wrk(ceiling, bare_requests, 1)]
            for number in range(options.rounds):
                portal_rounds.append(portal_round(options.seconds))
                bare_rounds.append(run_wrk(ceiling, bare_requests, options.seconds))
                ours, theirs = portal_rounds[-1], bare_rounds[-1]
                print(
                    f"  round {number + 1}: portal {ours.rate:7.0f} casts/s, bare "
                    f"{theirs.rate:7.0f} inserts/s; processor time a request (workers + "
                    f"PostgreSQL / whole machine): portal {ours.cpu_ms:.1f} + "
                    f"{ours.postgres_ms:.1f} / {ours.machine_ms:.1f} ms, bare "
                    f"{theirs.cpu_ms:.1f} + {theirs.postgres_ms:.1f} / {theirs.machine_ms:.1f} ms"
                )
            time.sleep(1)  # the last requests wrk left unanswered finish
        ours = statistics.median(r.rate for r in portal_rounds)
        theirs = statistics.median(r.rate for r in bare_rounds)
        ratio = ours / theirs
        cpu_ours = statistics.median(r.cpu_ms for r in portal_rounds)
        cpu_theirs = statistics.median(r.cpu_ms for r in bare_rounds)
        machine_ours = statistics.median(r.machine_ms for r in portal_rounds)
        machine_theirs = statistics.median(r.machine_ms for r in bare_rounds)
        verdict = "meets" if ratio >= TARGET else "BELOW"
        print(
            f"cast (confirm POST)  portal {ours:7.0f} casts/s  bare Flask+SQLAlchemy insert "
            f"{theirs:7.0f} req/s  ratio {ratio:.2f} ({verdict} the {TARGET} target); "
            f"workers' CPU a request: portal {cpu_ours:.1f} ms, bare {cpu_theirs:.1f} ms; "
            f"the whole machine's: portal {machine_ours:.1f} ms, bare {machine_theirs:.1f} ms "
            f"(ratio {machine_theirs / machine_ours:.2f}: on a machine whose processors are "
            f"all busy, the rate follows it)"
        )
        check_tables(
            app,
            engine,
            sum(r.answered for r in [warm_up[0], *portal_rounds]),
            sum(r.answered for r in [warm_up[1], *bare_rounds]),
            CONNECTIONS * (options.rounds + 1),
        )
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
