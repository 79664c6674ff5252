"""A demo statement: the group's position on the ICB's enhanced access hubs, published from the
demo's closed vote "Enhanced access from PCN hubs" (``portal.voting.demo``), with the demo ICS
reader's response beside it.

Only an agreed position (one whose vote passed) can be published. Should that demo vote not
have passed, the loader runs a small vote of its own through the voting services (the LMC votes
for) and publishes from that instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import sqlalchemy as sa

from portal.accounts.models import Role, User
from portal.extensions import db
from portal.organisations.models import Area
from portal.positions.models import Position, PositionState, Proposal, Revision, Tier
from portal.statements import services
from portal.statements.models import SignatoryChoice, Statement
from portal.voting import casting as voting_casting
from portal.voting import closing as voting_closing
from portal.voting import services as voting
from portal.voting.models import BallotSecrecy, Vote, VoteKind, VoteState

DEMO_VOTE_TITLE = "Enhanced access from PCN hubs"
STATEMENT_TITLE = "Enhanced access from PCN hubs: general practice's position"
ICS_RESPONSE = """Thank you. The ICB's primary care commissioning committee accepted both
conditions at its last meeting:

* practices may opt out of staffing the hub, with three months' notice;
* the enhanced access funding follows the registered list, paid monthly to each PCN."""


def _person(users_by_email: Mapping[str, User], area: Area, role: Role) -> User | None:
    for user in users_by_email.values():
        if any(m.role is role and m.organisation.area_id == area.id for m in user.memberships):
            return user
    return None


def _demo_vote(area: Area) -> Vote | None:
    return db.session.execute(
        sa.select(Vote).where(
            Vote.area_id == area.id,
            Vote.title == DEMO_VOTE_TITLE,
            Vote.state == VoteState.CLOSED,
        )
    ).scalar_one_or_none()


def _own_passed_vote(area: Area, officer: User, body: str, now: datetime) -> Vote:
    """A motion the LMC alone votes on, cast for by the demo officer and counted for real."""
    vote = voting.create_vote(
        officer,
        area,
        voting.VoteDetails(
            title=DEMO_VOTE_TITLE,
            question="Should the LMC support the ICB's proposal for enhanced access hubs?",
            body_markdown=body,
            kind=VoteKind.MOTION,
            secrecy=BallotSecrecy.OPEN,
            options=[],
            voting_kinds=["lmc"],
            pcn_codes=None,
            opens_at=now - timedelta(days=3),
            closes_at=now + timedelta(days=1),
            rules={
                "weighting": {"scheme": "equal"},
                "blocks": None,
                "cap": None,
                "quorum": {"members": "1/2", "weight": None},
                "threshold": {"rule": "simple_majority"},
                "tie": "fails",
            },
        ),
    )
    voting.open_vote(officer, vote, now - timedelta(days=3))
    for member in vote.electorate:
        voting_casting.cast_ballot(
            officer, vote, member.organisation, "for", now - timedelta(days=2)
        )
    vote.closes_at = now - timedelta(minutes=1)
    db.session.flush()
    voting_closing.close_vote(vote, now, officer)
    return vote


def load_demo_statement(
    area: Area, users_by_email: Mapping[str, User], now: datetime
) -> Statement | None:
    """Publish the demo statement (public, signed by the organisations that voted for) and
    record the ICS's response. Flush, never commit. None when the area has no LMC officer."""
    officer = _person(users_by_email, area, Role.LMC_OFFICER)
    if officer is None:
        return None
    vote = _demo_vote(area)
    body = vote.body_markdown if vote is not None else ""
    if not services.vote_passed(vote):
        vote = _own_passed_vote(area, officer, body, now)
    assert vote is not None
    proposal = Proposal(
        area_id=area.id,
        title="Enhanced access from one hub per PCN",
        ics_reference="SSOT-PC-2026-07",
        owning_body="NHS Staffordshire and Stoke-on-Trent ICB",
        summary_markdown="One enhanced access hub per PCN, evenings and Saturdays.",
        source_links=[],
        created_by_id=officer.id,
        created_at=now - timedelta(days=30),
    )
    position = Position(
        area_id=area.id,
        proposal=proposal,
        tier=Tier.ICS,
        state=PositionState.AGREED,
        lead_id=officer.id,
        vote_id=vote.id,
        voted_revision_number=1,
        created_by_id=officer.id,
        created_at=now - timedelta(days=21),
        revisions=[
            Revision(
                number=1,
                title=STATEMENT_TITLE,
                body_markdown=vote.body_markdown,
                author_id=officer.id,
                created_at=now - timedelta(days=21),
            )
        ],
    )
    db.session.add_all([proposal, position])
    db.session.flush()
    signatories = (
        SignatoryChoice.VOTED_FOR
        if vote.secrecy is BallotSecrecy.OPEN
        else SignatoryChoice.ENDORSERS
    )
    statement = services.publish(officer, position, Tier.PUBLIC, signatories, now)
    reader = _person(users_by_email, area, Role.ICS_READER)
    if reader is not None:
        services.record_response(reader, statement, ICS_RESPONSE, now)
    return statement
