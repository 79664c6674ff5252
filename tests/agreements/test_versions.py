"""Changing the agreed way: a new version is compared with the last, put to a vote of the
practices signed up that day (weighted by the agreement's own setting) through the voting
engine, and adopted only when that vote passes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.agreements import procedure_versions, signing
from portal.agreements.models import ProcedureVersion, VersionState, VoteWeighting
from portal.database import utcnow
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.voting import casting, closing, public, signals
from portal.voting import rules as counting
from tests.agreements.conftest import (
    PROCEDURE,
    audit_actions,
    count,
    make_agreement,
    outbox_to,
    sign,
    sign_out,
    today,
)
from tests.conftest import csrf_token_from

NEW_PROCEDURE = PROCEDURE.replace("within one working day", "within four working hours")


def _signed_up(world, **overrides):
    agreement = make_agreement(world, starts_on=today() - timedelta(days=500), **overrides)
    sign(world, agreement, world.hill_partner, world.hill, today() - timedelta(days=500))
    sign(world, agreement, world.vale_partner, world.vale, today() - timedelta(days=300))
    sign(world, agreement, world.brook_partner, world.brook, today() - timedelta(days=500))
    # Brook has left by today: it is no longer a signatory, so it does not vote.
    signing.give_notice(
        world.brook_partner,
        agreement,
        world.brook,
        "",
        today=today() - timedelta(days=200),
        now=utcnow(),
    )
    db.session.commit()
    return agreement


def _close(vote, choices: list) -> counting.Result:
    """Cast and count: the count sends ``vote_closed``, which agreements receive."""
    now = utcnow()
    for user, organisation, choice in choices:
        casting.cast_ballot(user, vote, organisation, choice, now)
    closing.close_vote(vote, vote.closes_at)
    db.session.commit()
    result = public.result(vote)
    assert result is not None
    return result


def _proposed(world, agreement) -> ProcedureVersion:
    version = procedure_versions.propose_version(
        world.director, agreement, NEW_PROCEDURE, "Faster handling", utcnow()
    )
    db.session.commit()
    return version


def test_the_lead_proposes_a_version_compared_side_by_side(client, login, world):
    agreement = make_agreement(world)
    login(world.director)
    url = world.url(f"{agreement.id}/versions/new")
    page = client.get(url)
    assert "hub workflow coder" in page.get_data(as_text=True)
    token = csrf_token_from(page.get_data(as_text=True))
    same = client.post(
        url, data={"csrf_token": token, "body": PROCEDURE, "change_summary": "Nothing"}
    )
    assert same.status_code == 400
    assert "The procedure is the same as the latest version" in same.get_data(as_text=True)
    assert count(ProcedureVersion) == 1
    saved = client.post(
        url, data={"csrf_token": token, "body": NEW_PROCEDURE, "change_summary": "Faster"}
    )
    assert saved.status_code == 302
    version = db.session.query(ProcedureVersion).filter_by(number=2).one()
    assert version.state is VersionState.PROPOSED
    assert agreement.in_force.number == 1
    compared = client.get(world.url(f"{agreement.id}/versions?from=1&to=2")).get_data(as_text=True)
    assert '<del class="portal-diff__del">' in compared
    assert '<ins class="portal-diff__ins">' in compared
    assert "hours" in compared
    assert client.get(world.url(f"{agreement.id}/versions?from=1&to=9")).status_code == 404
    assert audit_actions()[-1] == "agreement.version_proposed"


def test_only_the_lead_and_officers_propose(world):
    agreement = make_agreement(world)
    with pytest.raises(NotPermitted):
        procedure_versions.propose_version(
            world.hill_partner, agreement, NEW_PROCEDURE, "x", utcnow()
        )
    db.session.rollback()
    assert count(ProcedureVersion) == 1


def test_the_vote_is_of_the_practices_signed_up_that_day_and_passing_adopts(world):
    agreement = _signed_up(world, vote_weighting=VoteWeighting.LIST_SIZE)
    version = _proposed(world, agreement)
    vote = procedure_versions.put_to_vote(
        world.officer, version, utcnow() + timedelta(hours=1), today=today(), now=utcnow()
    )
    db.session.commit()
    assert sorted(m.organisation_id for m in vote.electorate) == sorted(
        [world.hill.id, world.vale.id]
    )
    assert vote.rules["weighting"] == {"scheme": "list_size"}
    assert version.state is VersionState.VOTING
    with pytest.raises(Conflict, match="already been put to the vote"):
        procedure_versions.put_to_vote(
            world.officer, version, utcnow() + timedelta(hours=1), today=today(), now=utcnow()
        )
    db.session.rollback()
    # Hill holds 6,000 of the 9,000 patients: its vote for carries it against Vale's.
    result = _close(
        vote,
        [(world.hill_partner, world.hill, "for"), (world.vale_partner, world.vale, "against")],
    )
    assert result.outcome == "passed"
    db.session.refresh(agreement)
    assert agreement.in_force.number == 2
    assert version.adopted_at is not None
    assert "agreement.version_adopted" in audit_actions()
    told = outbox_to(world.hill_partner_2.email)
    assert any("A practice that cannot accept it can give notice" in m.body for m in told)
    assert not any("has been adopted" in m.subject for m in outbox_to(world.brook_partner.email))
    # A signal about the same vote again changes nothing.
    signals.vote_closed.send(vote, result=result)
    db.session.commit()
    assert audit_actions().count("agreement.version_adopted") == 1


def test_a_rejected_version_is_not_adopted(world):
    agreement = _signed_up(world)
    version = _proposed(world, agreement)
    vote = procedure_versions.put_to_vote(
        world.director, version, utcnow() + timedelta(hours=1), today=today(), now=utcnow()
    )
    db.session.commit()
    result = _close(
        vote,
        [(world.hill_partner, world.hill, "for"), (world.vale_partner, world.vale, "against")],
    )
    # One practice, one vote: a tie fails.
    assert result.outcome == "rejected"
    assert version.state is VersionState.NOT_ADOPTED
    assert agreement.in_force.number == 1


def test_a_cancelled_vote_leaves_the_version_proposed(world):
    agreement = _signed_up(world)
    version = _proposed(world, agreement)
    vote = procedure_versions.put_to_vote(
        world.director, version, utcnow() + timedelta(hours=1), today=today(), now=utcnow()
    )
    db.session.commit()
    closing.cancel_vote(world.officer, vote, "Wrong closing date", utcnow())
    db.session.commit()
    assert version.state is VersionState.PROPOSED
    assert version.vote_id is None


def test_a_vote_needs_signatories_and_a_closing_time_ahead(world):
    agreement = make_agreement(world)
    version = _proposed(world, agreement)
    with pytest.raises(DomainError, match="No practice is signed up"):
        procedure_versions.put_to_vote(
            world.director, version, utcnow() + timedelta(hours=1), today=today(), now=utcnow()
        )
    db.session.rollback()
    with pytest.raises(DomainError, match="close in the future"):
        procedure_versions.put_to_vote(
            world.director, version, utcnow(), today=today(), now=utcnow()
        )
    db.session.rollback()
    with pytest.raises(NotPermitted):
        procedure_versions.put_to_vote(
            world.hill_partner, version, utcnow() + timedelta(hours=1), today=today(), now=utcnow()
        )
    db.session.rollback()
    assert version.state is VersionState.PROPOSED


def test_putting_to_the_vote_through_the_page(client, login, world):
    agreement = _signed_up(world)
    _proposed(world, agreement)
    login(world.director)
    page = client.get(world.url(f"{agreement.id}")).get_data(as_text=True)
    assert "Put version 2 to the practices signed up" in page
    response = client.post(
        world.url(f"{agreement.id}/versions/2/vote"),
        data={
            "csrf_token": csrf_token_from(page),
            "closes_on": (today() + timedelta(days=7)).isoformat(),
        },
    )
    assert response.status_code == 302
    assert "/votes/" in response.headers["Location"]
    sign_out(client)
    login(world.hill_partner)
    page = client.get(world.url(f"{agreement.id}")).get_data(as_text=True)
    assert "Version 2 of the procedure is being voted on" in page
    assert "A practice that cannot accept it can give notice" in page
    assert db.session.query(ProcedureVersion).filter_by(number=2).one().state is (
        VersionState.VOTING
    )
