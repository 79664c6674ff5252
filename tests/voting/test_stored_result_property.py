"""Property: whatever the ballots, the result the portal stores on closing is exactly what an
independent recount of its stored ballot record gives, and the stored hash matches."""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.accounts.models import Role
from portal.database import utcnow
from portal.organisations.models import OrganisationKind
from portal.voting import casting, closing, services
from portal.voting import rules as counting
from portal.voting.models import BallotSecrecy, VoteKind
from tests.factories import make_area, make_organisation, make_user

_areas = itertools.count(1)

SCHEMES = [
    {"scheme": "equal"},
    {"scheme": "list_size"},
    {"scheme": "banded", "band": 2500},
    {"scheme": "hybrid", "equal_part": "1/2", "basis": "list_size"},
]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    list_sizes=st.lists(st.integers(min_value=500, max_value=40000), min_size=3, max_size=8),
    choices=st.data(),
    weighting=st.sampled_from(SCHEMES),
    cap=st.sampled_from([None, "1/2", "1/3"]),
    secret=st.booleans(),
)
def test_stored_result_equals_an_independent_recount(
    db, list_sizes, choices, weighting, cap, secret
):
    number = next(_areas)
    area = make_area(slug=f"property-{number}", name=f"Property area {number}")
    officer = make_user(make_organisation(area, OrganisationKind.LMC), Role.LMC_OFFICER)
    practices = [make_organisation(area, list_size=size) for size in list_sizes]
    partners = [make_user(practice, Role.GP_PARTNER) for practice in practices]
    if cap is not None and len(practices) * counting.to_fraction(cap, "cap") < 1:
        cap = None
    now = utcnow()
    vote = services.create_vote(
        officer,
        area,
        services.VoteDetails(
            title="Property",
            question="Property?",
            body_markdown="",
            kind=VoteKind.MOTION,
            secrecy=BallotSecrecy.SECRET if secret else BallotSecrecy.OPEN,
            options=[],
            voting_kinds=["practice"],
            pcn_codes=None,
            opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(days=1),
            rules={
                "weighting": weighting,
                "cap": cap,
                "quorum": {"members": "1/3", "weight": None},
                "threshold": {"rule": "simple_majority"},
                "tie": "fails",
            },
        ),
    )
    services.open_vote(officer, vote, now)
    cast: dict[str, str] = {}
    for practice, partner in zip(practices, partners, strict=True):
        choice = choices.draw(st.sampled_from([None, "for", "against", "abstain"]))
        if choice is not None:
            casting.cast_ballot(partner, vote, practice, choice, utcnow())
            cast[practice.ods_code] = choice
    vote.opens_at = now - timedelta(days=2)
    vote.closes_at = utcnow() - timedelta(seconds=1)
    closing.close_vote(vote, utcnow())
    db.session.commit()

    independent = counting.recount(
        {
            "format": counting.FORMAT,
            "vote": {"title": "Property", "kind": "motion", "options": services.MOTION_OPTIONS},
            "rules": vote.rules,
            "electorate": [
                {"id": p.ods_code, "kind": "practice", "list_size": p.list_size} for p in practices
            ],
            "ballots": [{"voter": code, "choice": choice} for code, choice in cast.items()],
        }
    )
    if secret:
        # The stored result (shares under pseudonyms) is the cast count. The salted @2 record
        # is kept in the clear only when nobody can be picked out in it; it then recounts to
        # the same result, with the real codes.
        assert len(vote.ballot_record_sha256) == 64
        if vote.ballot_record is not None:
            assert counting.recount(json.loads(vote.ballot_record)) == independent
            assert (
                hashlib.sha256(vote.ballot_record.encode()).hexdigest() == vote.ballot_record_sha256
            )
        assert {k: v for k, v in vote.result.items() if k != "shares"} == {
            k: v for k, v in independent.items() if k != "shares"
        }
        assert sorted(vote.result["shares"].values()) == sorted(independent["shares"].values())
        return
    assert vote.result == independent
    stored_record = json.loads(vote.ballot_record)
    assert counting.recount(stored_record) == vote.result
    assert hashlib.sha256(vote.ballot_record.encode()).hexdigest() == vote.ballot_record_sha256
    assert vote.ballot_record.encode() == counting.canonical_json(stored_record)
