"""The workflow: drafting -> consultation -> voting on the frozen revision -> agreed or not
agreed (when the worker counts the vote, through voting's events) -> drafting again; amendments
put to the vote; every step audited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from portal.audit.models import AuditEntry
from portal.database import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.positions import amendments, drafting, forms, services, workflow
from portal.positions.models import AmendmentState, Position, PositionState
from portal.statements import services as statement_services
from portal.voting import casting as voting_casting
from portal.voting import closing as voting_closing
from portal.voting.models import BallotSecrecy, Vote, VoteKind, VoteState
from portal.voting.setup_forms import new_vote_data
from tests.positions.conftest import BODY, counts, csrf, draft, sign_in


def _settings(**changes):
    values = {
        "secrecy": BallotSecrecy.OPEN,
        "voting_kinds": ["practice"],
        "closes_at": utcnow() + timedelta(days=7),
        "rules": dict(services.DEFAULT_RULES),
    }
    values.update(changes)
    return workflow.VoteSettings(**values)


def _open_vote(world, position, who="officer"):
    vote = workflow.open_position_vote(world.people[who], position, _settings(), utcnow())
    db.session.commit()
    return vote


def _cast_and_run_out(world, vote, choices):
    """Partners of practices 1 to 3 cast the given choices; then the vote's time runs out."""
    for who, practice, choice in zip(
        ("partner", "partner2", "partner3"), world.practices, choices, strict=False
    ):
        voting_casting.cast_ballot(world.people[who], vote, practice, choice, utcnow())
    vote.opens_at = utcnow() - timedelta(days=3)
    vote.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


def _count_due_votes():
    """What the worker (or ``flask close-due-votes`` from cron) does: count the due votes."""
    closed = voting_closing.close_due_votes(utcnow())
    db.session.commit()
    return closed


def _cast_and_close(world, vote, choices):
    _cast_and_run_out(world, vote, choices)
    _count_due_votes()


def _actions(position):
    return list(
        db.session.execute(
            sa.select(AuditEntry.action)
            .where(AuditEntry.subject_type == "Position", AuditEntry.subject_id == str(position.id))
            .order_by(AuditEntry.sequence)
        ).scalars()
    )


# --- Consultation ------------------------------------------------------------------------------


def test_the_lead_opens_a_consultation_with_an_end_date(client, world):
    position = draft(world)
    sign_in(client, world.people["partner"])
    last_day = (utcnow() + timedelta(days=10)).date()
    response = client.post(
        world.url(f"positions/{position.id}/consultation"),
        data={
            "csrf_token": csrf(client),
            "ends_day": str(last_day.day),
            "ends_month": str(last_day.month),
            "ends_year": str(last_day.year),
        },
    )
    assert response.status_code == 302
    position = db.session.get(Position, position.id)
    assert position.state is PositionState.CONSULTATION
    assert position.consultation_ends_at > utcnow() + timedelta(days=9)
    assert "position.consultation_opened" in _actions(position)
    page = client.get(world.url(f"positions/{position.id}")).get_data(as_text=True)
    assert "In consultation: members can comment and propose amendments until" in page


def test_a_consultation_must_end_in_the_future_and_only_the_lead_opens_it(client, world):
    position = draft(world)
    sign_in(client, world.people["partner2"])
    data = {"csrf_token": csrf(client), "ends_day": "1", "ends_month": "1", "ends_year": "2030"}
    url = world.url(f"positions/{position.id}/consultation")
    assert client.post(url, data=data).status_code == 403
    with pytest.raises(DomainError, match="future"):
        workflow.open_consultation(
            world.people["partner"], position, utcnow() - timedelta(hours=1), utcnow()
        )


def test_after_the_consultation_closes_comments_and_amendments_are_refused(world):
    position = draft(world)
    workflow.open_consultation(
        world.people["partner"], position, utcnow() + timedelta(days=1), utcnow()
    )
    db.session.commit()
    later = utcnow() + timedelta(days=2)
    with pytest.raises(services.WorkflowError, match="consultation closed"):
        drafting.add_comment(
            world.people["partner2"],
            position,
            body_markdown="Late",
            paragraph_index=None,
            now=later,
        )
    with pytest.raises(services.WorkflowError, match="consultation closed"):
        amendments.propose_amendment(
            world.people["partner2"],
            position,
            paragraph_index=0,
            replacement_markdown="Late text",
            reason="Late",
            now=later,
        )


