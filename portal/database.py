"""Declarative base, shared column types and the one-commit-per-request rule."""

from __future__ import annotations

import enum
import sqlite3
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, scoped_session
from sqlalchemy.types import TypeDecorator

from portal.errors import Conflict, DomainError

# Constraint names must be stable so that migrations can drop and alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


def insert_or_conflict(
    session: Session | scoped_session[Any], row: object, conflict: str | DomainError
) -> None:
    """Insert ``row`` in a savepoint of its own. When a unique constraint refuses it (another
    request got there first), only the savepoint rolls back and ``conflict`` is raised, as a
    ``Conflict`` if it is a message, for the user to read."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as error:
        raise (conflict if isinstance(conflict, DomainError) else Conflict(conflict)) from error


# One INSERT statement a table, built once: its cache key is worked out once, not every time.
_INSERTS: dict[sa.Table, sa.Insert] = {}


def insert_at_once(session: Session | scoped_session[Any], instance: Base) -> None:
    """Write ``instance``, a new row, with one INSERT now, and keep it in the session as if it
    had been loaded: for a hot path (casting a ballot), where a flush of the unit of work
    costs more than its statement. Columns not set on ``instance`` take their defaults and
    are read back on first use; an autoincrement key comes back with the INSERT.

    When anything else waits to be flushed, ``instance`` is simply added and flushed with it
    at the next flush, as usual: inserting it first could break the order the unit of work
    keeps, and would move where such a flush fails.

    The row never passes through a flush, so flush events (the statements' cache watches
    them) and mapper ``before_insert`` events never see it: use it only for rows nothing
    watches that way (ballots, receipts, audit entries)."""
    if session.new or session.dirty or session.deleted:
        session.add(instance)
        return
    mapper = sa.inspect(type(instance))
    state = sa.inspect(instance)
    given = {
        column.key: state.dict[attribute.key]
        for attribute in mapper.column_attrs
        for column in attribute.columns
        if attribute.key in state.dict
    }
    table = cast(sa.Table, mapper.local_table)
    statement = _INSERTS.get(table)
    if statement is None:
        statement = _INSERTS.setdefault(table, table.insert())
    # An INSERT's result is a cursor result, which has the new key.
    result = cast("sa.CursorResult[Any]", session.execute(statement, given))
    for column, value in zip(mapper.primary_key, result.inserted_primary_key or (), strict=True):
        setattr(instance, mapper.get_property_by_column(column).key, value)
    make_transient_to_detached(instance)
    session.add(instance)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and always returned timezone-aware.

    SQLite keeps no time zone, so every value is normalised to UTC on the way in; a naive
    value is a programming error and is refused rather than guessed at.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def enum_column(enum_class: type[enum.Enum], name: str) -> sa.Enum:
    """A portable enum: a VARCHAR with a CHECK constraint holding the enum's values."""
    return sa.Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_class),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


@event.listens_for(Engine, "connect")
def _configure_sqlite_connection(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite ignores foreign keys unless asked, and Python's driver manages transactions
    itself in a way that breaks SAVEPOINT; SQLAlchemy's documented recipe hands that back."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # Write-ahead logging lets readers and a writer work side by side.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite_transaction(connection: Any) -> None:
    # A connection asked to autocommit (the statements' fingerprint) must not hold a
    # transaction open: in WAL mode it would go on reading the moment it began.
    autocommit = connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
    if connection.dialect.name == "sqlite" and not autocommit:
        connection.exec_driver_sql("BEGIN")
