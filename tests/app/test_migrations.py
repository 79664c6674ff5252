"""Migrating a database that holds votes keeps every row, on SQLite as on PostgreSQL.

SQLite alters a table by rebuilding it, and with foreign keys enforced the rebuild's drop
would delete the votes and cascade to their ballots; the migration environment prevents that.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from portal.demo.loader import load_demo_area

BEFORE_CANCELLED_VOTES = "b4c22e17e405"
COUNTED_TABLES = ("votes", "electorate_members", "ballots", "users", "organisations")


def _row_counts(db) -> dict[str, int]:
    with db.engine.connect() as connection:
        return {
            table: connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
            for table in COUNTED_TABLES
        }


def test_a_migration_down_and_up_again_keeps_the_votes_and_their_ballots(app, db):
    load_demo_area()
    db.session.commit()
    db.session.remove()
    before = _row_counts(db)
    assert before["ballots"] > 0
    try:
        downgrade(revision=BEFORE_CANCELLED_VOTES)
        assert _row_counts(db) == before
    finally:
        upgrade()
    assert _row_counts(db) == before
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
