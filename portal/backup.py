"""Backing up and restoring the portal's database.

PostgreSQL is copied with its own tools (``pg_dump`` in the custom format, ``pg_restore``), so
a backup restores on any server of the same or a later major version. The embedded SQLite
database is copied with SQLite's online backup, which gives a consistent copy while the portal
keeps serving. Neither reads the models: a backup holds every table, the audit chain included,
exactly as it was.
"""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message says why."""


def _sqlite_path(url: sa.engine.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _libpq_url(url: sa.engine.URL) -> str:
    """The same database as a URL that pg_dump and pg_restore understand (no driver name)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    try:
        # The command is pg_dump or pg_restore with the portal's own database URL and a path.
        finished = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as error:
        missing = f"{command[0]} is not installed (apt-get install postgresql-client)"
        raise BackupError(missing) from error
    if finished.returncode != 0:
        raise BackupError(f"{command[0]} failed: {finished.stderr.strip()}")


def backup(database_url: str, destination: Path) -> None:
    """Write a consistent copy of the database to ``destination``."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        target = sqlite3.connect(destination)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    if url.get_backend_name() == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={destination}", _libpq_url(url)])
        return
    raise BackupError(f"no backup method for {url.get_backend_name()} databases")


def _is_empty(database_url: str) -> bool:
    engine = sa.create_engine(database_url)
    try:
        return not sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def restore(database_url: str, source: Path, *, replace: bool = False) -> None:
    """Load a backup into the database. One that already holds tables needs ``replace``."""
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    if not replace and not _is_empty(database_url):
        raise BackupError(
            "the database already holds tables; restore with --replace to overwrite it"
        )
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        try:
            backup_copy = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            backup_copy.execute("PRAGMA schema_version").fetchone()
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{source} is not a SQLite backup: {error}") from error
        target = sqlite3.connect(_sqlite_path(url))
        try:
            backup_copy.backup(target)
        finally:
            target.close()
            backup_copy.close()
        return
    if url.get_backend_name() == "postgresql":
        command = ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_libpq_url(url)}"]
        if replace:
            command += ["--clean", "--if-exists"]
        _run([*command, str(source)])
        return
    raise BackupError(f"no restore method for {url.get_backend_name()} databases")
