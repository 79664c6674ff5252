"""The demo's trust pulse and meetings: three closed rounds and one open, a visible rise in
trust in the LMC after a "you said, we did", and a weekly series with four past meetings,
a vote in the room, a hybrid vote and the next meeting arranged."""

from __future__ import annotations

import sqlalchemy as sa

from portal.database import utcnow
from portal.demo.loader import DEMO_AREA_SLUG, load_demo_area
from portal.meetings import services as meetings
from portal.meetings.models import Meeting
from portal.organisations.models import Area
from portal.trust import services as trust
from portal.trust.models import RoundState, TrustTarget
from portal.voting.models import Ballot, BallotOrigin


def test_the_demo_has_trust_rounds_and_a_weekly_rhythm(db):
    load_demo_area()
    db.session.commit()
    area = db.session.scalar(sa.select(Area).where(Area.slug == DEMO_AREA_SLUG))
    rounds = trust.rounds_in(area)
    assert [r.state for r in rounds] == [RoundState.CLOSED] * 3 + [RoundState.OPEN]
    assert [r.published_at is not None for r in rounds[:3]] == [False, True, False]
    lmc = [point.summary for point in trust.trend(area)[TrustTarget.LMC]]
    assert all(summary is not None and summary.respondents >= 5 for summary in lmc)
    assert lmc[2].median >= lmc[1].median + 2
    assert trust.comments(rounds[2])

    now = utcnow()
    held = [m for m in meetings.meetings_in(area) if m.ends_at < now]
    upcoming = [m for m in meetings.meetings_in(area) if m.starts_at > now]
    assert len(held) == 4
    assert len(upcoming) == 1
    assert all(m.minutes_approved_at and m.attendance and m.decisions for m in held)
    assert any(a.is_overdue(now.date()) for m in held for a in m.actions)
    origins = [b.origin for b in db.session.scalars(sa.select(Ballot))]
    assert origins.count(BallotOrigin.ROOM) == 3
    assert BallotOrigin.ONLINE in origins
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 5