def test_the_vote_waits_for_the_consultation_to_close(world):
    position = draft(world)
    workflow.open_consultation(
        world.people["officer"], position, utcnow() + timedelta(days=1), utcnow()
    )
    db.session.commit()
    with pytest.raises(services.WorkflowError, match="Members may comment until"):
        _open_vote(world, position)
    db.session.rollback()
    position = db.session.get(Position, position.id)
    position.consultation_ends_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert _open_vote(world, position).state is VoteState.OPEN


# --- The vote ----------------------------------------------------------------------------------


def test_opening_the_vote_freezes_the_latest_revision(world):
    position = draft(world, "officer")
    drafting.save_revision(
        world.people["officer"],
        position,
        base_number=1,
        title="Final title",
        body_markdown=BODY + "\n\nFinal words.",
        now=utcnow(),
    )
    db.session.commit()
    vote = _open_vote(world, position)
    position = db.session.get(Position, position.id)
    assert position.state is PositionState.VOTING
    assert position.vote_id == vote.id
    assert position.voted_revision_number == 2
    assert position.voted_revision.body_markdown == BODY + "\n\nFinal words."
    assert vote.state is VoteState.OPEN
    assert vote.kind is VoteKind.MOTION
    assert vote.title == "Final title"
    assert vote.body_markdown == BODY + "\n\nFinal words."
    assert vote.question == "Should the group agree this position: Final title?"
    assert vote.rules["cap"] == "1/4"
    assert [m.ods_code for m in vote.electorate] == ["M80001", "M80002", "M80003", "M80004"]
    assert _actions(position)[-1] == "position.vote_opened"


def test_the_text_cannot_change_while_the_vote_is_open(client, world):
    position = draft(world, "officer")
    amendment = amendments.propose_amendment(
        world.people["partner2"],
        position,
        paragraph_index=0,
        replacement_markdown="Other",
        reason="Why not",
        now=utcnow(),
    )
    amendments.reject_amendment(world.people["officer"], position, amendment, "No", utcnow())
    db.session.commit()
    _open_vote(world, position)
    with pytest.raises(services.WorkflowError, match="while the vote on it is open"):
        drafting.save_revision(
            world.people["officer"],
            position,
            base_number=1,
            title="Sneaky",
            body_markdown="Changed during the vote",
            now=utcnow(),
        )
    db.session.rollback()
    sign_in(client, world.people["officer"])
    before = counts()
    response = client.post(
        world.url(f"positions/{position.id}/edit"),
        data={
            "csrf_token": csrf(client),
            "base_revision": "1",
            "title": "Sneaky",
            "body_markdown": "Changed during the vote",
        },
    )
    assert response.status_code == 302
    assert counts() == before
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "the vote on it is open" in page
    with pytest.raises(services.WorkflowError):
        drafting.add_comment(
            world.people["partner2"],
            position,
            body_markdown="Hm",
            paragraph_index=None,
            now=utcnow(),
        )


def test_open_amendments_must_be_decided_before_the_vote(world):
    position = draft(world, "officer")
    amendments.propose_amendment(
        world.people["partner2"],
        position,
        paragraph_index=0,
        replacement_markdown="Other",
        reason="Why not",
        now=utcnow(),
    )
    db.session.commit()
    with pytest.raises(services.WorkflowError, match="Decide the open amendments first"):
        _open_vote(world, position)


