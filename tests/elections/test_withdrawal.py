"""Withdrawing a standing candidate: by the candidate during nominations or by an officer
before voting opens, with a reason; off the ballot, marked withdrawn in the BLT file and the
count, shown as withdrawn; elected unopposed when too few are left."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal import mail
from portal.audit.models import AuditEntry
from portal.database import utcnow
from portal.elections import ballots, closing, counting, nominations, signals
from portal.elections.count import parse_blt
from portal.elections.models import ElectionState, NominationState
from portal.errors import DomainError, NotPermitted
from portal.extensions import db as database
from tests.conftest import csrf_token_from
from tests.elections.test_election_pages import move_to, nominate, post, set_up, sign_out
from tests.factories import World


def three_standing(client, login, world: World, seats: int = 2, **extra):
    election = set_up(client, login, world, seats=seats, **extra)
    nominate(client, login, election, world.ann, world.cat, world.bob)
    nominate(client, login, election, world.dan, world.ann, world.cat)
    nominate(client, login, election, world.bob, world.ann, world.dan)
    database.session.refresh(election)
    by_name = {n.candidate.name: n for n in election.candidates}
    return election, by_name


def test_a_candidate_withdraws_through_the_check_page(client, login, world, db) -> None:
    election, by_name = three_standing(client, login, world, seats=1)
    cat = by_name["Cat Clark"]
    page = f"/areas/staffs/elections/{election.id}"
    withdraw = f"{page}/nominations/{cat.id}/withdraw"
    login(world.cat)
    assert withdraw in client.get(page).get_data(as_text=True)
    check = client.get(withdraw)
    assert check.status_code == 200
    assert "This cannot be undone" in check.get_data(as_text=True)
    assert "You will not be on the ballot paper" in check.get_data(as_text=True)
    db.session.refresh(cat)
    assert cat.state is NominationState.ACCEPTED  # the check page changes nothing

    refused = post(client, withdraw, {"reason": "   "})
    assert refused.status_code == 200
    assert "Enter the reason for the withdrawal" in refused.get_data(as_text=True)
    db.session.refresh(cat)
    assert cat.state is NominationState.ACCEPTED

    assert post(client, withdraw, {"reason": "Moving away"}).status_code == 302
    db.session.refresh(cat)
    assert cat.state is NominationState.WITHDRAWN
    assert cat.withdrawal_reason == "Moving away"
    assert cat not in election.candidates
    html = client.get(page).get_data(as_text=True)
    assert f"withdrawal-{cat.id}" in html
    assert "Moving away" in html
    entry = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "election.withdrawn")
    ).scalar_one()
    assert "Cat Clark withdrew" in entry.summary
    # A second try is refused, and changes nothing.
    again = post(client, withdraw, {"reason": "Again"})
    assert "Only a standing candidate can withdraw" in again.get_data(as_text=True)
    assert "cannot be withdrawn now" in client.get(withdraw).get_data(as_text=True)

    move_to(db, election, "voting")
    closing.close_nominations(election, utcnow())
    db.session.commit()
    assert election.state is ElectionState.VOTING
    sign_out(client)
    login(world.ann)
    ballot = client.get(f"{page}/ballot").get_data(as_text=True)
    assert f"rank_{cat.id}" not in ballot
    assert f"rank_{by_name['Bob Brown'].id}" in ballot
    page_html = client.get(page).get_data(as_text=True)
    assert f"withdrawal-{cat.id}" in page_html  # still shown, as withdrawn


def test_others_may_not_withdraw_a_candidate(client, login, world, db) -> None:
    election, by_name = three_standing(client, login, world)
    withdraw = f"/areas/staffs/elections/{election.id}/nominations/{by_name['Cat Clark'].id}"
    login(world.ann)
    assert client.get(f"{withdraw}/withdraw").status_code == 403
    token = csrf_token_from(client.get(f"/areas/staffs/elections/{election.id}").get_data(True))
    response = client.post(f"{withdraw}/withdraw", data={"csrf_token": token, "reason": "No"})
    assert response.status_code == 403
    db.session.refresh(by_name["Cat Clark"])
    assert by_name["Cat Clark"].state is NominationState.ACCEPTED


def test_the_withdrawn_are_marked_in_the_blt_file_and_the_count(client, login, world, db):
    # An open election, whose ballots file is kept in the clear for members to download.
    election, by_name = three_standing(client, login, world, seats=1, secrecy="open")
    nominations.withdraw(world.bob, by_name["Bob Brown"], "Ill health", utcnow())
    move_to(db, election, "voting")
    closing.close_nominations(election, utcnow())
    assert election.state is ElectionState.VOTING  # two left for one seat
    electors = {e.user_id: e for e in election.electors}
    cat, dan = by_name["Cat Clark"], by_name["Dan Dale"]
    ballots.cast(world.ann, election, electors[world.ann.id], [cat.id], utcnow())
    ballots.cast(world.cat, election, electors[world.cat.id], [cat.id, dan.id], utcnow())
    ballots.cast(world.dan, election, electors[world.dan.id], [dan.id], utcnow())
    with pytest.raises(DomainError, match="Rank at least one candidate"):
        ballots.cast(
            world.bob, election, electors[world.bob.id], [by_name["Bob Brown"].id], utcnow()
        )
    election.voting_closes_at = utcnow() - timedelta(seconds=1)
    counted = []
    with signals.election_counted.connected_to(lambda sender, **kw: counted.append(sender)):
        counting.count_election(election, utcnow())
    assert counted == [election]
    lines = election.ballots_blt.splitlines()
    assert lines[:2] == ["3 1", "-1"]  # Bob Brown, first on the paper, withdrawn
    parsed = parse_blt(election.ballots_blt)
    assert parsed.candidates == ("Bob Brown", "Cat Clark", "Dan Dale")
    assert parsed.withdrawn == frozenset({0})
    assert election.result["elected"] == ["Cat Clark"]
    assert election.result["elected_nominations"] == [cat.id]
    assert election.result["withdrawn"] == ["Bob Brown"]
    db.session.commit()
    login(world.ann)
    results = client.get(f"/areas/staffs/elections/{election.id}/results").get_data(True)
    assert "Withdrawn before voting, so not on the ballot: Bob Brown." in results


def test_an_officer_withdrawal_before_voting_leaves_the_rest_unopposed(
    client, login, world, db
) -> None:
    election, by_name = three_standing(client, login, world)
    move_to(db, election, "voting")
    election.voting_opens_at = utcnow() + timedelta(minutes=30)
    election.voting_closes_at = utcnow() + timedelta(hours=1)
    closing.close_nominations(election, utcnow())
    assert election.state is ElectionState.VOTING
    # After nominations close the candidate cannot withdraw themselves ...
    with pytest.raises(DomainError, match="ask an officer"):
        nominations.withdraw(world.dan, by_name["Dan Dale"], "Changed my mind", utcnow())
    with pytest.raises(NotPermitted):
        nominations.withdraw(world.ann, by_name["Dan Dale"], "Not him", utcnow())
    mail.discard_queued()
    # ... but an officer can, before voting opens: two left for two seats, elected unopposed.
    nominations.withdraw(world.officer, by_name["Dan Dale"], "No longer a GP here", utcnow())
    assert election.state is ElectionState.UNOPPOSED
    assert election.result["elected"] == ["Bob Brown", "Cat Clark"]
    assert election.result["withdrawn"] == ["Dan Dale"]
    db.session.commit()
    from flask import g

    subjects = {message.subject for message in g.get("queued_email", [])}
    assert "You have been withdrawn: LMC committee 2027" in subjects
    with pytest.raises(DomainError, match="decided"):
        nominations.withdraw(world.officer, by_name["Bob Brown"], "Late", utcnow())


def test_no_one_can_withdraw_once_voting_opens(client, login, world, db) -> None:
    election, by_name = three_standing(client, login, world)
    move_to(db, election, "voting")
    closing.close_nominations(election, utcnow())
    with pytest.raises(DomainError, match="Voting has started"):
        nominations.withdraw(world.officer, by_name["Dan Dale"], "Too late", utcnow())
    assert by_name["Dan Dale"].state is NominationState.ACCEPTED


def test_signals_are_sent_inside_the_transaction(client, login, world, db) -> None:
    """A receiver is called during the service, before any commit, and sees its change."""
    election, by_name = three_standing(client, login, world, seats=1)
    seen: list[tuple[str, object]] = []

    def on_withdrawn(sender, nomination, actor, reason) -> None:
        seen.append(("withdrawn", nomination.state))

    def on_closed(sender, actor) -> None:
        seen.append(("closed", sender.state))

    with (
        signals.candidate_withdrawn.connected_to(on_withdrawn),
        signals.nominations_closed.connected_to(on_closed),
    ):
        nominations.withdraw(world.officer, by_name["Dan Dale"], "Ineligible", utcnow())
        move_to(db, election, "voting")
        closing.close_nominations(election, utcnow())
    assert seen == [("withdrawn", NominationState.WITHDRAWN), ("closed", ElectionState.VOTING)]
