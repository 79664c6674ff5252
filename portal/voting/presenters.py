"""What the vote and results pages display, worked out for the person looking: the
organisations whose ballot they cast and where each ballot stands, the proxies and conflicts
they may still name or declare, each member's share, and the results chart.

Nothing here writes, and nothing shows how a vote is going before it closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from flask import current_app, g
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal import figures
from portal.database import utcnow
from portal.extensions import db
from portal.http import acting_user
from portal.names import display_name
from portal.organisations.models import Area, Organisation, OrganisationKind
from portal.times import london_datetime
from portal.voting import casting, guards, proxies, public, reports
from portal.voting.models import (
    Ballot,
    BallotSecrecy,
    ConflictDeclaration,
    ElectorateMember,
    Interest,
    Proxy,
    Vote,
    VoteKind,
    VoteState,
)
from portal.voting.permissions import (
    CASTING_ROLE,
    can_download_record,
    can_manage_votes,
    can_see_vote,
    can_see_who_voted_how,
    casts_for,
)
from portal.voting.published import how_decided_for, result_wording, shares_for_people

OUTCOMES = {
    "passed": ("Passed", "green"),
    "rejected": ("Rejected", "red"),
    "inquorate": ("Inquorate", "orange"),
    "elected": ("Elected", "green"),
    "no_winner": ("No winner", "orange"),
}


STATES = {
    VoteState.DRAFT: ("Draft", "grey"),
    VoteState.OPEN: ("Open", "green"),
    VoteState.CLOSED: ("Closed", "blue"),
    VoteState.CANCELLED: ("Cancelled", "grey"),
}

# Past its closing time, a vote takes no more ballots; it has a result once the worker counts it.
BEING_COUNTED = ("Closed, being counted", "blue")


def being_counted(vote: Vote, now: datetime) -> bool:
    return vote.state is VoteState.OPEN and now >= vote.closes_at


def state_label(vote: Vote, now: datetime) -> tuple[str, str]:
    """The vote's state as shown, with its tag colour."""
    return BEING_COUNTED if being_counted(vote, now) else STATES[vote.state]


CLOSED_MESSAGE = "This vote has closed: no more ballots can be cast or changed."


def share_text(share: Fraction | None) -> str:
    """An organisation's share of the weight for people (``portal.figures``): one decimal,
    more only where a share it holds would otherwise read as none."""
    if share is None:
        return "Set when the vote opens"
    return figures.share_held(share)


def option_label(vote: Vote, option: str) -> str:
    return option.capitalize() if vote.kind is VoteKind.MOTION else option


def own_organisations() -> list[Organisation]:
    """The organisations of this area the user belongs to, in any role."""
    found = {
        membership.organisation.id: membership.organisation
        for membership in acting_user().memberships
        if membership.organisation.area_id == g.area.id
    }
    return sorted(found.values(), key=lambda organisation: organisation.name)


def casting_organisations() -> list[Organisation]:
    """The organisations of this area whose own ballot the user casts."""
    return [
        organisation
        for organisation in own_organisations()
        if CASTING_ROLE.get(organisation.kind) and casts_for(current_user, organisation)
    ]


def member_shares(vote: Vote) -> dict[int, Fraction | None]:
    """Each member's share of the weight, by organisation id (empty before the vote opens)."""
    if not vote.electorate:
        return {}
    return {row.member.organisation_id: row.share for row in reports.weight_table(vote)}


@dataclass(frozen=True)
class CastingCard:
    """An organisation whose ballot the user may cast, and where its ballot stands."""

    organisation: Organisation
    member: ElectorateMember
    share: Fraction | None
    has_voted: bool
    proxy: Proxy | None
    blocked: str | None


def why_blocked(
    vote: Vote, member: ElectorateMember, ballot: Ballot | None, proxy: Proxy | None
) -> str | None:
    """Why a ballot cannot be cast now, if it cannot (the service says so again when cast)."""
    now = utcnow()
    if vote.state is VoteState.CLOSED or now >= vote.closes_at:
        return CLOSED_MESSAGE
    if vote.state is not VoteState.OPEN or now < vote.opens_at:
        return f"Voting opens on {london_datetime(vote.opens_at)}."
    if member.recused:
        return f"{display_name(member.name)} has been recused from this vote."
    if proxy is not None and ballot is not None and ballot.proxy_id is None:
        return f"{display_name(member.name)} has cast its own ballot, which overrides the proxy."
    return None


