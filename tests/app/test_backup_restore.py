"""A backup of the demo restores into a fresh database with every row and the audit chain intact."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.backup import BackupError, restore
from portal.demo.loader import load_demo_area
from portal.extensions import db as database_extension


@pytest.fixture
def fresh_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as the suite's, made for one test."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    server = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"{url.database}_restored_{secrets.token_hex(4)}"
    with server.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def _every_row(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = {}
            for table in database_extension.metadata.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                query = sa.select(table).order_by(*order)
                rows[table.name] = [tuple(row) for row in connection.execute(query)]
            return rows
    finally:
        engine.dispose()


def test_a_backup_of_the_demo_restores_every_row_and_an_intact_audit_chain(
    app, db, database_url, fresh_database_url, tmp_path
):
    load_demo_area()
    db.session.commit()
    backup_file = tmp_path / "portal.backup"

    result = app.test_cli_runner().invoke(args=["backup", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert backup_file.stat().st_size > 0

    restored_app = create_app({**app.config, "DATABASE_URL": fresh_database_url})
    # The CLI runs in the app context it finds, so the restored portal's context goes on top.
    with restored_app.app_context():
        result = restored_app.test_cli_runner().invoke(args=["restore", str(backup_file)])
        assert result.exit_code == 0, result.output
        verified = restored_app.test_cli_runner().invoke(args=["audit-verify"])
        database_extension.engine.dispose()

    original = _every_row(database_url)
    copy = _every_row(fresh_database_url)
    assert copy == original
    assert len(copy["audit_entries"]) > 0
    assert len(copy["ballots"]) > 0
    assert verified.exit_code == 0, verified.output
    assert "intact" in verified.output


def test_restore_refuses_a_database_that_already_holds_tables(app, db, database_url, tmp_path):
    backup_file = tmp_path / "portal.backup"
    assert app.test_cli_runner().invoke(args=["backup", str(backup_file)]).exit_code == 0

    with pytest.raises(BackupError, match="--replace"):
        restore(database_url, backup_file)

    result = app.test_cli_runner().invoke(args=["restore", str(backup_file)])
    assert result.exit_code == 1
    assert "already holds tables" in result.output


def test_restore_refuses_a_file_that_is_not_a_backup(database_url, fresh_database_url, tmp_path):
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("this is not a database\n")

    with pytest.raises(BackupError):
        restore(fresh_database_url, not_a_backup)

    engine = sa.create_engine(fresh_database_url)
    try:
        assert sa.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
