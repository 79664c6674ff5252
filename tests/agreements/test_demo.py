"""The demo's agreement: "Document management hub", led by the federation, version 2 adopted
by a vote of the practices signed up then, six practices signed up and one under notice."""

from __future__ import annotations

import sqlalchemy as sa

from portal.agreements import oversight, rolls
from portal.agreements.models import Agreement, VersionState
from portal.database import utcnow
from portal.demo.loader import load_demo_area
from portal.times import LONDON
from portal.voting import public
from portal.voting.models import Vote, VoteState


def _hub(db) -> Agreement:
    load_demo_area()
    db.session.commit()
    return db.session.execute(
        sa.select(Agreement).where(Agreement.title == "Document management hub")
    ).scalar_one()


def test_the_demo_hubs_second_version_is_adopted_by_the_vote(db):
    hub = _hub(db)
    assert [v.state for v in hub.versions] == [VersionState.ADOPTED, VersionState.ADOPTED]
    assert hub.in_force.number == 2


def test_the_demo_hub(db):
    hub = _hub(db)
    today = utcnow().astimezone(LONDON).date()
    assert hub.lead.ods_code == "FED-DEMO"
    assert hub.visible_to_ics
    assert hub.versions[1].body_markdown != hub.versions[0].body_markdown
    vote = db.session.get(Vote, hub.versions[1].vote_id)
    assert vote.state is VoteState.CLOSED
    assert public.passed(vote)
    # The electorate was the five practices signed up when the vote opened, no more.
    voted_on = hub.versions[1].created_at.astimezone(LONDON).date()
    signed_then = {s.practice_id for s in hub.signatories if s.is_in_on(voted_on)}
    assert {m.organisation_id for m in vote.electorate} == signed_then
    assert len(signed_then) == 5
    roll = rolls.roll_on(hub, today)
    assert len(roll.rows) == 6
    noticed = [r for r in roll.rows if r.signatory.leaves_on is not None]
    assert [r.practice.ods_code for r in noticed] == ["M83022"]
    assert "M83004" not in {r.practice.ods_code for r in roll.rows}
    assert roll.patients > 0
    # The quarterly report is overdue, and officers are shown it.
    assert any("has not been posted" in flag for flag in oversight.oversight_flags(hub, today))
