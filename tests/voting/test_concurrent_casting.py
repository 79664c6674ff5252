"""Partners of one practice casting at the same moment end with exactly one ballot.

The unique constraint (vote, organisation) decides: the second insert waits on the first
transaction's uncommitted row and then fails, and the service turns that into a clear message.
A change locks the ballot row, so changes at the same moment each make a version; a recusal
locks the vote row, so it waits for the casts in progress.
"""

from __future__ import annotations

import re
import threading

import sqlalchemy as sa

from portal.accounts.models import Role, User
from portal.database import utcnow
from portal.extensions import db as database
from portal.organisations.models import Organisation
from portal.voting import casting, conflicts
from portal.voting.models import (
    Ballot,
    ConflictDeclaration,
    ConflictRuling,
    InterestCategory,
    Receipt,
    Vote,
)
from tests.concurrency import postgresql_only, race
from tests.conftest import csrf_token_from, fetch_csrf_token
from tests.factories import DEFAULT_PASSWORD, make_user, make_world
from tests.voting.helpers import WEIGHTED_WORLD, open_weighted_vote

pytestmark = postgresql_only


def _cast(user_id: int, vote_id: int, organisation_id: int, choice: str):
    """A cast in the current thread's own session; returns the ballot's version."""

    def work() -> int:
        session = database.session
        ballot, _code = casting.cast_ballot(
            session.get(User, user_id),
            session.get(Vote, vote_id),
            session.get(Organisation, organisation_id),
            choice,
            utcnow(),
        )
        return ballot.version

    return work


def test_two_partners_casting_at_once_leave_one_ballot_and_a_clear_message(app, db):
    setting = make_world(**WEIGHTED_WORLD)
    vote = open_weighted_vote(setting, db)
    practice = setting.practices[0]
    first_partner, second_partner = setting.partners[0], make_user(practice, Role.GP_PARTNER)
    ids = (vote.id, practice.id, first_partner.id, second_partner.id)
    db.session.commit()

    first, second = race(
        app, _cast(ids[2], ids[0], ids[1], "for"), _cast(ids[3], ids[0], ids[1], "against")
    )

    assert first == 1
    assert "at the same moment" in second
    ballots = db.session.execute(sa.select(Ballot.choice, Ballot.cast_by_id)).all()
    assert ballots == [("for", ids[2])]


def test_partners_confirming_at_the_same_moment_over_http_leave_one_ballot(app, db):
    """Six partners of one practice press "Confirm" together, each in their own browser."""
    setting = make_world(**WEIGHTED_WORLD)
    vote = open_weighted_vote(setting, db)
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
        choice = "for" if index % 2 == 0 else "against"
        cast_url = f"{vote_url}/cast/{practice.ods_code}"
        browser.post(
            cast_url, data={"choice": choice, "csrf_token": fetch_csrf_token(browser, cast_url)}
        )
        check = browser.get(f"{cast_url}/check").get_data(as_text=True)
        one_time = re.search(r'name="token" type="hidden" value="([^"]+)"', check)
        assert one_time is not None
        browsers.append((browser, csrf_token_from(check), one_time.group(1)))
    start = threading.Barrier(len(browsers))
    responses: list[tuple[int, str]] = []

    def confirm(browser, token: str, one_time: str) -> None:
        start.wait(10)
        response = browser.post(
            confirm_url, data={"token": one_time, "csrf_token": token}, follow_redirects=True
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
    setting = make_world(**WEIGHTED_WORLD)
    vote = open_weighted_vote(setting, db)
    practice = setting.practices[0]
    first_partner, second_partner = setting.partners[0], make_user(practice, Role.GP_PARTNER)
    casting.cast_ballot(first_partner, vote, practice, "abstain", utcnow())
    ids = (vote.id, practice.id, first_partner.id, second_partner.id)
    db.session.commit()

    outcome = race(
        app, _cast(ids[2], ids[0], ids[1], "for"), _cast(ids[3], ids[0], ids[1], "against")
    )

    assert outcome == (2, 3)
    (ballot,) = db.session.execute(sa.select(Ballot)).scalars().all()
    assert (ballot.choice, ballot.version, ballot.cast_by_id) == ("against", 3, ids[3])
    receipts = db.session.execute(
        sa.select(Receipt.ballot_version, Receipt.choice).order_by(Receipt.ballot_version)
    ).all()
    assert receipts == [(1, "abstain"), (2, "for"), (3, "against")]


def test_a_recusal_ruled_while_a_ballot_is_being_cast_removes_that_ballot(app, db):
    """The ruling waits for the cast in progress, then takes its ballot out of the vote."""
    setting = make_world(**WEIGHTED_WORLD)
    vote = open_weighted_vote(setting, db)
    practice = setting.practices[3]
    declaration = conflicts.declare_conflict(
        setting.partners[3],
        vote,
        practice,
        InterestCategory.FINANCIAL,
        "A partner owns the building the hub would use",
        utcnow(),
    )
    officer_id, declaration_id = setting.officer.id, declaration.id
    cast = _cast(setting.partners[3].id, vote.id, practice.id, "for")
    db.session.commit()

    def rule() -> None:
        session = database.session
        conflicts.rule_on_conflict(
            session.get(User, officer_id),
            session.get(ConflictDeclaration, declaration_id),
            ConflictRuling.RECUSED,
            utcnow(),
        )

    assert race(app, cast, rule) == (1, None)
    assert db.session.execute(sa.select(Ballot)).scalars().all() == []


def test_one_confirmation_sent_twice_at_the_same_moment_casts_once(app, db):
    """The same "Cast ballot" page submitted twice at once (a double tap, a reload): the second
    waits for the first's use of the token, then casts nothing."""
    setting = make_world(**WEIGHTED_WORLD)
    vote = open_weighted_vote(setting, db)
    practice, partner = setting.practices[0], setting.partners[0]
    token = casting.issue(vote, practice, "for")
    ids = (partner.id, vote.id, practice.id)
    db.session.commit()

    def confirm():
        session = database.session
        confirmed = casting.confirm(
            session.get(User, ids[0]),
            session.get(Vote, ids[1]),
            session.get(Organisation, ids[2]),
            token,
            "for",
            utcnow(),
        )
        return confirmed.code is not None

    first, second = race(app, confirm, confirm)

    assert (first, second) == (True, False)
    db.session.expire_all()
    (ballot,) = db.session.execute(sa.select(Ballot)).scalars().all()
    assert (ballot.choice, ballot.version) == ("for", 1)
