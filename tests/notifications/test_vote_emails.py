"""The voting domain's own emails follow each member's choice by kind, with no code of its own
for preferences: opening, reminders and results as each partner chose, results never off."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.database import utcnow
from portal.email_kinds import Frequency, Kind
from portal.notifications import services
from portal.notifications.models import DigestItem
from portal.notifications.services import next_digest_time
from portal.outbox import OutboxMessage
from portal.worker import run_round
from tests.factories import World, make_world
from tests.voting.helpers import WEIGHTED_WORLD, open_weighted_vote


@pytest.fixture
def setting(db) -> World:
    return make_world(**WEIGHTED_WORLD)


def _outbox(db, subject_start: str) -> dict[str, OutboxMessage]:
    db.session.commit()
    return {
        m.recipient: m
        for m in db.session.execute(
            sa.select(OutboxMessage).where(OutboxMessage.subject.startswith(subject_start))
        ).scalars()
    }


def test_a_vote_emails_each_partner_as_they_chose(app, db, setting, smtp_server):
    quiet, digest_reader, *others = setting.partners
    services.set_preferences(quiet, quiet, {Kind.VOTES_OPENED: Frequency.OFF})
    services.set_preferences(digest_reader, digest_reader, {Kind.RESULTS: Frequency.DAILY})
    db.session.commit()

    vote = open_weighted_vote(setting, db)

    opened = _outbox(db, "Vote open:")
    assert quiet.email not in opened
    assert {digest_reader.email, *(p.email for p in others)} <= opened.keys()
    assert {(m.kind, m.area_id) for m in opened.values()} == {("votes_opened", setting.area.id)}

    vote.opens_at = utcnow() - timedelta(days=2)
    vote.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    run_round(now=utcnow())

    results = _outbox(db, "Result declared:")
    assert quiet.email in results, "turning off openings does not turn off results"
    assert digest_reader.email not in results
    [held] = db.session.execute(sa.select(DigestItem)).scalars()
    assert held.user_id == digest_reader.id
    assert held.link.endswith(f"/votes/{vote.id}/results")

    run_round(now=next_digest_time(Frequency.DAILY, utcnow()))

    to_reader = [m for m in smtp_server.messages if m["To"] == digest_reader.email]
    [digest] = [m for m in to_reader if "digest" in m["Subject"]]
    assert not any("Result declared" in m["Subject"] for m in to_reader)
    text = digest.get_content()
    assert "A result has been declared: " in text
    assert f"/votes/{vote.id}/results" in text
    assert vote.title not in text, "a vote is not public: the digest names only its kind"
