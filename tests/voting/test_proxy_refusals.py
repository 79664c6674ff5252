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
from portal.organisations.models import OrganisationKind
from portal.voting import proxies, services
from portal.voting.models import BallotSecrecy, Proxy, VoteKind
from tests.factories import make_area, make_organisation, make_user

RULES = {
    "weighting": {"scheme": "equal"},
    "blocks": None,
    "cap": None,
    "quorum": {"members": None, "weight": None},
    "threshold": {"rule": "simple_majority"},
    "tie": "fails",
}


class OpenVote:
    """An open motion of three practices; a PCN; a practice of another area."""

    def __init__(self) -> None:
        area = make_area()
        lmc = make_organisation(area, OrganisationKind.LMC, ods_code="LMC1")
        officer = make_user(lmc, Role.LMC_OFFICER)
        self.pcn = make_organisation(area, OrganisationKind.PCN, ods_code="U10001")
        self.hill, self.vale, self.brook = (
            make_organisation(area, ods_code=code, name=name, list_size=5000, pcn=self.pcn)
            for code, name in (
                ("A10001", "Hill Surgery"),
                ("A10002", "Vale Practice"),
                ("A10003", "Brook Surgery"),
            )
        )
        self.hill_partner = make_user(self.hill, Role.GP_PARTNER)
        self.hill_manager = make_user(self.hill, Role.PRACTICE_MANAGER)
        self.vale_partner = make_user(self.vale, Role.GP_PARTNER)
        now = utcnow()
        self.vote = services.create_vote(
            officer,
            area,
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
        services.open_vote(officer, self.vote, now)
        # Joined the area after the electorate was frozen: it does not vote in this vote.
        self.newcomer = make_organisation(area, ods_code="A10009", name="New Surgery")
        far_area = make_area(slug="far", name="Far ICB")
        self.far = make_organisation(far_area, ods_code="B20001", name="Far Surgery")


@pytest.fixture
def setting(db) -> OpenVote:
    return OpenVote()


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
