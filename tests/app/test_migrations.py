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


BEFORE_RETENTION_AND_STORED_DOCUMENTS = "77d1b22f7cd6"


def test_upgrading_moves_uploaded_files_into_the_database_and_dates_past_deactivations(
    app, db, tmp_path
):
    from pathlib import Path

    load_demo_area()
    db.session.commit()
    db.session.remove()
    with db.engine.connect() as connection:
        documents = connection.execute(
            sa.text("SELECT id, storage_key, content FROM proposal_documents ORDER BY id")
        ).all()
    assert documents, "the demo attaches a document to its proposal"
    previous = app.config["UPLOAD_DIR"]
    app.config["UPLOAD_DIR"] = str(tmp_path)
    try:
        downgrade(revision=BEFORE_RETENTION_AND_STORED_DOCUMENTS)
        # As the portal kept them before: one file per document, named by its key; one lost.
        kept, lost = documents[0], documents[1:]
        Path(tmp_path, kept.storage_key).write_bytes(kept.content)
        with db.engine.begin() as connection:
            connection.execute(sa.text("UPDATE users SET active = false WHERE id = 1"))
    finally:
        upgrade()
        app.config["UPLOAD_DIR"] = previous
    with db.engine.connect() as connection:
        contents = dict(
            connection.execute(sa.text("SELECT id, content FROM proposal_documents")).all()
        )
        deactivated_at = connection.execute(
            sa.text("SELECT deactivated_at FROM users WHERE id = 1")
        ).scalar_one()
    assert bytes(contents[kept.id]) == bytes(kept.content)
    assert all(contents[document.id] is None for document in lost)
    assert deactivated_at is not None