def test_a_passed_vote_makes_the_position_agreed_when_the_worker_counts_it(client, world):
    position = draft(world, "officer")
    vote = _open_vote(world, position)
    _cast_and_run_out(world, vote, ["for", "for", "against"])
    sign_in(client, world.people["manager"])
    # Until the worker counts it, the page says so and changes nothing.
    page = client.get(world.url(f"positions/{position.id}")).get_data(as_text=True)
    assert 'id="being-counted"' in page
    assert db.session.get(Position, position.id).state is PositionState.VOTING
    assert db.session.get(Vote, vote.id).state is VoteState.OPEN
    assert _count_due_votes() == [vote]
    position = db.session.get(Position, position.id)
    assert position.state is PositionState.AGREED
    assert db.session.get(Vote, vote.id).state is VoteState.CLOSED
    assert _actions(position)[-1] == "position.agreed"
    page = client.get(world.url(f"positions/{position.id}")).get_data(as_text=True)
    assert "Agreed: the group" in page
    assert _count_due_votes() == []  # counted once, agreed once
    assert _actions(position).count("position.agreed") == 1


def test_a_vote_closed_from_cron_makes_the_position_publishable_without_a_page_view(client, world):
    position = draft(world, "officer")
    vote = _open_vote(world, position)
    _cast_and_run_out(world, vote, ["for", "for", "for"])
    officer = world.people["officer"]
    assert statement_services.publishable_positions(officer) == []
    result = client.application.test_cli_runner().invoke(args=["close-due-votes"])
    assert result.exit_code == 0, result.output
    assert f"Closed vote {vote.id}" in result.output
    db.session.expire_all()
    assert db.session.get(Position, position.id).state is PositionState.AGREED
    assert [p.id for p in statement_services.publishable_positions(officer)] == [position.id]
    sign_in(client, officer)
    page = client.get("/statements/publish").get_data(as_text=True)
    assert position.title in page


def test_a_failed_vote_makes_it_not_agreed_and_it_can_go_round_again(client, world):
    position = draft(world, "officer")
    vote = _open_vote(world, position)
    _cast_and_close(world, vote, ["against", "against", "for"])
    position = db.session.get(Position, position.id)
    assert position.state is PositionState.NOT_AGREED
    with pytest.raises(services.WorkflowError, match="return it to drafting first"):
        drafting.save_revision(
            world.people["officer"],
            position,
            base_number=1,
            title="t",
            body_markdown="b",
            now=utcnow(),
        )
    db.session.rollback()
    sign_in(client, world.people["officer"])
    response = client.post(
        world.url(f"positions/{position.id}/redraft"), data={"csrf_token": csrf(client)}
    )
    assert response.status_code == 302
    position = db.session.get(Position, position.id)
    assert position.state is PositionState.DRAFTING
    drafting.save_revision(
        world.people["officer"],
        position,
        base_number=1,
        title="Second round",
        body_markdown=BODY + "\n\nWith a concession.",
        now=utcnow(),
    )
    db.session.commit()
    second = _open_vote(world, position)
    assert second.id != vote.id
    assert db.session.get(Position, position.id).voted_revision_number == 2
    assert _actions(position)[-4:] == [
        "position.not_agreed",
        "position.returned_to_drafting",
        "position.revised",
        "position.vote_opened",
    ]


def test_an_inquorate_vote_is_not_agreed(world):
    position = draft(world, "officer")
    vote = _open_vote(world, position)
    _cast_and_close(world, vote, ["for"])  # 1 of 4 practices: below the quorum of half
    assert db.session.get(Vote, vote.id).result["outcome"] == "inquorate"
    assert db.session.get(Position, position.id).state is PositionState.NOT_AGREED


def _hidden_fields(page: str) -> list[tuple[str, str]]:
    """What the check page's form sends: its hidden inputs, in order."""
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)


