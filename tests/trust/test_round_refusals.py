"""An officer's round actions and a member's answer refuse, with nothing written: a nameless
round, someone who is not an officer, closing twice, publishing before close, twice or half
empty, scores outside 0 to 10, an empty answer, and results of a round still open."""

from __future__ import annotations

import pytest

from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.trust import services
from portal.trust.models import RoundState, TrustTarget
from tests.trust.conftest import counter_total, open_round


def test_a_round_needs_a_name_and_an_officer(world):
    with pytest.raises(DomainError, match="Enter a name for the round"):
        services.open_round(world.officer, world.area, "   ")
    with pytest.raises(NotPermitted, match="Only LMC officers and area administrators"):
        services.open_round(world.partners_1[0], world.area, "December 2026")
    assert services.rounds_in(world.area) == []


def test_a_round_closes_once_and_only_by_an_officer(world):
    trust_round = open_round(world)
    with pytest.raises(NotPermitted):
        services.close_round(world.partners_1[0], trust_round)
    assert trust_round.state is RoundState.OPEN

    services.close_round(world.officer, trust_round)
    db.session.commit()
    closed_at = trust_round.closed_at
    with pytest.raises(Conflict, match="already closed"):
        services.close_round(world.officer, trust_round)
    assert trust_round.closed_at == closed_at


def test_what_was_heard_is_published_once_after_close_with_both_halves(world):
    trust_round = open_round(world)
    with pytest.raises(Conflict, match="once the round has closed"):
        services.publish_response(world.officer, trust_round, "Heard", "Will do")
    services.close_round(world.officer, trust_round)
    with pytest.raises(DomainError, match="Enter both what you heard and what you will do"):
        services.publish_response(world.officer, trust_round, "Heard", "  ")
    assert trust_round.published_at is None

    services.publish_response(world.officer, trust_round, "Heard", "Will do")
    with pytest.raises(Conflict, match="already been published"):
        services.publish_response(world.officer, trust_round, "Heard again", "Something else")
    assert (trust_round.you_said, trust_round.we_did) == ("Heard", "Will do")


def test_scores_outside_0_to_10_or_an_empty_answer_count_nothing(world):
    trust_round = open_round(world)
    partner = world.partners_1[0]

    with pytest.raises(DomainError, match="whole number from 0 to 10"):
        services.answer(partner, trust_round, dict.fromkeys(TrustTarget, 11), "")
    with pytest.raises(DomainError, match="Give at least one score"):
        services.answer(partner, trust_round, {}, "   ")
    with pytest.raises(NotPermitted, match="Only members of the leadership group"):
        services.answer(world.ics_reader, trust_round, dict.fromkeys(TrustTarget, 5), "")

    assert counter_total() == 0
    assert services.response_count(trust_round) == 0
    assert not services.has_answered(partner, trust_round)


def test_results_wait_for_the_round_to_close(world):
    trust_round = open_round(world)
    with pytest.raises(DomainError, match="once the round has closed"):
        services.results(trust_round)
