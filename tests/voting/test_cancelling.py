"""Calling off a vote: an officer cancels a draft or open vote with a reason; it is never
counted, voters are told why, and nothing can be cast in it afterwards."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.audit.models import AuditEntry
from portal.audit.services import verify_chain
from portal.database import utcnow
from portal.errors import Conflict, DomainError, NotPermitted
from portal.voting import casting, closing, guards, proxies
from portal.voting.models import (
    Ballot,
    BallotSecrecy,
    Receipt,
    ReceiptStanding,
    Vote,
    VoteState,
)
from tests.conftest import csrf_token_from
from tests.voting.helpers import close_by_moving_time, make_vote
from tests.voting.test_views import check_receipt, client_for, text

REASON = "The ICB withdrew the proposal on 20 November; a new one is expected in January."


def test_cancelling_an_open_vote_records_why_and_counts_nothing(db, world):
    vote = make_vote(world, db)
    casting.cast_ballot(world.partner, vote, world.practice, "for", utcnow())
    closing.cancel_vote(world.officer, vote, f"  {REASON}  ", utcnow())
    db.session.commit()

    assert vote.state is VoteState.CANCELLED
    assert (vote.cancellation_reason, vote.cancelled_by_id) == (REASON, world.officer.id)
    assert vote.result is None
    assert vote.ballot_record is None
    entry = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "vote.cancelled")
    ).scalar_one()
    assert entry.details == {"reason": REASON, "was_open": True}
    assert verify_chain() is None
    with pytest.raises(guards.VotingClosed, match="cancelled"):
        casting.cast_ballot(world.second_partner, vote, world.second, "for", utcnow())
    close_by_moving_time(vote)
    closing.close_vote(vote, utcnow())
    assert (vote.state, vote.result) == (VoteState.CANCELLED, None)


def test_a_close_arriving_after_the_cancel_counts_nothing(db, world):
    """A page loaded a moment before the cancel may still try to close the vote."""
    vote = make_vote(world, db)
    closing.cancel_vote(world.officer, vote, REASON, utcnow())
    close_by_moving_time(vote)
    db.session.commit()
    closing.close_vote(vote, utcnow())
    assert vote.state is VoteState.CANCELLED
    assert vote.result is None


def test_a_cancelled_secret_ballot_keeps_no_ballot_and_its_receipt_says_cancelled(db, world):
    vote = make_vote(world, db, secrecy=BallotSecrecy.SECRET)
    _, code = casting.cast_ballot(world.partner, vote, world.practice, "for", utcnow())
    closing.cancel_vote(world.officer, vote, REASON, utcnow())
    db.session.commit()
    assert db.session.execute(sa.select(Ballot)).scalars().all() == []
    receipt = db.session.execute(sa.select(Receipt)).scalar_one()
    assert (receipt.standing, receipt.ballot_id, receipt.choice) == (
        ReceiptStanding.CANCELLED,
        None,
        None,
    )
    found = casting.check_receipt(code, utcnow())
    assert found is not None
    assert (found.cancelled, found.counted, found.choice) == (True, False, None)


def test_what_cannot_be_cancelled_is_refused_and_left_unchanged(db, world):
    closed = make_vote(world, db, state="closed")
    with pytest.raises(guards.VotingClosed, match="closed and is counted"):
        closing.cancel_vote(world.officer, closed, REASON, utcnow())
    due = make_vote(world, db)
    close_by_moving_time(due)
    db.session.commit()
    with pytest.raises(guards.VotingClosed, match="closed and is counted"):
        closing.cancel_vote(world.officer, due, REASON, utcnow())
    vote = make_vote(world, db)
    with pytest.raises(NotPermitted):
        closing.cancel_vote(world.partner, vote, REASON, utcnow())
    with pytest.raises(DomainError, match="Give the reason"):
        closing.cancel_vote(world.officer, vote, "   ", utcnow())
    with pytest.raises(DomainError, match="2,000 characters"):
        closing.cancel_vote(world.officer, vote, "x" * 2001, utcnow())
    db.session.rollback()
    assert vote.state is VoteState.OPEN
    closing.cancel_vote(world.officer, vote, REASON, utcnow())
    with pytest.raises(Conflict, match="already been cancelled"):
        closing.cancel_vote(world.officer, vote, REASON, utcnow())


def test_proxies_and_conflicts_of_a_cancelled_vote_say_so(db, world):
    vote = make_vote(world, db)
    closing.cancel_vote(world.officer, vote, REASON, utcnow())
    with pytest.raises(guards.VotingClosed, match="has been cancelled: proxies"):
        proxies.name_proxy(world.partner, vote, world.practice, world.second, None, utcnow())


def test_receipts_of_a_cancelled_vote_say_nothing_was_counted(app, db, world):
    vote = make_vote(world, db)
    _ballot, code = casting.cast_ballot(world.partner, vote, world.practice, "for", utcnow())
    closing.cancel_vote(world.officer, vote, REASON, utcnow())
    db.session.commit()
    check = casting.check_receipt(code, utcnow())
    assert check is not None
    assert not check.counted
    page = text(check_receipt(client_for(app, world.partner), code))
    assert "Not counted: the vote was cancelled" in page
    assert 'id="receipt-choice">For<' in page  # an open ballot's receipt shows its answer


def _cancel(client, world, vote, reason: str):
    page = client.get(world.url(f"/{vote.id}"))
    return client.post(
        world.url(f"/{vote.id}/cancel"),
        data={"reason": reason, "csrf_token": csrf_token_from(text(page))},
    )


def test_an_officer_cancels_from_the_vote_page_and_voters_are_emailed_why(
    app, db, world, smtp_server
):
    vote = make_vote(world, db)
    officer = client_for(app, world.officer)
    assert "Cancel this vote" in text(officer.get(world.url(f"/{vote.id}")))

    response = _cancel(officer, world, vote, REASON)

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Vote, vote.id).state is VoteState.CANCELLED
    partner_page = text(client_for(app, world.partner).get(world.url(f"/{vote.id}")))
    assert "This vote was cancelled" in partner_page
    assert REASON in partner_page
    assert "Olive Officer" in partner_page
    assert "Cancel this vote" not in partner_page
    assert "Your ballots" not in partner_page
    index = text(client_for(app, world.partner).get(world.url("/")))
    assert re.search(r'id="cancelled-votes".*Enhanced access model', index, re.S)
    cancelled_notices = [m for m in smtp_server.messages if "Vote cancelled" in m["Subject"]]
    assert sorted(m["To"] for m in cancelled_notices) == sorted(
        [world.partner.email, world.second_partner.email, world.third_partner.email]
    )
    assert REASON in cancelled_notices[0].get_content()


def test_a_bad_cancel_request_changes_nothing(app, db, world):
    vote = make_vote(world, db)
    officer = client_for(app, world.officer)
    blank = _cancel(officer, world, vote, "   ")
    assert blank.status_code == 200
    assert "Give the reason for cancelling the vote" in text(blank)
    forged = officer.post(world.url(f"/{vote.id}/cancel"), data={"reason": REASON})
    assert forged.status_code == 400
    partner = client_for(app, world.partner)
    assert _cancel(partner, world, vote, REASON).status_code == 403
    db.session.expire_all()
    assert db.session.get(Vote, vote.id).state is VoteState.OPEN
    assert (
        db.session.execute(
            sa.select(AuditEntry).where(AuditEntry.action == "vote.cancelled")
        ).first()
        is None
    )


def test_a_cancelled_draft_stays_with_the_officers(app, db, world, smtp_server):
    vote = make_vote(world, db, state="draft")
    response = _cancel(client_for(app, world.officer), world, vote, REASON)
    assert response.status_code == 302
    assert not [m for m in smtp_server.messages if "Vote cancelled" in m["Subject"]]
    assert client_for(app, world.partner).get(world.url(f"/{vote.id}")).status_code == 404
    officer_page = client_for(app, world.officer).get(world.url(f"/{vote.id}"))
    assert "This vote was cancelled" in text(officer_page)


def test_other_people_cannot_see_or_cancel_a_vote_of_another_area(app, db, world):
    vote = make_vote(world, db)
    outsider = client_for(app, world.people["other_area"])
    assert outsider.get(world.url(f"/{vote.id}")).status_code == 404
    assert client_for(app, world.people[Role.ICS_READER]).get(
        world.url(f"/{vote.id}")
    ).status_code in (403, 404)
