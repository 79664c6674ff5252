"""A demo election for the demo area: two seats on the LMC committee, counted.

The loader runs the election's real services with the clock moved along: it sets the
election up, records nominations and ballots, then closes nominations and counts as the
scheduled task would. The count itself is the real one, by ``portal.elections.count``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from portal.accounts.models import Role, User
from portal.elections import ballots, closing, counting, nominations, setup
from portal.elections.models import CountingMethod, Election, ElectorateKind
from portal.organisations.models import Area

STATEMENTS = {
    "Dr Omar Shah": "I have been a partner at Horsefair for nine years. I will press the ICB "
    "to **fund** the work it moves into general practice.",
    "Dr Grace Hall": "As a PCN clinical director I know how stretched our teams are. I will "
    "report back to every practice after each committee meeting.",
}


def load_demo_election(
    area: Area, users: dict[str, User], officer: User, now: datetime
) -> Election:
    people = {user.name: user for user in users.values()}
    start = now - timedelta(days=21)
    election = setup.create_election(
        officer,
        area,
        setup.ElectionDetails(
            title="LMC committee: two GP seats",
            seats=2,
            method=CountingMethod.SCOTTISH,
            electorate_kind=ElectorateKind.PEOPLE,
            roles=[Role.GP_PARTNER, Role.SALARIED_GP],
            kinds=[],
            weighting="equal",
            band=None,
            pcn_codes=[],
            secret=True,
            nominations_close_at=start + timedelta(days=7),
            voting_opens_at=start + timedelta(days=7),
            voting_closes_at=start + timedelta(days=14),
        ),
        start,
    )
    elector = {e.user.name: e for e in election.electors if e.user is not None}
    nomination_ids = {}
    for candidate, nominator, seconder in (
        ("Dr Omar Shah", "Dr Harriet Hughes", "Dr Sam Mayfield"),
        ("Dr Grace Hall", "Dr Sam Mayfield", "Dr Harriet Hughes"),
        ("Dr Sam Mayfield", "Dr Grace Hall", "Dr Omar Shah"),
    ):
        moment = start + timedelta(days=1)
        nomination = nominations.nominate(
            people[nominator], election, elector[nominator], people[candidate], moment
        )
        nominations.second(people[seconder], nomination, elector[seconder], moment)
        nominations.accept(people[candidate], nomination, STATEMENTS.get(candidate, ""), moment)
        nomination_ids[candidate] = nomination.id
    closing.close_nominations(election, start + timedelta(days=7))
    for voter, ranking in (
        ("Dr Harriet Hughes", ["Dr Omar Shah", "Dr Grace Hall"]),
        ("Dr Omar Shah", ["Dr Omar Shah", "Dr Sam Mayfield", "Dr Grace Hall"]),
        ("Dr Grace Hall", ["Dr Grace Hall", "Dr Omar Shah"]),
        ("Dr Sam Mayfield", ["Dr Omar Shah", "Dr Sam Mayfield"]),
    ):
        ballots.cast(
            people[voter],
            election,
            elector[voter],
            [nomination_ids[name] for name in ranking],
            start + timedelta(days=8),
        )
    counting.count_election(election, start + timedelta(days=14))
    return election
