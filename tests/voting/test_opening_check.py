"""Opening a vote goes through a check page that says what opening will do."""

from __future__ import annotations

import sqlalchemy as sa

from portal.voting.models import Vote, VoteState
from tests.conftest import csrf_token_from
from tests.factories import World
from tests.voting.helpers import make_vote
from tests.voting.test_views import client_for, text


def test_the_officer_checks_then_opens_and_sees_when_it_opened(app, world: World, db) -> None:
    vote = make_vote(world, db, state="draft")
    officer = client_for(app, world.officer)
    vote_page = text(officer.get(world.url(f"/{vote.id}")))
    assert f'href="{world.url(f"/{vote.id}/open")}">Open the vote<' in vote_page
    assert "How this vote is decided" in vote_page  # before opening, too
    check = officer.get(world.url(f"/{vote.id}/open"))
    assert check.status_code == 200
    page = text(check)
    assert "Check before you open the vote" in page
    assert "How this vote is decided" in page
    assert "who cast the ballots of" in page
    # Looking at the check page opens nothing.
    db.session.expire_all()
    assert db.session.get(Vote, vote.id).state is VoteState.DRAFT
    opened = officer.post(world.url(f"/{vote.id}/open"), data={"csrf_token": csrf_token_from(page)})
    assert opened.status_code == 302
    after = text(officer.get(opened.headers["Location"]))
    db.session.expire_all()
    vote = db.session.get(Vote, vote.id)
    assert vote.state is VoteState.OPEN
    assert "The vote opened at " in after
    assert 'id="opened">' in after
    assert 'id="opens">' not in after
    # Once open, the check page sends the officer back to the vote.
    assert officer.get(world.url(f"/{vote.id}/open")).status_code == 302


def test_only_officers_reach_the_opening_check(app, world: World, db) -> None:
    vote = make_vote(world, db, state="draft")
    partner = client_for(app, world.partner)
    assert partner.get(world.url(f"/{vote.id}/open")).status_code in (403, 404)
    assert db.session.execute(sa.select(Vote.state)).scalar_one() is VoteState.DRAFT
