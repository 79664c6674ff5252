"""Backup and restore refuse what they cannot do with a message that says why, and exit 1 from
the command line: a file that is not there, an in-memory database, a database of a kind they
have no method for, and a machine without the PostgreSQL client tools."""

from __future__ import annotations

import pytest

from portal.backup import BackupError, backup, restore


def test_restoring_a_file_that_is_not_there_says_so_and_exits_1(app, db, tmp_path):
    missing = tmp_path / "no-such-backup.sqlite3"

    result = app.test_cli_runner().invoke(args=["restore", str(missing)])

    assert result.exit_code == 1
    assert f"Restore failed: {missing} is not a file" in result.output


def test_a_backup_that_cannot_be_made_says_why_and_exits_1(app, db, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "DATABASE_URL", "sqlite://")

    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "copy.sqlite3")])

    assert result.exit_code == 1
    assert "Backup failed: an in-memory SQLite database cannot be backed up" in result.output
    assert not (tmp_path / "copy.sqlite3").exists()


def test_a_database_of_another_kind_has_no_backup_or_restore_method(tmp_path):
    source = tmp_path / "backup.dump"
    source.write_bytes(b"not used")

    with pytest.raises(BackupError, match="no backup method for mysql databases"):
        backup("mysql://portal@127.0.0.1/portal", tmp_path / "copy.dump")
    with pytest.raises(BackupError, match="no restore method for mysql databases"):
        restore("mysql://portal@127.0.0.1/portal", source, replace=True)


def test_without_the_postgresql_client_the_backup_names_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))

    with pytest.raises(BackupError, match=r"pg_dump is not installed \(apt-get install"):
        backup("postgresql+psycopg://postgres@127.0.0.1/portal", tmp_path / "copy.dump")
    assert not (tmp_path / "copy.dump").exists()
