"""Publishing, superseding, withdrawing and answering statements against a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal.audit.models import AuditEntry
from portal.audit.services import verify_chain
from portal.database import utcnow
from portal.errors import Conflict, DomainError, NotPermitted
from portal.positions.models import PositionState
from portal.statements import services
from portal.statements.models import SignatoryChoice, Statement, StatementState
from portal.tiers import Tier
from portal.times import long_date
from portal.voting.models import BallotSecrecy
from tests.factories import make_world
from tests.statements.helpers import (
    RULES,
    STATEMENTS_WORLD,
    add_proposal,
    agree_position,
    decided_vote,
    other_area_member,
    publish_statement,
)


def _actions(db) -> list[str]:
    return list(
        db.session.execute(
            sa.select(AuditEntry.action)
            .where(AuditEntry.action.like("statement.%"))
            .order_by(AuditEntry.sequence)
        ).scalars()
    )


def test_publishing_copies_the_agreed_revision_and_marks_the_position(db, setting):
    vote = decided_vote(setting)
    proposal = add_proposal(setting)
    position = agree_position(setting, vote, title="Our position", proposal=proposal)
    now = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
    statement = services.publish(
        setting.officer, position, Tier.ICS, SignatoryChoice.VOTED_FOR, now
    )
    db.session.commit()
    assert statement.reference == "GPV-2026-001"
    # Revision 1 was voted on; revision 2 is a later draft and is not what is published.
    assert (statement.title, statement.revision.number) == ("Our position", 1)
    assert statement.body_markdown.startswith("The ICB proposes **one hub**")
    assert (statement.tier, statement.state) == (Tier.ICS, StatementState.PUBLISHED)
    assert (statement.proposal_id, statement.vote_id) == (proposal.id, vote.id)
    assert statement.published_by_id == setting.officer.id
    assert position.state is PositionState.PUBLISHED
    # Riverside, Hillside and Castle Street voted for; Meadow voted against.
    assert [s.ods_code for s in statement.signatories] == ["A10004", "A10002", "A10001"]
    assert _actions(db) == ["statement.published"]
    assert verify_chain() is None

    # The draft changing afterwards changes nothing in the statement.
    position.revisions[0].title = "Changed"
    db.session.commit()
    db.session.refresh(statement)
    assert statement.title == "Our position"


def test_the_provenance_is_the_full_result_wording_of_the_stored_vote(db, setting):
    # Practices of 4,000, 6,000 and 20,000 patients and the PCN voted for, the practice of
    # 10,000 against; the LMC did not vote. List-size weights capped at a quarter.
    practices = setting.practices
    vote = decided_vote(
        setting,
        {
            practices[0]: "for",
            practices[1]: "for",
            practices[2]: "against",
            practices[3]: "for",
            setting.pcn: "for",
        },
        voting_kinds=("practice", "pcn", "lmc"),
        rules={**RULES, "cap": "1/4"},
    )
    position = agree_position(setting, vote)
    statement = services.publish(
        setting.officer, position, Tier.PUBLIC, SignatoryChoice.VOTED_FOR, utcnow()
    )
    today = long_date(vote.closed_at)
    assert statement.provenance == (
        f"Agreed by simple majority of the whole weight on {today}: 4 organisations for "
        "(62.5 % of the weight), 1 against (12.5 %), 0 abstained (0.0 %); 5 of 6 voted "
        "(75.0 % of the weight); quorum of half the organisations met."
    )
    # Those that voted for sign: the PCN first, then the practices; not the LMC.
    assert [s.kind for s in statement.signatories] == ["pcn"] + ["practice"] * 3


def test_references_count_up_within_the_year_and_start_again_in_the_next(db, setting):
    vote = decided_vote(setting)
    march = datetime(2026, 3, 3, 12, tzinfo=UTC)
    first = publish_statement(setting, vote, now=march)
    second = publish_statement(setting, vote, now=march + timedelta(days=1))
    # 31 December 2026 at 23:30 UTC is still 2026 in London (GMT).
    third = publish_statement(setting, vote, now=datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    next_year = publish_statement(setting, vote, now=datetime(2027, 1, 1, 0, 30, tzinfo=UTC))
    assert [s.reference for s in (first, second, third, next_year)] == [
        "GPV-2026-001",
        "GPV-2026-002",
        "GPV-2026-003",
        "GPV-2027-001",
    ]


def test_a_reference_taken_at_the_same_moment_is_retried(db, setting, monkeypatch):
    vote = decided_vote(setting)
    publish_statement(setting, vote, now=datetime(2026, 5, 1, tzinfo=UTC))
    position = agree_position(setting, vote)
    real = services.next_reference
    stale = iter(["GPV-2026-001", "GPV-2026-001"])  # what a concurrent publisher also chose

    def racing(year: int) -> str:
        return next(stale, None) or real(year)

    monkeypatch.setattr(services, "next_reference", racing)
    statement = services.publish(
        setting.officer,
        position,
        Tier.PUBLIC,
        SignatoryChoice.VOTED_FOR,
        datetime(2026, 5, 2, tzinfo=UTC),
    )
    db.session.commit()
    assert statement.reference == "GPV-2026-002"
    assert position.state is PositionState.PUBLISHED


def test_a_reference_that_keeps_clashing_is_a_conflict(db, setting, monkeypatch):
    vote = decided_vote(setting)
    publish_statement(setting, vote, now=datetime(2026, 5, 1, tzinfo=UTC))
    position = agree_position(setting, vote)
    monkeypatch.setattr(services, "next_reference", lambda year: "GPV-2026-001")
    with pytest.raises(Conflict, match="same moment"):
        services.publish(
            setting.officer, position, Tier.PUBLIC, SignatoryChoice.VOTED_FOR, utcnow()
        )
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count(Statement.id))).scalar_one() == 1


@pytest.mark.parametrize(
    "state",
    [
        PositionState.DRAFTING,
        PositionState.CONSULTATION,
        PositionState.VOTING,
        PositionState.NOT_AGREED,
    ],
)
def test_only_an_agreed_position_is_published(db, setting, state):
    position = agree_position(setting, decided_vote(setting), state=state)
    with pytest.raises(services.NotPublishable, match="Only an agreed position"):
        services.publish(
            setting.officer, position, Tier.PUBLIC, SignatoryChoice.VOTED_FOR, utcnow()
        )


def test_a_published_position_is_not_published_twice(db, setting):
    position = agree_position(setting, decided_vote(setting))
    services.publish(setting.officer, position, Tier.PUBLIC, SignatoryChoice.VOTED_FOR, utcnow())
    db.session.commit()
    with pytest.raises(Conflict, match="already been published"):
        services.publish(
            setting.officer, position, Tier.PUBLIC, SignatoryChoice.VOTED_FOR, utcnow()
        )


def test_a_position_whose_vote_did_not_pass_is_not_published(db, setting):
    practices = setting.practices
    # Against: 10,000 + 20,000 of 40,000 patients' weight; rejected.
    vote = decided_vote(
        setting,
        {
            practices[0]: "for",
            practices[1]: "for",
            practices[2]: "against",
            practices[3]: "against",
        },
    )
    assert vote.result["outcome"] == "rejected"
    position = agree_position(setting, vote)
    with pytest.raises(services.NotPublishable, match="vote passed"):
        services.publish(
            setting.officer, position, Tier.PUBLIC, SignatoryChoice.VOTED_FOR, utcnow()
        )


@pytest.mark.parametrize("who", ["partner", "manager", "pcn_director", "ics_reader", "other"])
def test_only_officers_and_administrators_publish(db, setting, who):
    actor = {
        "partner": setting.partners[0],
        "manager": setting.manager,
        "pcn_director": setting.pcn_director,
        "ics_reader": setting.ics_reader,
        "other": other_area_member(setting),
    }[who]
    position = agree_position(setting, decided_vote(setting))
    with pytest.raises(NotPermitted):
        services.publish(actor, position, Tier.PUBLIC, SignatoryChoice.VOTED_FOR, utcnow())


def test_an_area_administrator_publishes(db, setting):
    position = agree_position(setting, decided_vote(setting))
    statement = services.publish(
        setting.admin, position, Tier.LMC, SignatoryChoice.VOTED_FOR, utcnow()
    )
    assert statement.published_by_id == setting.admin.id


def test_a_secret_ballot_is_signed_only_by_later_endorsers(db, setting):
    vote = decided_vote(setting, secrecy=BallotSecrecy.SECRET, rules=dict(RULES))
    position = agree_position(setting, vote)
    for choice in (SignatoryChoice.VOTED_FOR, SignatoryChoice.CHOSEN):
        with pytest.raises(DomainError, match="no organisation may be shown to have voted"):
            services.publish(setting.officer, position, Tier.PUBLIC, choice, utcnow())
        db.session.rollback()
    statement = services.publish(
        setting.officer, position, Tier.PUBLIC, SignatoryChoice.ENDORSERS, utcnow()
    )
    assert statement.signatories == []
    assert statement.provenance.endswith(
        "in a secret ballot: 4 of 4 organisations voted; quorum of half the practices met. "
        "Figures withheld to keep the ballot secret."
    )
    assert "%" not in statement.provenance


def test_superseding_points_the_old_statement_at_the_new(db, setting):
    vote = decided_vote(setting)
    old = publish_statement(setting, vote, now=datetime(2026, 3, 3, tzinfo=UTC))
    new = publish_statement(setting, vote, now=datetime(2026, 6, 3, tzinfo=UTC))
    later = datetime(2026, 6, 4, tzinfo=UTC)
    services.supersede(setting.officer, old, new, "", later)
    db.session.commit()
    assert old.state is StatementState.SUPERSEDED
    assert (old.superseded_by, old.ended_at) == (new, later)
    assert old.end_reason == "Replaced by a later statement."
    assert new.state is StatementState.PUBLISHED
    assert _actions(db) == ["statement.published"] * 2 + ["statement.superseded"]
    with pytest.raises(Conflict, match="already been superseded"):
        services.supersede(setting.officer, old, new, "", later)


def test_only_a_later_statement_of_the_same_area_supersedes(db, setting):
    vote = decided_vote(setting)
    old = publish_statement(setting, vote, now=datetime(2026, 3, 3, tzinfo=UTC))
    new = publish_statement(setting, vote, now=datetime(2026, 6, 3, tzinfo=UTC))
    with pytest.raises(DomainError, match="published later"):
        services.supersede(setting.officer, new, old, "", utcnow())
    with pytest.raises(DomainError, match="published later"):
        services.supersede(setting.officer, new, new, "", utcnow())
    services.withdraw(setting.officer, new, "Wrong figures", utcnow())
    with pytest.raises(DomainError, match="no longer in force"):
        services.supersede(setting.officer, old, new, "", utcnow())
    db.session.rollback()

    elsewhere = make_world(**{**STATEMENTS_WORLD, "slug": "elsewhere", "name": "Elsewhere"})
    theirs = publish_statement(elsewhere, now=datetime(2026, 9, 1, tzinfo=UTC))
    with pytest.raises(DomainError, match="same area"):
        services.supersede(setting.officer, old, theirs, "", utcnow())
    with pytest.raises(NotPermitted):
        services.supersede(setting.partners[0], old, new, "", utcnow())


def test_withdrawing_needs_a_reason_and_keeps_the_statement(db, setting):
    statement = publish_statement(setting)
    with pytest.raises(DomainError, match="reason"):
        services.withdraw(setting.officer, statement, "   ", utcnow())
    with pytest.raises(NotPermitted):
        services.withdraw(setting.ics_reader, statement, "No", utcnow())
    services.withdraw(setting.officer, statement, "The ICB withdrew its proposal", utcnow())
    db.session.commit()
    assert statement.state is StatementState.WITHDRAWN
    assert statement.end_reason == "The ICB withdrew its proposal"
    assert services.find(statement.reference, None) == statement
    with pytest.raises(Conflict, match="already been withdrawn"):
        services.withdraw(setting.officer, statement, "Again", utcnow())
    assert _actions(db) == ["statement.published", "statement.withdrawn"]


def test_the_ics_responds_and_an_officer_may_on_its_behalf(db, setting):
    statement = publish_statement(setting, tier=Tier.ICS)
    services.record_response(
        setting.ics_reader, statement, "We accepted both conditions.", utcnow()
    )
    services.record_response(setting.officer, statement, "Funding confirmed.", utcnow())
    db.session.commit()
    assert [r.body_markdown for r in statement.responses] == [
        "We accepted both conditions.",
        "Funding confirmed.",
    ]
    assert _actions(db) == ["statement.published"] + ["statement.response_recorded"] * 2
    with pytest.raises(NotPermitted):
        services.record_response(setting.partners[0], statement, "Not ours to say", utcnow())
    with pytest.raises(DomainError, match="Enter"):
        services.record_response(setting.ics_reader, statement, "  ", utcnow())


def test_an_ics_reader_cannot_respond_to_what_they_cannot_read(db, setting):
    statement = publish_statement(setting, tier=Tier.GROUP)
    with pytest.raises(NotPermitted):
        services.record_response(setting.ics_reader, statement, "Hello", utcnow())


def test_nothing_answers_a_withdrawn_statement(db, setting):
    statement = publish_statement(setting)
    services.withdraw(setting.officer, statement, "Overtaken by events", utcnow())
    with pytest.raises(Conflict, match="withdrawn"):
        services.record_response(setting.ics_reader, statement, "Noted", utcnow())
