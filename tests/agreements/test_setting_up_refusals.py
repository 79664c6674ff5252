"""Setting an agreement up, reporting on it and putting a procedure to the vote refuse bad terms
with a message that says what to put right, and write nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from portal.agreements import oversight, procedure_versions, setting_up
from portal.agreements.models import Agreement, OversightReport, RagStatus
from portal.database import utcnow
from portal.errors import Conflict, DomainError, NotPermitted
from tests.agreements.conftest import PROCEDURE, count, make_agreement, terms, today


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": "   "}, "Enter a title"),
        ({"title": "T" * 201}, "A title must be 200 characters or fewer"),
        ({"minimum_term_months": 121}, "The minimum term must be from 0 to 120 months"),
        ({"minimum_term_months": -1}, "The minimum term must be from 0 to 120 months"),
        ({"notice_period_months": 37}, "The notice period must be from 1 to 36 months"),
        ({"annual_cost": Decimal("-0.01")}, "The yearly cost cannot be negative"),
        (
            {"review_on": today() - timedelta(days=30)},
            "The review date must be after the start date",
        ),
    ],
)
def test_bad_terms_are_refused_with_what_to_put_right(world, overrides, message):
    with pytest.raises(DomainError) as refused:
        setting_up.create_agreement(
            world.director, world.area, world.federation, terms(**overrides), PROCEDURE, utcnow()
        )

    assert str(refused.value) == message
    assert count(Agreement) == 0


def test_a_procedure_is_required(world):
    with pytest.raises(DomainError, match="Enter the agreed procedure"):
        setting_up.create_agreement(
            world.director, world.area, world.federation, terms(), "  \n ", utcnow()
        )
    assert count(Agreement) == 0


def test_the_lead_must_be_an_open_practice_pcn_or_federation_of_this_area(world, db):
    lmc = world.officer.memberships[0].organisation
    with pytest.raises(DomainError, match="must be a practice, a PCN or the federation"):
        setting_up.create_agreement(world.officer, world.area, lmc, terms(), PROCEDURE, utcnow())
    far = world.outsider.memberships[0].organisation
    with pytest.raises(DomainError, match="must be a practice, a PCN or the federation"):
        setting_up.create_agreement(world.officer, world.area, far, terms(), PROCEDURE, utcnow())

    world.hill.closed_on = today() - timedelta(days=1)
    db.session.flush()
    with pytest.raises(DomainError, match="Hill Surgery has closed and cannot lead"):
        setting_up.create_agreement(
            world.officer, world.area, world.hill, terms(), PROCEDURE, utcnow()
        )
    assert count(Agreement) == 0


def test_a_partner_cannot_set_one_up_led_by_another_practice(world):
    with pytest.raises(NotPermitted, match="Only LMC officers, or someone acting for the lead"):
        setting_up.create_agreement(
            world.vale_partner, world.area, world.hill, terms(), PROCEDURE, utcnow()
        )
    assert count(Agreement) == 0


def test_only_the_lead_reports_and_an_overlong_report_is_refused(world):
    agreement = make_agreement(world)

    with pytest.raises(NotPermitted, match="Only The Federation, the lead, posts reports"):
        oversight.post_report(world.officer, agreement, RagStatus.GREEN, "All well", "", utcnow())
    with pytest.raises(DomainError, match="What is working must be 20,000 characters or fewer"):
        oversight.post_report(
            world.director, agreement, RagStatus.GREEN, "w" * 20_001, "", utcnow()
        )
    assert count(OversightReport) == 0


def test_a_version_is_put_to_the_vote_once_closing_in_the_future_with_practices_to_vote(world):
    agreement = make_agreement(world)
    version = agreement.in_force
    now = utcnow()

    with pytest.raises(NotPermitted, match="Only the lead and LMC officers"):
        procedure_versions.put_to_vote(
            world.hill_partner, version, now + timedelta(days=7), today=today(), now=now
        )
    with pytest.raises(Conflict, match="Version 1 has already been put to the vote"):
        procedure_versions.put_to_vote(
            world.officer, version, now + timedelta(days=7), today=today(), now=now
        )
    proposed = procedure_versions.propose_version(
        world.director, agreement, PROCEDURE + "\n\nUrgent items are phoned through.", "Urgent", now
    )
    with pytest.raises(DomainError, match="The vote must close in the future"):
        procedure_versions.put_to_vote(world.officer, proposed, now, today=today(), now=now)
    with pytest.raises(DomainError, match="No practice is signed up today"):
        procedure_versions.put_to_vote(
            world.officer, proposed, now + timedelta(days=7), today=today(), now=now
        )
    assert proposed.vote_id is None