def casting_cards(vote: Vote, shares: dict[int, Fraction | None]) -> list[CastingCard]:
    user = acting_user()
    own = casting_organisations()
    cards = []
    for organisation in own:
        member = guards.member_for(vote, organisation)
        if member is None:
            continue
        ballot = casting.ballot_of(vote, organisation)
        cards.append(
            CastingCard(
                organisation,
                member,
                shares.get(organisation.id),
                ballot is not None,
                None,
                why_blocked(vote, member, ballot, None),
            )
        )
    own_ids = {organisation.id for organisation in own}
    held = db.session.execute(
        sa.select(Proxy)
        .where(Proxy.vote_id == vote.id, Proxy.holder_id.in_(own_ids), Proxy.revoked_at.is_(None))
        .order_by(Proxy.id)
    ).scalars()
    for candidate in held:
        if candidate.grantor_id in own_ids:
            continue
        proxy = proxies.proxy_held_by(user, vote, candidate.grantor)
        member = guards.member_for(vote, candidate.grantor)
        if proxy is None or member is None:
            continue
        ballot = casting.ballot_of(vote, candidate.grantor)
        cards.append(
            CastingCard(
                candidate.grantor,
                member,
                shares.get(candidate.grantor_id),
                ballot is not None,
                proxy,
                why_blocked(vote, member, ballot, proxy),
            )
        )
    return cards


def active_proxy(vote: Vote, grantor: Organisation) -> Proxy | None:
    return db.session.execute(
        sa.select(Proxy).where(
            Proxy.vote_id == vote.id, Proxy.grantor_id == grantor.id, Proxy.revoked_at.is_(None)
        )
    ).scalar_one_or_none()


def accepting_changes(vote: Vote) -> bool:
    """Whether proxies and conflicts may still be named, declared or ruled on."""
    return vote.state in (VoteState.DRAFT, VoteState.OPEN) and utcnow() < vote.closes_at


def proxy_practices(vote: Vote) -> list[Organisation]:
    """The user's practices that may name a proxy in this vote."""
    if not accepting_changes(vote):
        return []
    return [
        organisation
        for organisation in casting_organisations()
        if organisation.kind is OrganisationKind.PRACTICE
        and guards.member_for(vote, organisation) is not None
    ]


def conflict_organisations(vote: Vote) -> list[Organisation]:
    """The user's organisations that vote (or will) in this vote, while conflicts may be
    declared."""
    if not accepting_changes(vote):
        return []
    return [
        organisation
        for organisation in casting_organisations()
        if (
            guards.member_for(vote, organisation) is not None
            if vote.electorate
            else organisation.kind.value in vote.voting_kinds
        )
    ]


def conflict_declarations(vote: Vote) -> list[ConflictDeclaration]:
    return list(
        db.session.execute(
            sa.select(ConflictDeclaration)
            .where(ConflictDeclaration.vote_id == vote.id)
            .order_by(ConflictDeclaration.id)
        ).scalars()
    )


CHART_WIDTH = 640


CHART_LABEL_WIDTH = 180


CHART_BAR_SPACE = 300


CHART_ROW = 44


CHART_BAR_HEIGHT = 28


CHART_LABEL_LENGTH = 22


def results_chart(
    vote: Vote, result: dict[str, Any], shown: dict[str, str | None]
) -> dict[str, Any]:
    """A horizontal bar per option, its length the option's share of the whole weight and its
    figure as the result sentence writes it (``shown``)."""
    bars = []
    for index, option in enumerate(vote.options):
        total = result["totals"][option]
        share = Decimal(total["weight_percent"])
        width = (share / 100 * CHART_BAR_SPACE).quantize(Decimal("0.1"))
        label = option_label(vote, option)
        if len(label) > CHART_LABEL_LENGTH:
            label = label[: CHART_LABEL_LENGTH - 1] + "…"
        top = 8 + index * CHART_ROW
        bars.append(
            {
                "label": label,
                "full_label": option_label(vote, option),
                "y": top,
                "text_y": top + CHART_BAR_HEIGHT // 2 + 6,
                "width": width,
                "value_x": CHART_LABEL_WIDTH + width + 8,
                "percent": shown[option],
                "members": total["members"],
                "winner": option == result.get("winner")
                or (option == "for" and result.get("outcome") == "passed"),
            }
        )
    return {
        "width": CHART_WIDTH,
        "height": 16 + len(bars) * CHART_ROW,
        "label_width": CHART_LABEL_WIDTH,
        "bar_height": CHART_BAR_HEIGHT,
        "bars": bars,
    }


