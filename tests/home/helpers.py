"""A small area with an LMC officer, a PCN and two practices, and open votes in it."""

from __future__ import annotations

from datetime import timedelta

from portal.accounts.models import Role
from portal.database import utcnow
from portal.extensions import db
from portal.organisations.models import OrganisationKind
from portal.voting import services as voting_services
from portal.voting.models import BallotSecrecy, VoteKind
from tests.factories import make_area, make_organisation, make_user

RULES = {
    "weighting": {"scheme": "list_size"},
    "blocks": None,
    "cap": None,
    "quorum": {"members": None, "weight": None},
    "threshold": {"rule": "simple_majority"},
    "tie": "fails",
}


class Setting:
    def __init__(self) -> None:
        self.area = make_area()
        self.lmc = make_organisation(self.area, OrganisationKind.LMC, ods_code="LMC1")
        self.officer = make_user(self.lmc, Role.LMC_OFFICER)
        self.pcn = make_organisation(self.area, OrganisationKind.PCN, ods_code="U10001")
        self.practice = make_organisation(
            self.area, ods_code="A10001", name="HORSEFAIR PRACTICE", list_size=1000, pcn=self.pcn
        )
        self.other = make_organisation(self.area, ods_code="A10002", list_size=3000, pcn=self.pcn)
        self.partner = make_user(self.practice, Role.GP_PARTNER)
        self.other_partner = make_user(self.other, Role.GP_PARTNER)

    def open_vote(
        self, title: str, closes_in: timedelta, secrecy: BallotSecrecy = BallotSecrecy.OPEN
    ):
        now = utcnow()
        details = voting_services.VoteDetails(
            title=title,
            question="Should we?",
            body_markdown="",
            kind=VoteKind.MOTION,
            secrecy=secrecy,
            options=[],
            voting_kinds=["practice"],
            pcn_codes=None,
            opens_at=now - timedelta(minutes=5),
            closes_at=now + closes_in,
            rules=dict(RULES),
        )
        vote = voting_services.create_vote(self.officer, self.area, details)
        voting_services.open_vote(self.officer, vote, now)
        db.session.commit()
        return vote
