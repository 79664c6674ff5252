"""Two partners of one practice casting at the same moment end with exactly one ballot.

The unique constraint (vote, organisation) decides: the second insert waits on the first
transaction's uncommitted row and then fails, and the service turns that into a clear message.
Only PostgreSQL runs transactions truly side by side, so this test runs there.
"""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.database import utcnow
from portal.errors import Conflict
from portal.organisations.models import Organisation
from portal.voting import services
from portal.voting.models import Ballot, Vote
from tests.conftest import TEST_DATABASE_URL
from tests.factories import make_user
from tests.voting.test_vote_services import Area

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"),
    reason="concurrent transactions are tested on PostgreSQL (make test runs it there)",
)


def _waiting_locks(app) -> int:
    from portal.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(
            sa.text("SELECT count(*) FROM pg_locks WHERE NOT granted")
        ).scalar_one()


def test_two_partners_casting_at_once_leave_one_ballot_and_a_clear_message(app, db):
    setting = Area()
    vote = setting.open_vote(db)
    practice = setting.practices[0]
    first_partner, second_partner = setting.partners[0], make_user(practice, Role.GP_PARTNER)
    ids = (vote.id, practice.id, first_partner.id, second_partner.id)
    db.session.commit()
    first_inserted = threading.Event()
    outcome: dict[str, str] = {}

    def cast(user_id: int, choice: str, hold_until_second_waits: bool) -> None:
        from portal.accounts.models import User
        from portal.extensions import db as database

        with app.app_context():
            session = database.session
            user = session.get(User, user_id)
            the_vote = session.get(Vote, ids[0])
            organisation = session.get(Organisation, ids[1])
            try:
                services.cast_ballot(user, the_vote, organisation, choice, utcnow())
                if hold_until_second_waits:
                    first_inserted.set()
                    deadline = time.monotonic() + 20
                    while _waiting_locks(app) == 0 and time.monotonic() < deadline:
                        time.sleep(0.05)
                session.commit()
                outcome[choice] = "cast"
            except Conflict as conflict:
                session.rollback()
                outcome[choice] = conflict.message
            finally:
                session.remove()

    first = threading.Thread(target=cast, args=(ids[2], "for", True))
    second = threading.Thread(
        target=lambda: (first_inserted.wait(20), cast(ids[3], "against", False))
    )
    first.start()
    second.start()
    first.join(30)
    second.join(30)

    assert outcome["for"] == "cast"
    assert "at the same moment" in outcome["against"]
    ballots = db.session.execute(sa.select(Ballot.choice, Ballot.cast_by_id)).all()
    assert ballots == [("for", ids[2])]


