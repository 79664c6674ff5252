"""Demo trust pulse: three closed rounds and one open, answered by the demo people through
the real answering service, so every figure comes from counters as in real use.

Trust in the LMC is low in the first two rounds; after the second round's "you said, we did"
(the LMC starts a weekly meeting) it rises in the third.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from portal.accounts.models import User
from portal.extensions import db
from portal.organisations.models import Area
from portal.trust import services
from portal.trust.models import TrustRound, TrustTarget

# Each round: name, weeks before now it opened, the LMC's scores centred on, comments.
ROUNDS = [
    ("September 2026", 13, 4, ["Tell us what the LMC is doing before we read it in the paper."]),
    ("October 2026", 9, 4, ["Meet us in person, not only by email.", "Shorter emails."]),
    ("November 2026", 5, 8, ["The weekly meeting helps.", "Keep the Tuesday slot."]),
]
YOU_SAID = "Many of you said you hear from the LMC only by email, and too late."
WE_DID = (
    "From November the leadership group meets **every Tuesday at 12:30 for 30 minutes**, "
    "in person at Stafford or online, with minutes published within the week."
)
# The demo people who answer; partner.horsefair is left to answer the open round.
OPEN_ROUND_SKIPS = {"partner.horsefair@staffs-demo.example.org"}


def _scores(chooser: random.Random, lmc_centre: int) -> dict[TrustTarget, int]:
    scores = {target: min(10, max(0, round(chooser.gauss(6, 1.5)))) for target in TrustTarget}
    scores[TrustTarget.LMC] = min(10, max(0, round(chooser.gauss(lmc_centre, 1))))
    return scores


def load_demo_trust(area: Area, officer: User, people: list[User], now: datetime) -> None:
    chooser = random.Random(12)
    for index, (title, weeks_ago, lmc_centre, comments) in enumerate(ROUNDS):
        trust_round = services.open_round(officer, area, title)
        for number, person in enumerate(people):
            comment = comments[number] if number < len(comments) else ""
            services.answer(person, trust_round, _scores(chooser, lmc_centre), comment)
        services.close_round(officer, trust_round)
        trust_round.opened_at = now - timedelta(weeks=weeks_ago)
        trust_round.closed_at = trust_round.opened_at + timedelta(days=10)
        if index == 1:
            services.publish_response(officer, trust_round, YOU_SAID, WE_DID)
            trust_round.published_at = trust_round.closed_at + timedelta(days=2)
        db.session.flush()
    open_round: TrustRound = services.open_round(officer, area, "December 2026")
    open_round.opened_at = now - timedelta(days=3)
    for person in people:
        if person.email not in OPEN_ROUND_SKIPS:
            services.answer(person, open_round, _scores(chooser, 8), "")
    db.session.flush()
