"""A published statement and a closed vote keep, and show, the audit chain's head of that moment."""

from __future__ import annotations

import sqlalchemy as sa

from portal.audit.models import AuditEntry
from portal.audit.services import verify_chain
from tests.factories import make_world
from tests.statements.helpers import STATEMENTS_WORLD, publish_statement


def _entry(db, action: str) -> AuditEntry:
    return db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == action)).scalar_one()


def test_closing_a_vote_and_publishing_its_statement_stamp_and_show_the_head(client, db, login):
    setting = make_world(**STATEMENTS_WORLD)
    statement = publish_statement(setting)
    vote = statement.vote
    closed, published = _entry(db, "vote.closed"), _entry(db, "statement.published")
    assert (vote.audit_head_entries, vote.audit_head_hash) == (closed.sequence, closed.entry_hash)
    assert (statement.audit_head_entries, statement.audit_head_hash) == (
        published.sequence,
        published.entry_hash,
    )
    assert published.sequence > closed.sequence

    page = client.get(f"/statements/{statement.reference}").get_data(as_text=True)
    assert f'<span id="audit-head-entries">{published.sequence}</span>' in page
    assert f'id="audit-head-hash">{published.entry_hash}</code>' in page

    login(setting.officer)
    results = client.get(f"/areas/{setting.area.slug}/votes/{vote.id}/results")
    assert results.status_code == 200
    assert f'id="audit-head-hash">{closed.entry_hash}</code>' in results.get_data(as_text=True)


def test_cutting_the_log_back_before_a_publication_is_caught_from_the_statement(db):
    statement = publish_statement(make_world(**STATEMENTS_WORLD))
    assert verify_chain() is None
    db.session.execute(
        sa.text("DELETE FROM audit_entries WHERE sequence >= :n"),
        {"n": statement.audit_head_entries},
    )
    db.session.commit()
    fault = verify_chain()
    assert fault is not None
    assert "its last entries were removed" in str(fault)