def test_partners_confirming_at_the_same_moment_over_http_leave_one_ballot(app, db):
    """Six partners of one practice press "Confirm" together, each in their own browser."""
    from tests.conftest import fetch_csrf_token
    from tests.factories import DEFAULT_PASSWORD

    setting = Area()
    vote = setting.open_vote(db)
    practice = setting.practices[0]
    partners = [setting.partners[0]] + [make_user(practice, Role.GP_PARTNER) for _ in range(5)]
    vote_url = f"/areas/{setting.area.slug}/votes/{vote.id}"
    confirm_url = f"{vote_url}/cast/{practice.ods_code}/confirm"
    db.session.commit()
    browsers = []
    for index, partner in enumerate(partners):
        browser = app.test_client()
        browser.post(
            "/accounts/login",
            data={
                "email": partner.email,
                "password": DEFAULT_PASSWORD,
                "csrf_token": fetch_csrf_token(browser),
            },
        )
        token = fetch_csrf_token(browser, vote_url)
        browsers.append((browser, token, "for" if index % 2 == 0 else "against"))
    start = threading.Barrier(len(browsers))
    responses: list[tuple[int, str]] = []

    def confirm(browser, token: str, choice: str) -> None:
        start.wait(10)
        response = browser.post(
            confirm_url, data={"choice": choice, "csrf_token": token}, follow_redirects=True
        )
        responses.append((response.status_code, response.get_data(as_text=True)))

    threads = [threading.Thread(target=confirm, args=entry) for entry in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert len(responses) == len(browsers)
    assert all(status == 200 for status, _ in responses)
    receipts = [page for _, page in responses if "Your receipt code is" in page]
    clashes = [page for _, page in responses if "at the same moment" in page]
    assert len(receipts) + len(clashes) == len(browsers)
    (ballot,) = db.session.execute(sa.select(Ballot)).scalars().all()
    assert ballot.version == len(receipts)


def test_two_partners_changing_a_ballot_at_once_each_make_a_version(app, db):
    """The second change waits for the first and builds on it: no change is lost, and each
    receipt names its own version."""
    from portal.voting.models import Receipt

    setting = Area()
    vote = setting.open_vote(db)
    practice = setting.practices[0]
    first_partner, second_partner = setting.partners[0], make_user(practice, Role.GP_PARTNER)
    services.cast_ballot(first_partner, vote, practice, "abstain", utcnow())
    ids = (vote.id, practice.id, first_partner.id, second_partner.id)
    db.session.commit()
    first_changed = threading.Event()
    outcome: dict[str, int] = {}

    def change(user_id: int, choice: str, hold_until_second_waits: bool) -> None:
        from portal.accounts.models import User
        from portal.extensions import db as database

        with app.app_context():
            session = database.session
            try:
                ballot, _code = services.cast_ballot(
                    session.get(User, user_id),
                    session.get(Vote, ids[0]),
                    session.get(Organisation, ids[1]),
                    choice,
                    utcnow(),
                )
                if hold_until_second_waits:
                    first_changed.set()
                    deadline = time.monotonic() + 20
                    while _waiting_locks(app) == 0 and time.monotonic() < deadline:
                        time.sleep(0.05)
                session.commit()
                outcome[choice] = ballot.version
            finally:
                session.remove()

    first = threading.Thread(target=change, args=(ids[2], "for", True))
    second = threading.Thread(
        target=lambda: (first_changed.wait(20), change(ids[3], "against", False))
    )
    first.start()
    second.start()
    first.join(30)
    second.join(30)

    assert outcome == {"for": 2, "against": 3}
    (ballot,) = db.session.execute(sa.select(Ballot)).scalars().all()
    assert (ballot.choice, ballot.version, ballot.cast_by_id) == ("against", 3, ids[3])
    receipts = db.session.execute(
        sa.select(Receipt.ballot_version, Receipt.choice).order_by(Receipt.ballot_version)
    ).all()
    assert receipts == [(1, "abstain"), (2, "for"), (3, "against")]


def test_a_recusal_ruled_while_a_ballot_is_being_cast_removes_that_ballot(app, db):
    """The ruling waits for the cast in progress, then takes its ballot out of the vote."""
    from portal.voting.models import ConflictRuling, InterestCategory

    setting = Area()
    vote = setting.open_vote(db)
    practice = setting.practices[3]
    declaration = services.declare_conflict(
        setting.partners[3],
        vote,
        practice,
        InterestCategory.FINANCIAL,
        "A partner owns the building the hub would use",
        utcnow(),
    )
    ids = (vote.id, practice.id, setting.partners[3].id, setting.officer.id, declaration.id)
    db.session.commit()
    cast_in_progress = threading.Event()

    def cast() -> None:
        from portal.accounts.models import User
        from portal.extensions import db as database

        with app.app_context():
            session = database.session
            try:
                services.cast_ballot(
                    session.get(User, ids[2]),
                    session.get(Vote, ids[0]),
                    session.get(Organisation, ids[1]),
                    "for",
                    utcnow(),
                )
                cast_in_progress.set()
                deadline = time.monotonic() + 20
                while _waiting_locks(app) == 0 and time.monotonic() < deadline:
                    time.sleep(0.05)
                session.commit()
            finally:
                session.remove()

    def rule() -> None:
        from portal.accounts.models import User
        from portal.extensions import db as database
        from portal.voting.models import ConflictDeclaration

        cast_in_progress.wait(20)
        with app.app_context():
            session = database.session
            try:
                services.rule_on_conflict(
                    session.get(User, ids[3]),
                    session.get(ConflictDeclaration, ids[4]),
                    ConflictRuling.RECUSED,
                    utcnow(),
                )
                session.commit()
            finally:
                session.remove()

    threads = [threading.Thread(target=cast), threading.Thread(target=rule)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert db.session.execute(sa.select(Ballot)).scalars().all() == []
