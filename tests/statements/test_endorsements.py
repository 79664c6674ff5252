"""Organisations signing a published statement: who may, who may not, and what it records."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.audit.models import AuditEntry
from portal.database import utcnow
from portal.errors import Conflict, DomainError, NotPermitted
from portal.statements import endorsements, services
from portal.statements.models import SignatoryChoice, StatementEndorsement
from portal.voting.models import BallotSecrecy
from tests.conftest import csrf_token_from
from tests.statements.helpers import RULES, decided_vote, publish_statement


def test_in_a_secret_ballot_any_organisation_that_could_vote_may_sign(db, setting):
    vote = decided_vote(setting, secrecy=BallotSecrecy.SECRET, rules=dict(RULES))
    statement = publish_statement(setting, vote, signatories=SignatoryChoice.ENDORSERS)
    meadow = setting.practices[2]  # voted against, in secret: nobody can know
    partner = setting.partners[2]
    assert endorsements.signable_for(partner, statement) == [meadow]
    now = utcnow()
    endorsement = endorsements.endorse(partner, statement, meadow, now)
    db.session.commit()
    assert (endorsement.endorsed_by_id, endorsement.endorsed_at) == (partner.id, now)
    assert [s.ods_code for s in statement.signatories] == ["A10003"]
    assert endorsements.signable_for(partner, statement) == []
    with pytest.raises(Conflict, match="already signs"):
        endorsements.endorse(partner, statement, meadow, utcnow())
    db.session.rollback()
    actions = db.session.execute(
        sa.select(AuditEntry.action).where(AuditEntry.action == "statement.endorsed")
    ).scalars()
    assert list(actions) == ["statement.endorsed"]


def test_in_an_open_ballot_only_an_organisation_that_voted_for_may_sign(db, setting):
    vote = decided_vote(setting)
    riverside, _hillside, meadow, _castle = setting.practices
    statement = publish_statement(setting, vote, signatories=SignatoryChoice.ENDORSERS)
    with pytest.raises(DomainError, match="did not vote for this statement"):
        endorsements.endorse(setting.partners[2], statement, meadow, utcnow())
    db.session.rollback()
    endorsements.endorse(setting.partners[0], statement, riverside, utcnow())
    db.session.commit()
    assert [s.ods_code for s in statement.signatories] == ["A10001"]


def test_only_the_person_who_votes_for_an_organisation_signs_for_it(db, setting):
    vote = decided_vote(setting, secrecy=BallotSecrecy.SECRET, rules=dict(RULES))
    statement = publish_statement(setting, vote, signatories=SignatoryChoice.ENDORSERS)
    riverside = setting.practices[0]
    for someone in (setting.manager, setting.partners[1], setting.officer, setting.ics_reader):
        assert riverside not in endorsements.signable_for(someone, statement)
        with pytest.raises(NotPermitted):
            endorsements.endorse(someone, statement, riverside, utcnow())
    assert db.session.execute(sa.select(sa.func.count(StatementEndorsement.id))).scalar_one() == 0


def test_a_withdrawn_statement_cannot_be_signed(db, setting):
    vote = decided_vote(setting, secrecy=BallotSecrecy.SECRET, rules=dict(RULES))
    statement = publish_statement(setting, vote, signatories=SignatoryChoice.ENDORSERS)
    services.withdraw(setting.officer, statement, "Overtaken", utcnow())
    db.session.commit()
    with pytest.raises(DomainError, match="no longer in force"):
        endorsements.endorse(setting.partners[0], statement, setting.practices[0], utcnow())


def test_a_partner_signs_through_the_statement_page(client, login, db, setting):
    vote = decided_vote(setting, secrecy=BallotSecrecy.SECRET, rules=dict(RULES))
    statement = publish_statement(setting, vote, signatories=SignatoryChoice.ENDORSERS)
    riverside = setting.practices[0]
    login(setting.partners[0])
    url = f"/statements/{statement.reference}"
    page = client.get(url).get_data(as_text=True)
    assert "Nobody has signed it yet" in page
    assert f"Sign this statement for {riverside.name}" in page
    token = csrf_token_from(page)
    signed = client.post(
        f"{url}/sign", data={"csrf_token": token, "organisation": str(riverside.id)}
    )
    assert signed.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert f"{riverside.name} now signs {statement.reference}." in page
    assert "1 organisation:" in page
    assert "organisations that signed it after it was published" in page
    assert "Sign this statement for" not in page
    # Signing for another practice is forbidden; nonsense is refused and changes nothing.
    other = setting.practices[1]
    forbidden = client.post(f"{url}/sign", data={"csrf_token": token, "organisation": other.id})
    assert forbidden.status_code == 403
    nonsense = client.post(f"{url}/sign", data={"csrf_token": token, "organisation": "x"})
    assert nonsense.status_code == 302
    assert db.session.execute(sa.select(sa.func.count(StatementEndorsement.id))).scalar_one() == 1
