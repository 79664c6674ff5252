"""Audit entries are written pending with the change they record and chained after its commit.

An entry commits or rolls back with its change, takes no lock while the change's transaction
is open, and gets its sequence and hashes in a short transaction just after the commit; a
commit that finds another chaining under way leaves its entries to that one, the next one or
the worker's sweep. A record that shows the chain's head is chained in its own transaction.
"""

from __future__ import annotations

import itertools
import logging
import threading

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role, User
from portal.audit import chaining
from portal.audit.models import AuditEntry, AuditLogIsAppendOnly
from portal.audit.services import chain_head, pending_entries, record, verify_chain
from portal.database import utcnow
from portal.extensions import db as database
from portal.http import abandon_changes
from portal.organisations.models import Organisation, OrganisationKind
from portal.voting import casting
from portal.voting.models import Vote
from portal.worker import run_round
from tests.app.test_get_writes_nothing import _writes_watched
from tests.concurrency import postgresql_only
from tests.factories import make_area, make_organisation, make_user, make_world
from tests.voting.helpers import VOTES_WORLD, WEIGHTED_WORLD, make_vote, open_weighted_vote


def _chain_state(db) -> list[tuple[int, int | None, str | None, str | None]]:
    """(id, sequence, previous hash, own hash) of every entry, read afresh, in id order."""
    db.session.expire_all()
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(
                AuditEntry.id, AuditEntry.sequence, AuditEntry.previous_hash, AuditEntry.entry_hash
            ).order_by(AuditEntry.id)
        )
    ]


def _leave_pending(db, area, count: int = 1) -> None:
    """Commit ``count`` entries whose chaining after the commit was skipped, as when another
    process was chaining at that moment."""
    for number in range(count):
        record("test.left", f"Left waiting {number + 1}", actor=None, area=area)
    db.session.info.pop(chaining.RECORDED)
    db.session.commit()


def test_entries_are_written_pending_and_chained_in_order_just_after_the_commit(db):
    area = make_area()
    record("test.first", "First", actor=None, area=area)
    db.session.commit()
    entries = [record("test.next", f"Next {n}", actor=None, area=area) for n in range(3)]
    db.session.flush()
    assert [entry.sequence for entry in entries] == [None, None, None]
    assert [row[1:] for row in _chain_state(db)[1:]] == [(None, None, None)] * 3
    assert pending_entries() == 3

    db.session.commit()

    state = _chain_state(db)
    assert [sequence for _id, sequence, _previous, _own in state] == [1, 2, 3, 4]
    for earlier, later in itertools.pairwise(state):
        assert later[2] == earlier[3]  # each names the hash of the one before it
    assert pending_entries() == 0
    assert chain_head().entries == 4
    assert verify_chain() is None


def test_a_pending_entry_cannot_be_changed_through_the_orm_either(db):
    _leave_pending(db, make_area())
    entry = db.session.execute(sa.select(AuditEntry)).scalar_one()
    assert entry.sequence is None
    entry.summary = "rewritten before it was chained"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()


def test_a_refused_request_leaves_no_entry_and_breaks_no_chain(db):
    area = make_area()
    record("test.kept", "Kept", actor=None, area=area)
    db.session.commit()
    record("test.undone", "Undone with its change", actor=None, area=area)

    # What a request does when its service refuses or it fails: the transaction rolls back.
    abandon_changes()
    record("test.later", "A later change", actor=None, area=area)
    db.session.commit()

    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.sequence))
    assert list(actions) == ["test.kept", "test.later"]
    assert pending_entries() == 0
    assert verify_chain() is None


def test_a_closed_vote_is_stamped_with_its_own_entry_chained_after_the_waiting_ones(db):
    world = make_world(**VOTES_WORLD)
    _leave_pending(db, world.area, count=2)
    assert pending_entries() == 2

    vote = make_vote(world, db, state="closed")

    closed = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "vote.closed")
    ).scalar_one()
    left = db.session.scalars(
        sa.select(AuditEntry.sequence).where(AuditEntry.action == "test.left")
    ).all()
    assert closed.sequence is not None
    assert all(sequence is not None and sequence < closed.sequence for sequence in left)
    assert (vote.audit_head_entries, vote.audit_head_hash) == (closed.sequence, closed.entry_hash)
    assert pending_entries() == 0
    assert verify_chain() is None


def test_a_row_put_straight_into_the_table_is_never_chained_and_verify_reports_it(db, caplog):
    area = make_area()
    record("test.genuine", "Written by the portal", actor=None, area=area)
    db.session.commit()
    db.session.execute(
        sa.insert(AuditEntry).values(
            created_at=utcnow(),
            area_id=area.id,
            actor_label="system",
            action="test.forged",
            summary="Never happened",
            details={},
            written_mac="0" * 64,
        )
    )
    db.session.info.pop(chaining.RECORDED, None)
    db.session.commit()

    with caplog.at_level(logging.ERROR, logger="portal.audit.chaining"):
        record("test.later", "Written later", actor=None, area=area)
        db.session.commit()

    assert "was not written by the portal" in caplog.text
    chained = db.session.scalars(
        sa.select(AuditEntry.action)
        .where(AuditEntry.sequence.is_not(None))
        .order_by(AuditEntry.sequence)
    ).all()
    assert chained == ["test.genuine", "test.later"]
    fault = verify_chain()
    assert fault is not None
    assert fault.sequence == 3
    assert "was not written by the portal" in str(fault)


