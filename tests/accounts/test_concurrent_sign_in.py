"""Failed sign-ins arriving together are each counted, so guessing in parallel cannot dodge
the delays."""

from __future__ import annotations

import sqlalchemy as sa

from portal.accounts import services
from portal.accounts.models import Role, SignInDelay
from portal.database import utcnow
from tests.concurrency import postgresql_only, race
from tests.factories import make_area, make_organisation, make_user

pytestmark = postgresql_only


def test_two_wrong_passwords_at_the_same_moment_count_as_two_failures(app, db):
    user = make_user(make_organisation(make_area()), Role.GP_PARTNER)
    email = user.email
    db.session.commit()

    def guess() -> str:
        # A refusal keeps its transaction: the sign-in view commits the count before replying.
        try:
            services.check_password(
                email, "a wrong guess", services.Client(address="203.0.113.5"), utcnow()
            )
        except services.SignInRefused as refusal:
            return refusal.message
        return "signed in"

    assert race(app, guess, guess) == ("Enter a correct email address and password",) * 2
    db.session.expire_all()
    delay = db.session.execute(sa.select(SignInDelay)).scalar_one()
    assert delay.failures == 2
