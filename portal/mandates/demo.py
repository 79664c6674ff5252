"""The demo mandate: a motion, passed by the practices, grants the LMC's officer and South Stoke
Central PCN's clinical director a mandate to agree the enhanced access model with the ICB,
within stated bounds, until three months ahead; one commitment is recorded under it.

The ballots are recorded directly (the demo has people for only a few practices); the count,
the grant and the commitment go through the real services.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from portal.accounts.models import User
from portal.extensions import db
from portal.mandates import services
from portal.mandates.models import Mandate
from portal.organisations.models import Area
from portal.tiers import Tier
from portal.voting import closing
from portal.voting import services as voting
from portal.voting.models import Ballot, BallotSecrecy, VoteKind

MOTION_TEXT = """The ICB will agree its enhanced access model for 2027-28 at its primary care
commissioning committee. This motion mandates two of our leaders to agree it on behalf of
practices, within the bounds below, and to report back every commitment they make."""
MAY_AGREE = """One enhanced access hub per PCN, open 18:30 to 20:00 on weekdays and 09:00 to
17:00 on Saturdays, staffed from the PCN's ARRS roles and sessional GPs, from 1 April 2027."""
MAY_NOT_AGREE = """Any change to practices' core hours; any hub funded below the national
enhanced access rate; any duty on a practice to staff the hub with its own GPs."""
COME_BACK = """Before agreeing anything that would cost a practice more than the funding that
follows its patients, or if the ICB proposes fewer hubs than PCNs."""
RULES = {
    "weighting": {"scheme": "list_size"},
    "blocks": None,
    "cap": "1/20",
    "quorum": {"members": "1/2", "weight": None},
    "threshold": {"rule": "simple_majority"},
    "tie": "fails",
}


def _membership(user: User) -> Any:
    return user.memberships[0]


def load_demo_mandates(area: Area, users: dict[str, User], now: datetime) -> Mandate:
    officer = users["lmc.officer"]
    director = users["cd.southstoke"]
    motion = voting.create_vote(
        officer,
        area,
        voting.VoteDetails(
            title="Mandate to agree the enhanced access model with the ICB",
            question="Should the group mandate its two leaders to agree the enhanced access "
            "model with the ICB, within these bounds?",
            body_markdown=MOTION_TEXT,
            kind=VoteKind.MOTION,
            secrecy=BallotSecrecy.OPEN,
            options=[],
            voting_kinds=["practice"],
            pcn_codes=None,
            opens_at=now - timedelta(days=10),
            closes_at=now + timedelta(days=1),
            rules=dict(RULES),
        ),
    )
    mandate = services.attach(
        officer,
        motion,
        services.Terms(
            title="The enhanced access model with the ICB",
            proposal=None,
            may_agree=MAY_AGREE,
            may_not_agree=MAY_NOT_AGREE,
            come_back_when=COME_BACK,
            ends_on=services.london_day(now + timedelta(days=91)),
            tier=Tier.ICS,
            holders=[_membership(officer), _membership(director)],
        ),
    )
    voting.open_vote(officer, motion, now - timedelta(days=10))
    chooser = random.Random(2027)
    for member in motion.electorate:
        if chooser.random() < 0.85:
            db.session.add(
                Ballot(
                    vote_id=motion.id,
                    organisation_id=member.organisation_id,
                    choice=chooser.choices(["for", "against", "abstain"], weights=[8, 2, 1])[0],
                    cast_at=now - timedelta(days=chooser.randint(2, 9)),
                )
            )
    motion.closes_at = now - timedelta(hours=1)
    db.session.flush()
    # Voting tells this domain the motion passed (vote_closed), which puts the mandate in force.
    closing.close_vote(motion, now)
    services.record_commitment(
        director,
        mandate,
        services.CommitmentDetails(
            made_on=services.london_day(now),
            forum="ICB primary care commissioning committee",
            with_whom="The ICB's director of primary care and the committee",
            what_agreed="Hubs in every PCN from 1 April 2027, 18:30 to 20:00 on weekdays and "
            "09:00 to 17:00 on Saturdays, at the national enhanced access rate; practices "
            "keep the right not to staff the hub with their own GPs.",
            needs_ratification=False,
        ),
        now,
    )
    return mandate
