"""The six ways of rewriting the audit log quietly are all caught.

Each test tampers with the table directly in SQL, as someone with database access but not
the portal's audit key would, then runs the real ``audit-verify`` command.
"""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa

from portal.audit.chain import GENESIS_HASH, ChainHead, canonical, entry_hash
from portal.audit.chaining import entry_content
from portal.audit.commands import audit_checkpoint, audit_verify
from portal.audit.models import AuditEntry
from portal.audit.services import chain_head, record, verify_chain
from tests.factories import make_area


def _chain_of(db, count: int) -> None:
    area = make_area()
    for number in range(1, count + 1):
        record("test.step", f"Step {number}", actor=None, area=area, details={"n": number})
    db.session.commit()


def _verify(app, *arguments: str):
    return app.test_cli_runner().invoke(audit_verify, list(arguments))


def _execute(db, sql: str, **parameters) -> None:
    db.session.execute(sa.text(sql), parameters)
    db.session.commit()


def _rehash_from(db, first: int, hash_of) -> None:
    """Recompute every hash from entry ``first`` on, as a forger would, with ``hash_of``."""
    db.session.expire_all()
    entries = db.session.execute(sa.select(AuditEntry).order_by(AuditEntry.sequence)).scalars()
    previous = GENESIS_HASH
    for entry in list(entries):
        if entry.sequence >= first:
            new_hash = hash_of(previous, entry_content(entry))
            _execute(
                db,
                "UPDATE audit_entries SET previous_hash = :p, entry_hash = :h WHERE id = :id",
                p=previous,
                h=new_hash,
                id=entry.id,
            )
            previous = new_hash
        else:
            previous = entry.entry_hash


def _plain_sha256(previous: str, content: dict) -> str:
    return hashlib.sha256(previous.encode() + canonical(content)).hexdigest()


def test_the_hash_is_an_hmac_under_the_audit_key(app, db):
    _chain_of(db, 1)
    entry = db.session.execute(sa.select(AuditEntry)).scalar_one()
    key = app.config["AUDIT_KEY"].encode()
    assert entry.entry_hash == entry_hash(key, GENESIS_HASH, entry_content(entry))
    assert entry.entry_hash != _plain_sha256(GENESIS_HASH, entry_content(entry))
    assert entry.entry_hash != entry_hash(b"another key", GENESIS_HASH, entry_content(entry))


def test_1_an_edited_summary_is_caught(app, db):
    _chain_of(db, 5)
    _execute(db, "UPDATE audit_entries SET summary = 'Nothing happened' WHERE sequence = 3")
    result = _verify(app)
    assert result.exit_code == 1
    assert "entry 3: was altered" in result.output


def test_2_edited_details_are_caught(app, db):
    _chain_of(db, 5)
    _execute(
        db,
        "UPDATE audit_entries SET details = :d WHERE sequence = 4",
        d=json.dumps({"n": 40}),
    )
    result = _verify(app)
    assert result.exit_code == 1
    assert "entry 4: was altered" in result.output


def test_3_a_deleted_row_is_caught(app, db):
    _chain_of(db, 5)
    _execute(db, "DELETE FROM audit_entries WHERE sequence = 2")
    result = _verify(app)
    assert result.exit_code == 1
    assert "entry 3: entries 2 to 2 are missing" in result.output


def test_4_two_swapped_rows_are_caught(app, db):
    _chain_of(db, 4)
    _execute(db, "UPDATE audit_entries SET sequence = 100 WHERE sequence = 2")
    _execute(db, "UPDATE audit_entries SET sequence = 2 WHERE sequence = 3")
    _execute(db, "UPDATE audit_entries SET sequence = 3 WHERE sequence = 100")
    result = _verify(app)
    assert result.exit_code == 1
    assert "entry 2:" in result.output


def test_5_deleting_the_last_rows_is_caught_by_a_kept_checkpoint(app, db, tmp_path):
    _chain_of(db, 6)
    checkpoint = tmp_path / "audit-head.json"
    written = app.test_cli_runner().invoke(audit_checkpoint, [str(checkpoint)])
    assert written.exit_code == 0, written.output
    assert json.loads(checkpoint.read_text()) == chain_head().as_dict()
    assert chain_head().entries == 6
    assert _verify(app, "--checkpoint", str(checkpoint)).exit_code == 0
    _execute(db, "DELETE FROM audit_entries WHERE sequence > 4")
    assert _verify(app).exit_code == 0, "without a checkpoint a shortened chain looks whole"
    result = _verify(app, "--checkpoint", str(checkpoint))
    assert result.exit_code == 1
    assert "chain reached entry 6, but it ends at entry 4" in result.output


def test_6_an_edit_rehashed_onwards_without_the_key_is_caught(app, db):
    _chain_of(db, 6)
    _execute(db, "UPDATE audit_entries SET summary = 'Step 3, quietly' WHERE sequence = 3")
    _rehash_from(db, 3, _plain_sha256)
    result = _verify(app)
    assert result.exit_code == 1
    assert "entry 3: was altered" in result.output


def test_6_a_rehash_with_a_guessed_key_is_caught_too(app, db):
    _chain_of(db, 4)
    _execute(db, "UPDATE audit_entries SET summary = 'Step 2, quietly' WHERE sequence = 2")
    _rehash_from(db, 2, lambda p, c: entry_hash(b"changeme", p, c))
    assert "entry 2: was altered" in _verify(app).output


def test_a_rehash_with_the_stolen_key_is_caught_by_a_checkpoint(app, db, tmp_path):
    _chain_of(db, 5)
    checkpoint = tmp_path / "head.json"
    app.test_cli_runner().invoke(audit_checkpoint, [str(checkpoint)])
    _execute(db, "UPDATE audit_entries SET summary = 'Step 2, quietly' WHERE sequence = 2")
    key = app.config["AUDIT_KEY"].encode()
    _rehash_from(db, 2, lambda p, c: entry_hash(key, p, c))
    assert _verify(app).exit_code == 0
    result = _verify(app, "--checkpoint", str(checkpoint))
    assert result.exit_code == 1
    assert "entry 5: differs from the checkpoint" in result.output


def test_a_head_stamped_on_a_published_record_is_checked_without_any_file(app, db):
    from portal.audit.models import ChainHeadStamped

    _chain_of(db, 5)
    stamped_tables = [model.__tablename__ for model in ChainHeadStamped.__subclasses__()]
    assert sorted(stamped_tables) == ["statements", "votes"]
    assert verify_chain([ChainHead(5, chain_head().hash)]) is None
    _execute(db, "DELETE FROM audit_entries WHERE sequence = 5")
    fault = verify_chain([ChainHead(5, "f" * 64)])
    assert fault is not None
    assert "ends at entry 4" in str(fault)


@pytest.mark.parametrize(
    "content",
    ["not json", "[]", '{"entries": -1, "hash": "00"}', '{"entries": 3, "hash": "abc"}'],
)
def test_a_malformed_checkpoint_file_is_refused_with_a_reason(app, db, tmp_path, content):
    checkpoint = tmp_path / "head.json"
    checkpoint.write_text(content)
    result = _verify(app, "--checkpoint", str(checkpoint))
    assert result.exit_code == 2
    assert "head.json" in result.output