def proposal_choices(area: Any) -> list[Any]:
    """The area's ICS proposals, for "the ICS proposal it answers". The positions domain, which
    holds them and sits above voting, registers where they come from (``ics_proposals``)."""
    proposals = current_app.extensions.get("ics_proposals", lambda _area: [])(area)
    return [SelectChoice("", "No ICS proposal")] + [
        SelectChoice(str(p.id), p.title + (f" ({p.ics_reference})" if p.ics_reference else ""))
        for p in proposals
    ]


def vote_list(user: Any, area: Area, now: datetime) -> dict[str, Any]:
    """The votes page: votes taking ballots (with whether each of the user's organisations has
    voted), those being counted, counted, cancelled, and for managers the drafts."""
    votes = list(
        db.session.execute(
            sa.select(Vote).where(Vote.area_id == area.id).order_by(Vote.closes_at)
        ).scalars()
    )
    # A vote on a draft is listed only to its tier's audience, as its page is shown.
    votes = [vote for vote in votes if can_see_vote(user, vote)]
    own = own_organisations()
    open_votes = [v for v in votes if v.state is VoteState.OPEN and not being_counted(v, now)]
    manager = can_manage_votes(user, area)
    return {
        "open_votes": open_votes,
        "voted": {
            vote.id: [
                (organisation, casting.ballot_of(vote, organisation) is not None)
                for organisation in own
                if guards.member_for(vote, organisation) is not None
            ]
            for vote in open_votes
        },
        "drafts": [vote for vote in votes if vote.state is VoteState.DRAFT] if manager else [],
        "counting": [vote for vote in votes if being_counted(vote, now)],
        "closed": sorted(
            (vote for vote in votes if vote.state is VoteState.CLOSED),
            key=lambda vote: vote.closed_at or vote.closes_at,
            reverse=True,
        ),
        "cancelled": sorted(
            (v for v in votes if v.state is VoteState.CANCELLED and can_see_vote(user, v)),
            key=lambda vote: vote.cancelled_at or vote.closes_at,
            reverse=True,
        ),
        "manager": manager,
    }


def interest_register(organisations: list[Organisation]) -> list[Interest]:
    """The standing interests of these organisations, newest first."""
    return list(
        db.session.execute(
            sa.select(Interest)
            .where(
                Interest.organisation_id.in_([org.id for org in organisations]),
                Interest.withdrawn_at.is_(None),
            )
            .order_by(Interest.declared_at.desc(), Interest.id.desc())
        ).scalars()
    )


def results_page(vote: Vote, user: Any) -> dict[str, Any]:
    """Everything the results page of a counted vote shows this user."""
    result = vote.result or {}
    outcome = public.outcome(vote) or ""
    by_code = {member.ods_code: member for member in vote.electorate}
    who_voted_how = []
    if can_see_who_voted_how(user, vote):
        who_voted_how = sorted(
            (
                (by_code[voter], choice)
                for voter, choice in public.ballots_by_voter(vote).items()
                if voter in by_code
            ),
            key=lambda row: row[0].name,
        )
    used = set(
        db.session.execute(
            sa.select(Ballot.proxy_id).where(
                Ballot.vote_id == vote.id, Ballot.proxy_id.is_not(None)
            )
        ).scalars()
    )
    quorum = vote.rules.get("quorum") or {}
    shares = shares_for_people(vote)
    return {
        "vote": vote,
        "result": result,
        "outcome": OUTCOMES.get(outcome, (outcome, "grey")),
        "quorum_set": any(quorum.get(part) is not None for part in ("members", "weight")),
        "breakdown": reports.breakdown_by_kind(vote),
        "weights": reports.weight_table(vote),
        "who_voted_how": who_voted_how,
        "declarations": conflict_declarations(vote),
        "proxies": [(proxy, proxy.id in used) for proxy in _proxies(vote)],
        "secret": vote.secrecy is BallotSecrecy.SECRET,
        "published": vote.published,
        "who_voted": sorted((m for m in vote.electorate if m.voted), key=lambda m: m.name),
        "downloads": can_download_record(user, vote),
        "shares": shares,
        "chart": results_chart(vote, result, shares.totals) if shares else None,
        "wording": result_wording(vote),
        "how_decided": how_decided_for(vote),
    }


def _proxies(vote: Vote) -> list[Proxy]:
    return list(
        db.session.execute(
            sa.select(Proxy).where(Proxy.vote_id == vote.id).order_by(Proxy.id)
        ).scalars()
    )
