"""A consultation that consults (issue 17, point 7): who is emailed and what the email says,
the reminder a day before it closes, the warning against the ICS's deadline, and the lead's
controls over its end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal.database import utcnow
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.outbox import OutboxMessage
from portal.positions import amendments, consultation, drafting, workflow
from portal.positions.models import PositionState, Tier
from portal.worker import run_round
from tests.positions.conftest import draft, record_proposal

SECRET_TITLE = "Our confidential response on PCN hubs"


def _mail() -> list[OutboxMessage]:
    return list(db.session.execute(sa.select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def _open(world, *, days: int = 7, tier: Tier = Tier.GROUP, author: str = "partner"):
    position = draft(world, author, tier=tier, title=SECRET_TITLE)
    now = utcnow()
    workflow.open_consultation(world.people[author], position, now + timedelta(days=days), now)
    db.session.commit()
    return position


def test_opening_it_emails_every_member_who_may_comment_a_link_and_nothing_else(world):
    position = _open(world)
    messages = _mail()
    recipients = {m.recipient for m in messages}
    group = {
        world.people[k].email
        for k in ("officer", "admin", "partner", "partner2", "partner3", "manager", "director")
    } | {world.people["federation"].email}
    assert recipients == group
    # Not the ICS reader, nor a member of another area.
    assert world.people["reader"].email not in recipients
    assert world.people["outsider"].email not in recipients
    for message in messages:
        assert SECRET_TITLE not in message.subject
        assert SECRET_TITLE not in message.body
        assert "enhanced access hub" not in message.body
        assert f"/positions/{position.id}" in message.body


def test_an_lmc_only_draft_is_told_only_to_the_officers(world):
    _open(world, tier=Tier.LMC, author="officer")
    assert {m.recipient for m in _mail()} == {
        world.people["officer"].email,
        world.people["admin"].email,
    }


def test_a_reminder_a_day_before_it_closes_once(app, world):
    position = _open(world, days=3)
    opened = len(_mail())
    assert consultation.send_closing_reminders(utcnow()) == 0  # three days away
    position.consultation_ends_at = utcnow() + timedelta(hours=20)
    db.session.commit()
    assert run_round()  # the worker's job does it
    reminders = _mail()[opened:]
    assert len(reminders) == opened
    assert all("closes within a day" in m.subject for m in reminders)
    assert position.consultation_reminded_at is not None
    assert consultation.send_closing_reminders(utcnow()) == 0  # once
    # A new end earns its own reminder.
    consultation.change_end(
        world.people["officer"], position, utcnow() + timedelta(hours=10), utcnow()
    )
    assert position.consultation_reminded_at is None
    assert consultation.send_closing_reminders(utcnow()) == opened


def test_the_end_after_the_ics_deadline_is_warned(world):
    proposal = record_proposal(world, response_deadline=date(2027, 3, 1))
    position = draft(world, proposal=proposal)
    on_time = datetime(2027, 3, 2, 0, 0, tzinfo=UTC)  # midnight London: the end of 1 March
    late = datetime(2027, 3, 3, 0, 0, tzinfo=UTC)
    assert consultation.deadline_warning(position, on_time - timedelta(seconds=1)) is None
    warning = consultation.deadline_warning(position, late)
    assert warning is not None
    assert "after the ICS's deadline" in warning
    assert "1 March 2027" in warning
    assert consultation.deadline_warning(draft(world), late) is None  # no proposal


def test_the_lead_changes_the_end_and_members_are_told(world):
    position = _open(world)
    before = len(_mail())
    new_end = utcnow() + timedelta(days=2)
    consultation.change_end(world.people["partner"], position, new_end, utcnow())
    db.session.commit()
    assert position.consultation_ends_at == new_end
    changed = _mail()[before:]
    assert len(changed) == before
    assert all(SECRET_TITLE not in m.body for m in changed)
    with pytest.raises(DomainError, match="in the future"):
        consultation.change_end(world.people["partner"], position, utcnow(), utcnow())
    with pytest.raises(NotPermitted):
        consultation.change_end(world.people["partner2"], position, new_end, utcnow())


def test_ending_early_closes_it_and_opens_the_way_to_the_vote(world):
    position = _open(world)
    now = utcnow()
    assert consultation.vote_refusal(position, now).startswith("The vote can open when")
    with pytest.raises(NotPermitted):
        consultation.end_early(world.people["manager"], position, now)
    consultation.end_early(world.people["officer"], position, now)
    db.session.commit()
    assert position.state is PositionState.CONSULTATION
    assert position.consultation_ends_at == now
    assert consultation.vote_refusal(position, now) is None
    with pytest.raises(Conflict, match="already closed"):
        consultation.end_early(world.people["officer"], position, now)
    with pytest.raises(Conflict, match="no longer change"):
        consultation.change_end(world.people["officer"], position, now + timedelta(days=1), now)
    # Comments stop, as at any close of a consultation.
    with pytest.raises(DomainError, match="consultation closed"):
        drafting.add_comment(
            world.people["partner2"],
            position,
            body_markdown="Late",
            paragraph_index=None,
            now=now + timedelta(seconds=1),
        )


def test_back_to_drafting(world):
    position = _open(world)
    consultation.back_to_drafting(world.people["partner"], position, utcnow())
    db.session.commit()
    assert position.state is PositionState.DRAFTING
    assert position.consultation_ends_at is None
    with pytest.raises(Conflict, match="not in consultation"):
        consultation.back_to_drafting(world.people["partner"], position, utcnow())


def test_undecided_amendments_hold_the_vote(world):
    position = draft(world)
    assert consultation.vote_refusal(position, utcnow()) is None
    amendments.propose_amendment(
        world.people["partner2"],
        position,
        paragraph_index=1,
        replacement_markdown="Practices may opt out.",
        reason="Clearer.",
        now=utcnow(),
    )
    assert "to paragraph 2" in consultation.vote_refusal(position, utcnow())
