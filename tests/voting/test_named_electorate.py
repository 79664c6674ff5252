"""A vote may name its electorate (as an agreement's vote names its signatories): only those
organisations, of the vote's kinds and still open, are frozen into it at opening."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.accounts.models import Role
from portal.database import utcnow
from portal.errors import DomainError
from portal.organisations.models import OrganisationKind
from portal.voting import services
from portal.voting.models import BallotSecrecy, VoteKind
from tests.factories import make_area, make_organisation, make_user


def _details(organisation_ids):
    now = utcnow()
    return services.VoteDetails(
        title="Procedure version 2",
        question="Should the signatories adopt version 2?",
        body_markdown="",
        kind=VoteKind.MOTION,
        secrecy=BallotSecrecy.OPEN,
        options=[],
        voting_kinds=["practice"],
        pcn_codes=None,
        opens_at=now,
        closes_at=now + timedelta(days=1),
        rules={
            "weighting": {"scheme": "equal"},
            "threshold": {"rule": "simple_majority"},
            "tie": "fails",
        },
        organisation_ids=organisation_ids,
    )


def test_only_the_named_organisations_vote(db):
    area = make_area()
    named = make_organisation(area, name="Named Surgery")
    make_organisation(area, name="Other Surgery")
    pcn = make_organisation(area, OrganisationKind.PCN)
    lmc = make_organisation(area, OrganisationKind.LMC)
    officer = make_user(lmc, Role.LMC_OFFICER)
    # A PCN named for a vote of practices is not of the vote's kinds: it does not vote.
    vote = services.create_vote(officer, area, _details([named.id, pcn.id]))
    services.open_vote(officer, vote, utcnow())
    db.session.commit()
    assert [member.organisation_id for member in vote.electorate] == [named.id]
    assert vote.organisation_ids == [named.id, pcn.id]


def test_an_empty_named_electorate_is_refused(db):
    area = make_area()
    lmc = make_organisation(area, OrganisationKind.LMC)
    officer = make_user(lmc, Role.LMC_OFFICER)
    with pytest.raises(DomainError, match="Name at least one organisation"):
        services.create_vote(officer, area, _details([]))


def test_how_the_vote_is_decided_says_the_electorate_is_named(db):
    from portal.voting.published import how_decided_for

    area = make_area()
    named = make_organisation(area, name="Named Surgery")
    make_organisation(area, name="Other Surgery")
    lmc = make_organisation(area, OrganisationKind.LMC)
    officer = make_user(lmc, Role.LMC_OFFICER)
    vote = services.create_vote(officer, area, _details([named.id]))
    services.open_vote(officer, vote, utcnow())
    words = " ".join(text for _, text in how_decided_for(vote))
    assert "One ballot for each of GP practices named for this vote: 1 organisations" in words
