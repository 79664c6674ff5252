"""``insert_at_once``: one INSERT, no flush, and the row kept in the session as if loaded."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal.audit.models import AuditEntry
from portal.database import insert_at_once, utcnow
from portal.organisations.models import Area
from portal.statements.caching import WATCHED
from portal.voting.models import Ballot, Receipt


@contextmanager
def statements(db) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement.split()[0].upper())

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)


def _unsaved_row(slug: str) -> Area:
    return Area(
        slug=slug,
        name=f"Area {slug}",
        icb_code="QWE",
        sub_icb_code=None,
        max_proxies_per_holder=3,
        created_at=utcnow(),
    )


def test_one_insert_and_the_row_is_in_the_session_with_its_new_key(db):
    db.session.execute(sa.select(1))  # the transaction and its connection, before counting
    area = _unsaved_row("at-once")
    with statements(db) as seen:
        insert_at_once(db.session, area)
        assert (area.id, area.slug, area.name) == (area.id, "at-once", "Area at-once")
        assert db.session.get(Area, area.id) is area  # from the identity map
    assert seen == ["INSERT"]
    assert area.id is not None
    assert area not in db.session.new
    assert area not in db.session.dirty
    db.session.commit()
    assert db.session.execute(sa.select(Area.slug).where(Area.id == area.id)).scalar() == "at-once"


def test_a_column_left_unset_takes_its_default_and_is_read_back(db):
    area = Area(slug="defaulted", name="Defaulted", icb_code="QWE")
    insert_at_once(db.session, area)
    assert area.created_at is not None  # its default, read back on first use
    assert area.max_proxies_per_holder == 2


def test_with_other_changes_waiting_it_joins_them_at_the_next_flush(db):
    waiting = _unsaved_row("waiting")
    db.session.add(waiting)
    area = _unsaved_row("joins")
    with statements(db) as seen:
        insert_at_once(db.session, area)
    assert seen == []
    assert area in db.session.new
    db.session.flush()
    assert waiting.id is not None
    assert area.id is not None
    assert area.id > waiting.id  # the order it was given in


def test_a_clash_with_a_unique_constraint_raises_and_keeps_nothing(db):
    insert_at_once(db.session, _unsaved_row("twice"))
    db.session.commit()
    with pytest.raises(IntegrityError):
        insert_at_once(db.session, _unsaved_row("twice"))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Area)) == 1


@pytest.mark.parametrize("model", [Ballot, Receipt, AuditEntry])
def test_nothing_watches_the_flushes_of_the_rows_written_at_once(model):
    """Their rows never pass through a flush: no event of one may be needed for them."""
    assert len(sa.inspect(model).dispatch.before_insert) == 0
    assert len(sa.inspect(model).dispatch.after_insert) == 0
    assert not issubclass(model, WATCHED)