def test_the_lead_opens_the_vote_through_the_form_with_sensible_defaults(client, world):
    position = draft(world, "officer")
    sign_in(client, world.people["officer"])
    url = world.url(f"positions/{position.id}/vote")
    page = client.get(url).get_data(as_text=True)
    assert 'value="50"' in page  # half the practices must vote
    # The same defaults as /votes/new and its question pages.
    now = utcnow()
    from_position = forms.new_vote_rules_data(now)
    from_votes = new_vote_data(now)
    assert {k: from_votes[k] for k in from_position} == from_position
    assert "Should the group agree this position: Our response on PCN hubs?" in page
    closes = (utcnow() + timedelta(days=14)).date()
    response = client.post(
        url,
        data={
            "csrf_token": csrf(client),
            "closes_day": str(closes.day),
            "closes_month": str(closes.month),
            "closes_year": str(closes.year),
            "closes_time": "17:00",
            "voting_kinds": ["practice", "pcn"],
            "secrecy": "open",
            "scheme": "banded",
            "band": "1000",
            "cap": "",
            "quorum_members": "50",
            "quorum_weight": "",
            "motion_threshold": "supermajority",
            "supermajority": "2/3",
            "tie": "fails",
        },
    )
    # Opening emails every organisation that votes: first the check page, which opens nothing.
    assert response.status_code == 200
    check = response.get_data(as_text=True)
    assert "Check before you open the vote" in check
    assert "How this vote is decided" in check
    assert "cast the ballots of 5 organisations" in check  # four practices and the PCN
    assert db.session.scalar(sa.select(sa.func.count(Vote.id))) == 0
    response = client.post(url, data=MultiDict(_hidden_fields(check)))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "opened at" in client.get(response.headers["Location"]).get_data(as_text=True)
    position = db.session.get(Position, position.id)
    assert position.state is PositionState.VOTING
    vote = position.vote
    assert vote.voting_kinds == ["practice", "pcn"]
    assert vote.rules["threshold"] == {"rule": "supermajority", "fraction": "2/3"}
    assert vote.rules["weighting"] == {"scheme": "banded", "band": 1000}
    assert vote.rules["quorum"] == {"members": "1/2", "weight": None}


