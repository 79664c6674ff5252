"""Failed sign-ins arriving together are each counted, so guessing in parallel cannot dodge
the lockout. Only PostgreSQL runs transactions truly side by side, so this test runs there."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from portal.accounts import services
from portal.accounts.models import Role, User
from portal.database import utcnow
from tests.conftest import TEST_DATABASE_URL
from tests.factories import make_area, make_organisation, make_user

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


def test_two_wrong_passwords_at_the_same_moment_count_as_two_failures(app, db):
    user = make_user(make_organisation(make_area()), Role.GP_PARTNER)
    email, user_id = user.email, user.id
    db.session.commit()
    first_counted = threading.Event()
    refusals: list[str] = []

    def guess(hold_until_second_waits: bool) -> None:
        from portal.extensions import db as database

        with app.app_context():
            session = database.session
            try:
                services.authenticate(email, "a wrong guess", utcnow())
            except services.SignInRefused as refusal:
                refusals.append(refusal.message)
                if hold_until_second_waits:
                    first_counted.set()
                    deadline = time.monotonic() + 20
                    while _waiting_locks(app) == 0 and time.monotonic() < deadline:
                        time.sleep(0.05)
                # The refusal is kept: the request handler commits the count before replying.
                session.commit()
            finally:
                session.remove()

    first = threading.Thread(target=guess, args=(True,))
    second = threading.Thread(target=lambda: (first_counted.wait(20), guess(False)))
    first.start()
    second.start()
    first.join(30)
    second.join(30)

    assert len(refusals) == 2
    db.session.expire_all()
    assert db.session.get(User, user_id).failed_logins == 2
