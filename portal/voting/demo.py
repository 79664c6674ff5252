"""Demo votes for the demo area: one closed with its result, one closed secret ballot with
what it publishes, and one open to cast in.

The closed vote's ballots are recorded directly by this loader (the demo has people for only
a few practices); the count itself is the real one, by ``portal.voting.rules``.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from portal.accounts.models import User
from portal.extensions import db
from portal.organisations.models import Area
from portal.voting import closing, scrutiny, services
from portal.voting.models import Ballot, BallotSecrecy, Vote, VoteKind

CLOSED_VOTE_TEXT = """The ICB proposes to deliver enhanced access from one hub per PCN, open
18:30 to 20:00 on weekdays and 09:00 to 17:00 on Saturdays, staffed from the PCN's ARRS
roles and sessional GPs.

The LMC recommends support on condition that practices keep the right to opt out of staffing
the hub and that the funding follows the patients."""

HUBS_VOTE_TEXT = """The ICB asks whether general practice would host its new respiratory
hubs. The LMC put it to a secret ballot, so no practice need fear for its contract."""
# Who cast the closed secret ballot, and how (positions in the electorate of each kind):
# the demo keeps them here because the portal itself forgets them when the ballot closes.
SECRET_BALLOTS = (
    ("lmc", 0, "for"),
    ("federation", 0, "against"),
    ("pcn", 0, "abstain"),
    ("pcn", 1, "for"),
    ("practice", 0, "for"),
    ("practice", 1, "against"),
    ("practice", 2, "for"),
    ("practice", 3, "for"),
)
DEMO_SCRUTINEER_PASSPHRASE = "demo scrutineer passphrase"  # noqa: S105  (the demo's, in the README)
SECRET_RULES = {
    "weighting": {"scheme": "list_size"},
    "blocks": {"practice": "1/2", "pcn": "1/4", "federation": "1/8", "lmc": "1/8"},
    "cap": None,
    "quorum": {"members": None, "weight": None},
    "threshold": {"rule": "simple_majority"},
    "tie": "fails",
}

OPEN_VOTE_TEXT = """The ICB's draft estates strategy asks general practice which of three
options it prefers for the next capital round. Read the [full consultation](https://www.england.nhs.uk/)
before you vote."""


def load_demo_votes(area: Area, officer: User, now: datetime) -> list[Vote]:
    closed = services.create_vote(
        officer,
        area,
        services.VoteDetails(
            title="Enhanced access from PCN hubs",
            question="Should the LMC support the ICB's proposal for enhanced access hubs?",
            body_markdown=CLOSED_VOTE_TEXT,
            kind=VoteKind.MOTION,
            secrecy=BallotSecrecy.OPEN,
            options=[],
            voting_kinds=["practice"],
            pcn_codes=None,
            opens_at=now - timedelta(days=14),
            closes_at=now + timedelta(days=1),
            rules={
                "weighting": {"scheme": "list_size"},
                "blocks": None,
                "cap": "1/20",
                "quorum": {"members": "1/2", "weight": "1/2"},
                "threshold": {"rule": "simple_majority"},
                "tie": "fails",
            },
        ),
    )
    services.open_vote(officer, closed, now - timedelta(days=14))
    chooser = random.Random(2026)
    for member in closed.electorate:
        if chooser.random() < 0.8:
            choice = chooser.choices(["for", "against", "abstain"], weights=[6, 3, 1])[0]
            db.session.add(
                Ballot(
                    vote_id=closed.id,
                    organisation_id=member.organisation_id,
                    choice=choice,
                    cast_at=now - timedelta(days=chooser.randint(2, 13)),
                )
            )
    closed.closes_at = now - timedelta(days=1)
    db.session.flush()
    closing.close_vote(closed, now)

    secret = services.create_vote(
        officer,
        area,
        services.VoteDetails(
            title="Respiratory hubs in practices",
            question="Should practices host the ICB's respiratory hubs?",
            body_markdown=HUBS_VOTE_TEXT,
            kind=VoteKind.MOTION,
            secrecy=BallotSecrecy.SECRET,
            options=[],
            voting_kinds=["practice", "pcn", "federation", "lmc"],
            pcn_codes=None,
            opens_at=now - timedelta(days=10),
            closes_at=now + timedelta(days=1),
            rules=SECRET_RULES,
        ),
    )
    # Its full record is sealed to a scrutineer, so the demo shows who may open it, and how.
    scrutiny.appoint(officer, secret, [officer])
    scrutiny.set_passphrase(
        officer, secret, DEMO_SCRUTINEER_PASSPHRASE, DEMO_SCRUTINEER_PASSPHRASE, now
    )
    services.open_vote(officer, secret, now - timedelta(days=10))
    for kind, position, choice in SECRET_BALLOTS:
        member = [m for m in secret.electorate if m.kind == kind][position]
        db.session.add(
            Ballot(
                vote_id=secret.id,
                organisation_id=member.organisation_id,
                choice=choice,
                cast_at=now - timedelta(days=3),
            )
        )
    secret.closes_at = now - timedelta(hours=2)
    db.session.flush()
    closing.close_vote(secret, now)

    open_vote = services.create_vote(
        officer,
        area,
        services.VoteDetails(
            title="Estates strategy: which option do we back?",
            question="Which option of the ICB's estates strategy should the LMC back?",
            body_markdown=OPEN_VOTE_TEXT,
            kind=VoteKind.CHOICE,
            secrecy=BallotSecrecy.SECRET,
            options=[
                "Option A: refurbish existing premises",
                "Option B: new health and wellbeing centres",
                "Option C: mixed, decided PCN by PCN",
            ],
            voting_kinds=["practice", "pcn"],
            pcn_codes=None,
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=5),
            rules={
                "weighting": {"scheme": "banded", "band": 5000},
                "blocks": {"practice": "3/4", "pcn": "1/4"},
                "cap": None,
                "quorum": {"members": "1/3", "weight": None},
                "threshold": {"rule": "plurality"},
                "tie": "fails",
            },
        ),
    )
    services.open_vote(officer, open_vote, now)
    return [closed, secret, open_vote]
