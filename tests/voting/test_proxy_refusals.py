"""Naming and revoking a proxy: only a partner of the practice names one, only for another
practice of the area that votes in this vote, with one of the vote's options as its
instruction; a revoked proxy cannot be revoked again. Each refusal names nobody."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.database import utcnow
from portal.errors import Conflict, DomainError, NotPermitted
from portal.voting import proxies, services
from portal.voting.models import BallotSecrecy, Proxy, VoteKind
from tests.factories import Org, Person, World, lmc, make_world, pcn

RULES = {
    "weighting": {"scheme": "equal"},
    "blocks": None,
    "cap": None,
    "quorum": {"members": None, "weight": None},
    "threshold": {"rule": "simple_majority"},
    "tie": "fails",
}


# An open motion of three practices; a PCN; a practice of another area.
PROXY_WORLD = {
    "other_areas": [("far_area", "far", "Far ICB")],
    "organisations": [
        lmc(ods_code="LMC1"),
        pcn("pcn", ods_code="U10001"),
        *(
            Org(key, ods_code=code, name=name, list_size=5000, pcn="pcn")
            for key, code, name in (
                ("hill", "A10001", "Hill Surgery"),
                ("vale", "A10002", "Vale Practice"),
                ("brook", "A10003", "Brook Surgery"),
            )
        ),
        Org("far", ods_code="B20001", name="Far Surgery", area="far_area"),
    ],
    "people": [
        Person("officer", "lmc", Role.LMC_OFFICER),
        Person("hill_partner", "hill", Role.GP_PARTNER),
        Person("hill_manager", "hill", Role.PRACTICE_MANAGER),
        Person("vale_partner", "vale", Role.GP_PARTNER),
    ],
}


@pytest.fixture
def setting(db) -> World:
    """``PROXY_WORLD`` with its motion open (``setting.vote``), and then a practice that joined
    the area after the electorate was frozen (``setting.newcomer``): it does not vote in it."""
    world = make_world(**PROXY_WORLD)
    now = utcnow()
    world.rows["vote"] = vote = services.create_vote(
        world.officer,
        world.area,
        services.VoteDetails(
            title="Enhanced access model",
            question="Should the LMC support the enhanced access model?",
            body_markdown="",
            kind=VoteKind.MOTION,
            secrecy=BallotSecrecy.OPEN,
            options=[],
            voting_kinds=["practice"],
            pcn_codes=None,
            opens_at=now - timedelta(minutes=5),
            closes_at=now + timedelta(days=3),
            rules=dict(RULES),
        ),
    )
    services.open_vote(world.officer, vote, now)
    return world.add(organisations=[Org("newcomer", ods_code="A10009", name="New Surgery")])


def _proxies(db) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Proxy)).scalar_one()


def test_a_proxy_is_one_practice_voting_for_another(db, setting):
    with pytest.raises(DomainError, match="one practice voting for another practice"):
        proxies.name_proxy(
            setting.hill_partner, setting.vote, setting.hill, setting.pcn, None, utcnow()
        )
    assert _proxies(db) == 0


def test_only_a_partner_of_the_practice_names_its_proxy(db, setting):
    for someone in (setting.hill_manager, setting.vale_partner):
        with pytest.raises(NotPermitted, match="Only a GP partner of Hill Surgery"):
            proxies.name_proxy(someone, setting.vote, setting.hill, setting.brook, None, utcnow())
    assert _proxies(db) == 0


@pytest.mark.parametrize(
    ("holder", "instruction", "message"),
    [
        ("hill", None, "Choose another practice of this area as the proxy"),
        ("far", None, "Choose another practice of this area as the proxy"),
        ("brook", "maybe", "Choose an instruction from the vote's options, or none"),
        ("newcomer", None, "New Surgery does not vote in this vote, so cannot be a proxy"),
    ],
)
def test_the_holder_and_instruction_must_fit_the_vote(db, setting, holder, instruction, message):
    with pytest.raises(DomainError, match=message):
        proxies.name_proxy(
            setting.hill_partner,
            setting.vote,
            setting.hill,
            getattr(setting, holder),
            instruction,
            utcnow(),
        )
    assert _proxies(db) == 0


def test_only_its_practice_revokes_a_proxy_and_only_once(db, setting):
    proxy = proxies.name_proxy(
        setting.hill_partner, setting.vote, setting.hill, setting.brook, "for", utcnow()
    )

    with pytest.raises(NotPermitted, match="Only a GP partner of Hill Surgery can revoke"):
        proxies.revoke_proxy(setting.vale_partner, proxy, utcnow())
    assert proxy.revoked_at is None

    proxies.revoke_proxy(setting.hill_partner, proxy, utcnow())
    revoked_at = proxy.revoked_at
    with pytest.raises(Conflict, match="already been revoked"):
        proxies.revoke_proxy(setting.hill_partner, proxy, utcnow())
    assert proxy.revoked_at == revoked_at