def test_an_entry_changed_while_it_waited_is_not_chained(db):
    area = make_area()
    _leave_pending(db, area)
    db.session.execute(sa.update(AuditEntry).values(summary="Rewritten while it waited"))
    db.session.commit()

    assert chaining.chain_pending(database.engine) == 0
    assert pending_entries() == 1
    assert "changed while it waited" in str(verify_chain())


def test_the_worker_sweep_chains_the_entries_a_commit_left_waiting(db):
    area = make_area()
    _leave_pending(db, area, count=3)
    assert pending_entries(area) == 3
    assert verify_chain() is None  # pending entries are not in the chain yet

    reports = run_round()

    assert "chain audit entries left waiting: 3 audit entries chained" in reports
    assert pending_entries() == 0
    assert chain_head().entries == 3
    assert verify_chain() is None
    assert not any("audit" in report for report in run_round())


def test_the_audit_page_shows_how_many_wait_and_chains_nothing(client, db, login, app):
    area = make_area()
    admin = make_user(make_organisation(area, OrganisationKind.LMC), Role.AREA_ADMIN)
    record("test.chained", "Chained already", actor=None, area=area)
    db.session.commit()
    login(admin)
    _leave_pending(db, area, count=2)

    with _writes_watched(database.engine) as writes:
        page = client.get(f"/areas/{area.slug}/audit/").get_data(as_text=True)

    assert writes == []
    assert "2 newer entries are waiting to be added to the chain" in page
    assert "Chained already" in page
    assert "Left waiting" not in page
    assert pending_entries(area) == 2


def test_audit_verify_and_checkpoint_say_how_many_entries_wait(app, db, tmp_path):
    from portal.audit.commands import audit_checkpoint, audit_verify

    area = make_area()
    record("test.chained", "Chained", actor=None, area=area)
    db.session.commit()
    _leave_pending(db, area, count=1)

    verified = app.test_cli_runner().invoke(audit_verify)
    kept = app.test_cli_runner().invoke(audit_checkpoint, [str(tmp_path / "head.json")])

    assert verified.exit_code == 0
    assert "Audit chain intact." in verified.output
    assert "1 newer entry is not chained yet" in verified.output
    assert "1 entries, last hash" in kept.output
    assert "1 newer entry is not chained yet" in kept.output


def test_a_chaining_that_fails_after_the_commit_keeps_the_change_and_leaves_its_entry(
    db, monkeypatch, caplog
):
    def database_busy(engine, key=None):
        raise sa.exc.OperationalError("chaining", {}, Exception("database is locked"))

    area = make_area()
    monkeypatch.setattr(chaining, "chain_pending", database_busy)
    record("test.kept", "Kept though not chained yet", actor=None, area=area)
    with caplog.at_level(logging.WARNING, logger="portal.audit.chaining"):
        db.session.commit()

    assert "left for the next chaining" in caplog.text
    assert pending_entries(area) == 1


@postgresql_only
def test_a_commit_that_finds_a_chaining_under_way_does_not_wait_for_it(app, db):
    area = make_area()
    db.session.commit()
    with database.engine.connect() as other:
        other.execute(sa.select(sa.func.pg_advisory_xact_lock(chaining.AUDIT_CHAIN_LOCK)))
        record("test.while_locked", "Committed while another chained", actor=None, area=area)
        db.session.commit()  # would hang here if the commit waited for the lock
        assert pending_entries() == 1
        other.rollback()
    record("test.next", "The next commit takes the one left", actor=None, area=area)
    db.session.commit()
    assert pending_entries() == 0
    assert [sequence for _id, sequence, *_ in _chain_state(db)] == [1, 2]
    assert verify_chain() is None


@postgresql_only
def test_two_casts_in_one_area_do_not_wait_for_each_others_transaction(app, db):
    """One cast holds its transaction open; another, in the same vote, casts and commits."""
    setting = make_world(**WEIGHTED_WORLD)
    vote = open_weighted_vote(setting, db)
    ids = [(setting.partners[n].id, setting.practices[n].id) for n in (0, 1)]
    vote_id = vote.id
    db.session.commit()
    first_cast, release, second_committed = threading.Event(), threading.Event(), threading.Event()

    def cast(user_id: int, organisation_id: int) -> None:
        session = database.session
        casting.cast_ballot(
            session.get(User, user_id),
            session.get(Vote, vote_id),
            session.get(Organisation, organisation_id),
            "for",
            utcnow(),
        )

    def hold_open() -> None:
        with app.app_context():
            try:
                cast(*ids[0])
                first_cast.set()
                release.wait(20)
                database.session.commit()
            finally:
                first_cast.set()
                database.session.remove()

    def cast_and_commit() -> None:
        with app.app_context():
            try:
                cast(*ids[1])
                database.session.commit()
                second_committed.set()
            finally:
                database.session.remove()

    holder = threading.Thread(target=hold_open)
    holder.start()
    try:
        assert first_cast.wait(20)
        caster = threading.Thread(target=cast_and_commit)
        caster.start()
        assert second_committed.wait(10), "the second cast waited for the first's transaction"
    finally:
        release.set()
        holder.join(30)
    caster.join(30)

    record("test.after", "After both casts", actor=None, area=setting.area)
    db.session.commit()
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.sequence.is_not(None))
    ).all()
    assert actions.count("ballot.cast") == 2
    assert pending_entries() == 0
    assert verify_chain() is None
