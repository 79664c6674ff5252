"""The audit log is a hash chain: any altered, removed or reordered entry is found."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.audit.commands import audit_verify
from portal.audit.models import AuditEntry, AuditLogIsAppendOnly
from portal.audit.services import record, verify_chain
from tests.factories import make_area


def _chain_of(count: int, area):
    for number in range(1, count + 1):
        record("test.step", f"Step {number}", actor=None, area=area, details={"n": number})
    from portal.extensions import db

    db.session.commit()


def _run_verify(app):
    return app.test_cli_runner().invoke(audit_verify)


def test_an_untouched_chain_verifies(app, db):
    _chain_of(5, make_area())
    assert verify_chain() is None
    result = _run_verify(app)
    assert result.exit_code == 0
    assert "intact" in result.output


def test_an_altered_entry_is_reported(app, db):
    _chain_of(5, make_area())
    db.session.execute(
        sa.text("UPDATE audit_entries SET summary = 'Nothing happened' WHERE sequence = 3")
    )
    db.session.commit()
    result = _run_verify(app)
    assert result.exit_code == 1
    assert "entry 3" in result.output
    assert "altered" in result.output


def test_a_removed_entry_is_reported(app, db):
    _chain_of(5, make_area())
    db.session.execute(sa.text("DELETE FROM audit_entries WHERE sequence = 2"))
    db.session.commit()
    fault = verify_chain()
    assert fault is not None
    assert fault.sequence == 3
    assert "missing" in str(fault)
    assert _run_verify(app).exit_code == 1


def test_a_removed_entry_hidden_by_renumbering_is_reported(app, db):
    _chain_of(4, make_area())
    db.session.execute(sa.text("DELETE FROM audit_entries WHERE sequence = 2"))
    db.session.execute(
        sa.text("UPDATE audit_entries SET sequence = sequence - 1 WHERE sequence > 2")
    )
    db.session.commit()
    fault = verify_chain()
    assert fault is not None
    assert fault.sequence == 2


def test_swapped_entries_are_reported(app, db):
    _chain_of(4, make_area())
    db.session.execute(sa.text("UPDATE audit_entries SET sequence = 100 WHERE sequence = 2"))
    db.session.execute(sa.text("UPDATE audit_entries SET sequence = 2 WHERE sequence = 3"))
    db.session.execute(sa.text("UPDATE audit_entries SET sequence = 3 WHERE sequence = 100"))
    db.session.commit()
    fault = verify_chain()
    assert fault is not None
    assert fault.sequence == 2


def test_the_orm_refuses_to_change_or_delete_an_entry(app, db):
    _chain_of(1, make_area())
    entry = db.session.execute(sa.select(AuditEntry)).scalar_one()
    entry.summary = "rewritten"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    entry = db.session.execute(sa.select(AuditEntry)).scalar_one()
    db.session.delete(entry)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()


def test_area_admin_reads_only_their_area_entries(client, db, login):
    from portal.accounts.models import Role
    from portal.organisations.models import OrganisationKind
    from tests.factories import make_organisation, make_user

    area = make_area()
    other = make_area(slug="other", name="Other")
    record("test.mine", "Visible in this area", actor=None, area=area)
    record("test.theirs", "Belongs elsewhere", actor=None, area=other)
    db.session.commit()
    admin = make_user(make_organisation(area, OrganisationKind.LMC), Role.AREA_ADMIN)
    login(admin)
    html = client.get(f"/areas/{area.slug}/audit/").get_data(as_text=True)
    assert "Visible in this area" in html
    assert "Belongs elsewhere" not in html
