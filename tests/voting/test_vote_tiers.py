"""Tiers hold through votes: a vote on a draft takes the draft's tier.

The table is roles by tiers by surfaces: for each reader and each tier, every surface of a
closed vote on a draft of that tier (its page, its entry in the list, its results, record,
CSV, a receipt, a search hit) is either visible or not, and the whole row is compared at once.
Emails of any tier but ``public`` carry no title or text; an electorate reaching beyond the
tier's audience is refused.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.database import utcnow
from portal.errors import DomainError
from portal.organisations.models import OrganisationKind
from portal.outbox import OutboxMessage
from portal.positions.models import Tier
from portal.voting import casting, closing, services
from portal.voting.models import BallotSecrecy, VoteKind
from tests.conftest import csrf_token_from
from tests.factories import Org, Person, make_area, make_organisation, make_user, make_world

TITLE = "Zephyrine levy"  # a word found nowhere else, so a page holding it shows the vote
RULES = {
    "weighting": {"scheme": "equal"},
    "blocks": None,
    "cap": None,
    "quorum": {"members": None, "weight": None},
    "threshold": {"rule": "simple_majority"},
    "tie": "fails",
}
HOME = {
    Role.GP_PARTNER: OrganisationKind.PRACTICE,
    Role.PRACTICE_MANAGER: OrganisationKind.PRACTICE,
    Role.PCN_CLINICAL_DIRECTOR: OrganisationKind.PCN,
    Role.FEDERATION_DIRECTOR: OrganisationKind.FEDERATION,
    Role.LMC_OFFICER: OrganisationKind.LMC,
    Role.AREA_ADMIN: OrganisationKind.LMC,
    Role.ICS_READER: OrganisationKind.ICS,
}
SURFACES = ("page", "list", "results", "record", "csv", "receipt", "search")
OFFICERS = {Role.LMC_OFFICER, Role.AREA_ADMIN}
GROUP = set(HOME) - {Role.ICS_READER}


def _audience(tier: Tier) -> set[Role]:
    # A vote is the group's business: ICS readers never see one. An lmc-tier draft's vote is
    # for the officers alone.
    return OFFICERS if tier is Tier.LMC else GROUP


def _closed_vote_in_tier(tier: Tier):
    world = make_world(
        [Org(kind.name, kind) for kind in set(HOME.values())],
        [Person(role, kind.name, role) for role, kind in HOME.items()],
    )
    area = world.area
    organisations = {kind: world.organisations[kind.name] for kind in set(HOME.values())}
    readers = {role: world.people[role] for role in HOME}
    kinds = ["lmc"] if tier is Tier.LMC else ["lmc", "practice"]
    now = utcnow()
    details = services.VoteDetails(
        title=TITLE,
        question=f"Should we agree the {TITLE}?",
        body_markdown="The draft's full text.",
        kind=VoteKind.MOTION,
        secrecy=BallotSecrecy.OPEN,
        options=[],
        voting_kinds=kinds,
        pcn_codes=None,
        opens_at=now - timedelta(minutes=5),
        closes_at=now + timedelta(days=1),
        rules=dict(RULES),
        tier=tier.value,
    )
    officer = readers[Role.LMC_OFFICER]
    vote = services.create_vote(officer, area, details, authorised=True)
    services.open_vote(officer, vote, now, authorised=True)
    _, code = casting.cast_ballot(officer, vote, organisations[OrganisationKind.LMC], "for", now)
    vote.opens_at = now - timedelta(days=2)
    vote.closes_at = now - timedelta(seconds=1)
    closing.close_vote(vote, utcnow())
    from portal.extensions import db

    db.session.commit()
    return area, readers, vote, code


def _seen(client, area, vote, code) -> dict[str, bool]:
    base = f"/areas/{area.slug}/votes"
    token = csrf_token_from(client.get("/receipts").text)
    receipt = client.post("/receipts", data={"code": code, "csrf_token": token})
    return {
        "page": client.get(f"{base}/{vote.id}").status_code == 200,
        "list": TITLE in client.get(f"{base}/").text,
        "results": client.get(f"{base}/{vote.id}/results").status_code == 200,
        "record": client.get(f"{base}/{vote.id}/record.json").status_code == 200,
        "csv": client.get(f"{base}/{vote.id}/ballots.csv").status_code == 200,
        "receipt": receipt.status_code == 200 and TITLE in receipt.text,
        "search": TITLE in client.get(f"/areas/{area.slug}/search/?q=Zephyrine").text,
    }


@pytest.mark.parametrize("tier", [Tier.LMC, Tier.GROUP, Tier.ICS, Tier.PUBLIC], ids=str)
@pytest.mark.parametrize("role", list(HOME), ids=lambda r: r.value)
def test_roles_by_tiers_by_surfaces(db, client, login, tier, role):
    area, readers, vote, code = _closed_vote_in_tier(tier)
    login(readers[role])
    expected = role in _audience(tier)
    assert _seen(client, area, vote, code) == dict.fromkeys(SURFACES, expected)


@pytest.mark.parametrize("tier", [Tier.LMC, Tier.GROUP, Tier.ICS])
def test_emails_of_a_tier_other_than_public_carry_no_title_or_text(db, tier):
    _closed_vote_in_tier(tier)
    messages = db.session.execute(sa.select(OutboxMessage)).scalars().all()
    assert messages, "the vote's notices were queued"
    for message in messages:
        assert TITLE not in message.subject + message.body
        assert "full text" not in message.body
        assert "/votes/" in message.body


def test_a_public_tier_vote_is_emailed_with_its_title(db):
    _closed_vote_in_tier(Tier.PUBLIC)
    subjects = db.session.execute(sa.select(OutboxMessage.subject)).scalars().all()
    assert any(TITLE in subject for subject in subjects)


def test_an_electorate_beyond_the_tier_is_refused(db):
    area = make_area()
    officer = make_user(make_organisation(area, OrganisationKind.LMC), Role.LMC_OFFICER)
    now = utcnow()
    details = services.VoteDetails(
        title=TITLE,
        question="Q?",
        body_markdown="",
        kind=VoteKind.MOTION,
        secrecy=BallotSecrecy.OPEN,
        options=[],
        voting_kinds=["practice", "lmc"],
        pcn_codes=None,
        opens_at=now,
        closes_at=now + timedelta(days=1),
        rules=dict(RULES),
        tier=Tier.LMC.value,
    )
    with pytest.raises(DomainError, match=r"LMC officers only.*only the LMC can vote"):
        services.create_vote(officer, area, details, authorised=True)