def test_a_cap_too_small_for_the_electorate_is_explained(client, world):
    position = draft(world, "officer")
    sign_in(client, world.people["officer"])
    closes = (utcnow() + timedelta(days=14)).date()
    response = client.post(
        world.url(f"positions/{position.id}/vote"),
        data={
            "csrf_token": csrf(client),
            "closes_day": str(closes.day),
            "closes_month": str(closes.month),
            "closes_year": str(closes.year),
            "closes_time": "17:00",
            "voting_kinds": ["practice"],
            "secrecy": "open",
            "scheme": "list_size",
            "cap": "10",
            "motion_threshold": "simple_majority",
            "tie": "fails",
        },
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "The cap must be more than 0 % and at most 100 %, and at least 1/4 (25.0 %)" in page
    assert db.session.get(Position, position.id).state is PositionState.DRAFTING
    assert db.session.scalar(sa.select(sa.func.count(Vote.id))) == 0


def test_a_lead_who_is_a_partner_opens_the_vote_but_another_member_cannot(client, world):
    position = draft(world, "partner")
    sign_in(client, world.people["partner"])
    page = client.get(world.url(f"positions/{position.id}")).get_data(as_text=True)
    assert "Put it to the vote" in page
    assert client.get(world.url(f"positions/{position.id}/vote")).status_code == 200
    colleague = client.application.test_client()
    sign_in(colleague, world.people["partner2"])
    assert colleague.get(world.url(f"positions/{position.id}/vote")).status_code == 403


# --- Amendments put to the vote ----------------------------------------------------------------


def _amendment(world, position, text="Practices may opt out at any time."):
    amendment = amendments.propose_amendment(
        world.people["partner2"],
        position,
        paragraph_index=1,
        replacement_markdown=text,
        reason="Clearer.",
        now=utcnow(),
    )
    db.session.commit()
    return amendment


def test_an_amendment_put_to_the_vote_can_be_accepted_once_it_passes(world):
    position = draft(world, "officer")
    amendment = _amendment(world, position)
    vote = workflow.put_amendment_to_vote(
        world.people["officer"], position, amendment, _settings(), utcnow()
    )
    db.session.commit()
    assert amendment.state is AmendmentState.PUT_TO_VOTE
    assert amendment.vote_id == vote.id
    assert (
        vote.question
        == "Should paragraph 2 be replaced by: \u201cPractices may opt out at any time.\u201d?"
    )
    assert (
        "> The LMC supports hubs if practices may opt out of staffing them." in vote.body_markdown
    )
    with pytest.raises(services.WorkflowError, match="has not closed"):
        amendments.accept_amendment(world.people["officer"], position, amendment, utcnow())
    db.session.rollback()
    _cast_and_close(world, db.session.get(Vote, vote.id), ["for", "for", "for"])
    position = db.session.get(Position, position.id)
    revision = amendments.accept_amendment(world.people["officer"], position, amendment, utcnow())
    db.session.commit()
    assert revision.number == 2
    assert amendment.state is AmendmentState.ACCEPTED
    assert amendment.resulting_revision_id == revision.id


def test_an_amendment_whose_vote_failed_is_rejected_not_accepted(world):
    position = draft(world, "officer")
    amendment = _amendment(world, position)
    vote = workflow.put_amendment_to_vote(
        world.people["officer"], position, amendment, _settings(), utcnow()
    )
    db.session.commit()
    with pytest.raises(services.WorkflowError, match="still open"):
        amendments.reject_amendment(world.people["officer"], position, amendment, "No", utcnow())
    db.session.rollback()
    _cast_and_close(world, db.session.get(Vote, vote.id), ["against", "against", "for"])
    position = db.session.get(Position, position.id)
    with pytest.raises(services.WorkflowError, match="did not pass"):
        amendments.accept_amendment(world.people["officer"], position, amendment, utcnow())
    db.session.rollback()
    amendments.reject_amendment(
        world.people["officer"], position, amendment, "The group voted against it", utcnow()
    )
    db.session.commit()
    assert amendment.state is AmendmentState.REJECTED


def test_a_cancelled_vote_leaves_the_position_not_agreed_and_ready_for_another_round(world):
    position = draft(world, "officer")
    vote = _open_vote(world, position)
    voting_closing.cancel_vote(
        world.people["officer"], vote, "The ICB withdrew the proposal", utcnow()
    )
    db.session.commit()
    position = db.session.get(Position, position.id)
    assert position.state is PositionState.NOT_AGREED
    assert _actions(position)[-1] == "position.not_agreed"
    workflow.return_to_drafting(world.people["officer"], position, utcnow())
    assert position.state is PositionState.DRAFTING


def test_an_amendment_whose_vote_was_cancelled_is_rejected_not_accepted(client, world):
    position = draft(world, "officer")
    amendment = _amendment(world, position)
    vote = workflow.put_amendment_to_vote(
        world.people["officer"], position, amendment, _settings(), utcnow()
    )
    voting_closing.cancel_vote(
        world.people["officer"], vote, "Put to the vote by mistake", utcnow()
    )
    db.session.commit()
    sign_in(client, world.people["officer"])
    page = client.get(world.url(f"positions/{position.id}")).get_data(as_text=True)
    assert "Put to the vote: the vote was cancelled." in page
    with pytest.raises(services.WorkflowError, match="did not pass"):
        amendments.accept_amendment(world.people["officer"], position, amendment, utcnow())
    db.session.rollback()
    amendments.reject_amendment(
        world.people["officer"], position, amendment, "Its vote was cancelled", utcnow()
    )
    db.session.commit()
    assert amendment.state is AmendmentState.REJECTED


def test_a_long_amendment_question_fits_the_vote(world):
    position = draft(world, "officer")
    amendment = _amendment(world, position, text="Practices may opt out. " * 60)
    question = workflow.amendment_question(amendment)
    assert len(question) <= 500
    assert question.startswith("Should paragraph 2 be replaced by: \u201cPractices may opt out.")
    assert question.endswith("(in full below)?")


def test_the_amendment_vote_page_asks_the_question(client, world):
    position = draft(world, "officer")
    amendment = _amendment(world, position)
    sign_in(client, world.people["officer"])
    url = world.url(f"positions/{position.id}/amendments/{amendment.id}/vote")
    page = client.get(url).get_data(as_text=True)
    assert (
        "Should paragraph 2 be replaced by: \u201cPractices may opt out at any time.\u201d?" in page
    )
    partner = client.application.test_client()
    sign_in(partner, world.people["partner2"])
    assert partner.get(url).status_code == 403
