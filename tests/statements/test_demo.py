"""The demo area ships a public statement published from its closed vote, with the demo ICS
reader's response."""

from __future__ import annotations

import sqlalchemy as sa

from portal.accounts.models import User
from portal.database import utcnow
from portal.demo.loader import DEMO_AREA_SLUG, load_demo_area
from portal.organisations.models import Area
from portal.positions.models import PositionState
from portal.statements import demo
from portal.statements.models import SignatoryChoice, Statement, StatementState
from portal.tiers import Tier


def _load(db) -> Statement:
    load_demo_area()
    existing = db.session.execute(sa.select(Statement)).scalar_one_or_none()
    if existing is not None:  # the demo loader already publishes it
        return existing
    area = db.session.execute(sa.select(Area).where(Area.slug == DEMO_AREA_SLUG)).scalar_one()
    users = {user.email: user for user in db.session.execute(sa.select(User)).scalars()}
    statement = demo.load_demo_statement(area, users, utcnow())
    db.session.commit()
    return statement


def test_the_demo_publishes_its_vote_as_a_public_statement(client, db):
    statement = _load(db)
    assert statement.title == demo.STATEMENT_TITLE
    assert (statement.tier, statement.state) == (Tier.PUBLIC, StatementState.PUBLISHED)
    assert statement.vote.title == demo.DEMO_VOTE_TITLE
    assert statement.vote.result["outcome"] == "passed"
    assert statement.position.state is PositionState.PUBLISHED
    assert statement.signatories_choice is SignatoryChoice.VOTED_FOR
    assert len(statement.signatories) == statement.vote.result["totals"]["for"]["members"]
    assert statement.provenance.startswith("Agreed by ")
    assert statement.proposal.owning_body == "NHS Staffordshire and Stoke-on-Trent ICB"
    assert [r.body_markdown for r in statement.responses] == [demo.ICS_RESPONSE]
    page = client.get(f"/statements/{statement.reference}")
    assert page.status_code == 200
    assert "you said, we did" in page.get_data(as_text=True).lower()


def test_without_a_passed_demo_vote_the_demo_holds_its_own(db, monkeypatch):
    monkeypatch.setattr(demo, "_demo_vote", lambda area: None)
    load_demo_area()
    area = db.session.execute(sa.select(Area).where(Area.slug == DEMO_AREA_SLUG)).scalar_one()
    users = {user.email: user for user in db.session.execute(sa.select(User)).scalars()}
    statement = demo.load_demo_statement(area, users, utcnow())
    db.session.commit()
    assert statement.vote.result["outcome"] == "passed"
    assert statement.vote.voting_kinds == ["lmc"]
    assert [s.ods_code for s in statement.signatories] == ["LMC-DEMO"]
