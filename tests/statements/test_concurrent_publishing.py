"""Two officers publishing at the same moment.

Two positions: both pick the next reference; the unique constraint makes the second insert wait
for the first transaction and then fail, and the service retries with the next number. One
position twice: the row lock makes the second wait, and it then finds the position published.
Only PostgreSQL runs transactions truly side by side, so these tests run there.
"""

from __future__ import annotations

import sqlalchemy as sa

from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db as database
from portal.positions.models import Position
from portal.statements import services
from portal.statements.models import SignatoryChoice, Statement
from portal.tiers import Tier
from tests.concurrency import postgresql_only, race
from tests.statements.helpers import agree_position, decided_vote

pytestmark = postgresql_only


def _race(app, officer_id: int, first_id: int, second_id: int) -> dict[str, object]:
    """Publish ``first_id``, and ``second_id`` while the first is not yet committed."""

    def publish(position_id: int):
        def work() -> str:
            session = database.session
            return services.publish(
                session.get(User, officer_id),
                session.get(Position, position_id),
                Tier.PUBLIC,
                SignatoryChoice.VOTED_FOR,
                utcnow(),
            ).reference

        return work

    first, second = race(app, publish(first_id), publish(second_id))
    return {"first": first, "second": second}


def test_two_statements_published_at_once_get_consecutive_references(app, db, setting):
    vote = decided_vote(setting)
    first = agree_position(setting, vote, title="First")
    second = agree_position(setting, vote, title="Second")
    ids = (setting.officer.id, first.id, second.id)
    db.session.commit()
    outcome = _race(app, *ids)
    year = services.publication_year(utcnow())
    assert outcome == {"first": f"GPV-{year}-001", "second": f"GPV-{year}-002"}
    titles = db.session.execute(
        sa.select(Statement.reference, Statement.title).order_by(Statement.reference)
    ).all()
    assert [tuple(row) for row in titles] == [
        (f"GPV-{year}-001", "First"),
        (f"GPV-{year}-002", "Second"),
    ]


def test_one_position_published_twice_at_once_makes_one_statement(app, db, setting):
    position = agree_position(setting, decided_vote(setting))
    ids = (setting.officer.id, position.id, position.id)
    db.session.commit()
    outcome = _race(app, *ids)
    assert outcome["first"].startswith("GPV-")
    assert outcome["second"] == "This position has already been published"
    assert db.session.execute(sa.select(sa.func.count(Statement.id))).scalar_one() == 1
