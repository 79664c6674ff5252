"""Running trust pulse rounds and answering them. Services flush, never commit.

A response writes no audit entry and logs nothing: it adds one to counters, may add a free
text row, and records that the person has answered. Opening, closing and publishing are
audited. Results are read only for closed rounds, so nobody can watch a counter move when a
colleague says they have just answered.
"""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.audit.services import record
from portal.database import utcnow
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.mail import queue_email
from portal.notifications.kinds import Kind
from portal.organisations.models import Area, Organisation, OrganisationKind
from portal.organisations.permissions import GROUP_ROLES
from portal.organisations.queries import group_members
from portal.trust import permissions, suppression
from portal.trust.models import (
    SCORES,
    RoundState,
    TrustComment,
    TrustResponse,
    TrustRound,
    TrustScoreCount,
    TrustTarget,
)
from portal.trust.scores import ScoreSummary, summary_of
from portal.urls import external_url

AREA_GROUP = "area"
NO_PCN_GROUP = "pcn:none"
# A person in several organisations is counted once, in the first kind they hold here.
KIND_ORDER = (
    OrganisationKind.PRACTICE,
    OrganisationKind.PCN,
    OrganisationKind.FEDERATION,
    OrganisationKind.LMC,
)


def kind_group(kind: OrganisationKind) -> str:
    return f"kind:{kind.value}"


def pcn_group(pcn_id: int | None) -> str:
    return NO_PCN_GROUP if pcn_id is None else f"pcn:{pcn_id}"


# --- who is asked ---------------------------------------------------------------------


def eligible_people(area: Area) -> list[User]:
    """Everyone a round asks: the area's leadership group."""
    return group_members(area)


def respondent_groups(user: User, area: Area) -> list[str]:
    """The counters' groups a response from ``user`` adds to: the area, one organisation
    kind, and for someone in a practice, that practice's current PCN (or "no PCN")."""
    organisations = [
        membership.organisation
        for membership in user.memberships
        if membership.organisation.area_id == area.id and membership.role in GROUP_ROLES
    ]
    for kind in KIND_ORDER:
        of_kind = sorted((o for o in organisations if o.kind is kind), key=lambda o: o.id)
        if not of_kind:
            continue
        groups = [AREA_GROUP, kind_group(kind)]
        if kind is OrganisationKind.PRACTICE:
            pcn = of_kind[0].current_pcn
            groups.append(pcn_group(pcn.id if pcn is not None else None))
        return groups
    return [AREA_GROUP]


# --- officers' actions ------------------------------------------------------------------


def _require_officer(actor: User, area: Area) -> None:
    if not permissions.can_run_rounds(actor, area):
        raise NotPermitted("Only LMC officers and area administrators run trust pulse rounds.")


def open_round(actor: User, area: Area, title: str) -> TrustRound:
    _require_officer(actor, area)
    title = title.strip()
    if not title:
        raise DomainError("Enter a name for the round.")
    if current_round(area) is not None:
        raise Conflict("A round is already open in this area. Close it before opening another.")
    trust_round = TrustRound(
        area=area, title=title, state=RoundState.OPEN, opened_at=utcnow(), opened_by_id=actor.id
    )
    db.session.add(trust_round)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise Conflict("A round was opened in this area a moment ago.") from error
    people = eligible_people(area)
    link = external_url("trust.round_page", area_slug=area.slug, round_id=trust_round.id)
    for person in people:
        queue_email(
            person.email,
            "Trust pulse: a new round is open",
            f"Dear {person.name},\n\nA new trust pulse round is open for {area.name}. It takes "
            "a minute, and nobody can see what you answer, only that you have answered.\n\n"
            f"{link}\n",
            kind=Kind.TRUST,
            area=area,
        )
    record(
        "trust.round_opened",
        f"Opened trust pulse round {title!r}; {len(people)} people invited",
        actor=actor,
        area=area,
        subject=trust_round,
    )
    return trust_round


def close_round(actor: User, trust_round: TrustRound) -> None:
    _require_officer(actor, trust_round.area)
    locked = _lock(trust_round)
    if locked.state is not RoundState.OPEN:
        raise Conflict("This round is already closed.")
    locked.state = RoundState.CLOSED
    locked.closed_at = utcnow()
    locked.closed_by_id = actor.id
    db.session.flush()
    record(
        "trust.round_closed",
        f"Closed trust pulse round {locked.title!r} with {response_count(locked)} responses",
        actor=actor,
        area=locked.area,
        subject=locked,
    )


def publish_response(actor: User, trust_round: TrustRound, you_said: str, we_did: str) -> None:
    _require_officer(actor, trust_round.area)
    locked = _lock(trust_round)
    if locked.state is not RoundState.CLOSED:
        raise Conflict("Publish what you heard once the round has closed.")
    if locked.published_at is not None:
        raise Conflict("A response to this round has already been published.")
    if not you_said.strip() or not we_did.strip():
        raise DomainError("Enter both what you heard and what you will do.")
    locked.you_said = you_said.strip()
    locked.we_did = we_did.strip()
    locked.published_at = utcnow()
    locked.published_by_id = actor.id
    db.session.flush()
    record(
        "trust.response_published",
        f"Published 'you said, we did' for trust pulse round {locked.title!r}",
        actor=actor,
        area=locked.area,
        subject=locked,
    )


def send_reminders(now: datetime) -> int:
    """Remind, once per open round, everyone eligible who has not answered."""
    rounds = db.session.scalars(
        sa.select(TrustRound)
        .where(TrustRound.state == RoundState.OPEN, TrustRound.reminder_sent_at.is_(None))
        .with_for_update()
    ).all()
    sent = 0
    for trust_round in rounds:
        answered = set(
            db.session.scalars(
                sa.select(TrustResponse.user_id).where(TrustResponse.round_id == trust_round.id)
            )
        )
        link = external_url(
            "trust.round_page", area_slug=trust_round.area.slug, round_id=trust_round.id
        )
        for person in eligible_people(trust_round.area):
            if person.id in answered:
                continue
            queue_email(
                person.email,
                "Trust pulse: a reminder",
                f"Dear {person.name},\n\nThe trust pulse round for {trust_round.area.name} is "
                f"still open, and you have not answered yet. It takes a minute.\n\n{link}\n",
                kind=Kind.REMINDERS,
                area=trust_round.area,
            )
            sent += 1
        trust_round.reminder_sent_at = now
        record(
            "trust.reminder_sent",
            f"Sent the reminder for trust pulse round {trust_round.title!r}",
            actor=None,
            area=trust_round.area,
            subject=trust_round,
        )
    db.session.flush()
    return sent


# --- answering --------------------------------------------------------------------------


def answer(
    user: User, trust_round: TrustRound, scores: dict[TrustTarget, int], comment: str
) -> None:
    """Count one person's answer. Refused, with nothing written, after close or a second time."""
    if not permissions.can_answer(user, trust_round.area):
        raise NotPermitted("Only members of the leadership group answer the trust pulse.")
    if any(score not in SCORES for score in scores.values()):
        raise DomainError("Give each score as a whole number from 0 to 10.")
    comment = comment.strip()
    if not scores and not comment:
        raise DomainError("Give at least one score, or write what would raise your trust.")
    # A response with free text rewrites the round's free text, so it waits for others;
    # scores alone only keep the round from closing under them.
    locked = _lock(trust_round, shared=not comment)
    if locked.state is not RoundState.OPEN:
        raise Conflict("This round has closed; answers are no longer taken.")
    try:
        with db.session.begin_nested():
            db.session.add(TrustResponse(round_id=locked.id, user_id=user.id))
            db.session.flush()
    except IntegrityError as error:
        raise Conflict("You have already answered this round. Each person answers once.") from error
    groups = respondent_groups(user, locked.area)
    for target, score in scores.items():
        for group in groups:
            _increment(locked.id, target, group, score)
    if comment:
        _add_comment_shuffled(locked.id, comment)


def _lock(trust_round: TrustRound, *, shared: bool = False) -> TrustRound:
    query = sa.select(TrustRound).where(TrustRound.id == trust_round.id)
    query = query.with_for_update(read=shared)
    return db.session.execute(query.execution_options(populate_existing=True)).scalar_one()


def _increment(round_id: int, target: TrustTarget, group: str, score: int) -> None:
    """Insert the counter at one, or add one to it: one statement, safe when two people
    answer at the same moment (the database serialises the two on the row)."""
    table = TrustScoreCount.__table__
    values = {
        "round_id": round_id,
        "target": target,
        "respondent_group": group,
        "score": score,
        "n": 1,
    }
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(table).values(**values)
    db.session.execute(
        insert.on_conflict_do_update(
            index_elements=["round_id", "target", "respondent_group", "score"],
            set_={"n": table.c.n + 1},
        )
    )


def _add_comment_shuffled(round_id: int, text: str) -> None:
    """Add the text and write the round's texts back in a random order with new random keys,
    so neither key order nor the table's physical order follows the order of answers."""
    texts = list(
        db.session.scalars(sa.select(TrustComment.text).where(TrustComment.round_id == round_id))
    )
    texts.append(text)
    random.SystemRandom().shuffle(texts)
    db.session.execute(sa.delete(TrustComment).where(TrustComment.round_id == round_id))
    db.session.execute(
        sa.insert(TrustComment),
        [{"id": secrets.token_hex(16), "round_id": round_id, "text": t} for t in texts],
    )


# --- reading ----------------------------------------------------------------------------


def current_round(area: Area) -> TrustRound | None:
    return db.session.scalar(
        sa.select(TrustRound).where(
            TrustRound.area_id == area.id, TrustRound.state == RoundState.OPEN
        )
    )


def rounds_in(area: Area) -> list[TrustRound]:
    return list(
        db.session.scalars(
            sa.select(TrustRound)
            .where(TrustRound.area_id == area.id)
            .order_by(TrustRound.opened_at, TrustRound.id)
        )
    )


def has_answered(user: User, trust_round: TrustRound) -> bool:
    return db.session.get(TrustResponse, (trust_round.id, user.id)) is not None


def response_count(trust_round: TrustRound) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(TrustResponse)
        .where(TrustResponse.round_id == trust_round.id)
    )


@dataclass(frozen=True)
class GroupResult:
    label: str
    summary: ScoreSummary | None  # None: hidden to protect a small group


@dataclass
class TargetResult:
    target: TrustTarget
    area: ScoreSummary | None
    by_kind: list[GroupResult] = field(default_factory=list)
    by_pcn: list[GroupResult] = field(default_factory=list)


def _counts(trust_round: TrustRound) -> dict[tuple[TrustTarget, str], list[int]]:
    counts: dict[tuple[TrustTarget, str], list[int]] = defaultdict(lambda: [0] * len(SCORES))
    rows = db.session.execute(
        sa.select(
            TrustScoreCount.target,
            TrustScoreCount.respondent_group,
            TrustScoreCount.score,
            TrustScoreCount.n,
        ).where(TrustScoreCount.round_id == trust_round.id)
    )
    for target, group, score, n in rows:
        counts[(target, group)][score] = n
    return counts


def results(trust_round: TrustRound) -> list[TargetResult]:
    """A closed round's figures per target, by group, with small groups suppressed."""
    if trust_round.state is not RoundState.CLOSED:
        raise DomainError("Results are shown once the round has closed.")
    counts = _counts(trust_round)
    pcn_ids = {
        int(group.removeprefix("pcn:"))
        for (_, group) in counts
        if group.startswith("pcn:") and group != NO_PCN_GROUP
    }
    pcn_names = {
        pcn.id: pcn.name
        for pcn in db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(pcn_ids)))
    }
    output = []
    for target in TrustTarget:

        def size(group: str, target: TrustTarget = target) -> int:
            return sum(counts.get((target, group), ()))

        def summary(group: str, target: TrustTarget = target) -> ScoreSummary:
            return summary_of(counts.get((target, group), [0] * len(SCORES)))

        kinds = {kind_group(kind): size(kind_group(kind)) for kind in KIND_ORDER}
        pcns = {pcn_group(pcn_id): size(pcn_group(pcn_id)) for pcn_id in pcn_ids}
        pcns[NO_PCN_GROUP] = size(NO_PCN_GROUP)
        area_shown, kinds_shown, pcns_shown = suppression.shown_in_breakdown(
            size(AREA_GROUP), kinds, kind_group(OrganisationKind.PRACTICE), pcns
        )
        result = TargetResult(target, summary(AREA_GROUP) if area_shown else None)
        for kind in KIND_ORDER:
            group = kind_group(kind)
            if kinds[group]:
                shown = summary(group) if group in kinds_shown else None
                result.by_kind.append(GroupResult(kind.label, shown))
        for pcn_id in sorted(pcn_ids, key=lambda i: pcn_names.get(i, "")):
            group = pcn_group(pcn_id)
            if pcns[group]:
                shown = summary(group) if group in pcns_shown else None
                result.by_pcn.append(GroupResult(pcn_names.get(pcn_id, "A PCN"), shown))
        output.append(result)
    return output


def comments(trust_round: TrustRound) -> list[str] | None:
    """A closed round's free text, shuffled; None while open or with fewer than five
    respondents (the only group free text is shown for is the whole area)."""
    if trust_round.state is not RoundState.CLOSED:
        return None
    if not suppression.parent_is_shown(response_count(trust_round)):
        return None
    texts = list(
        db.session.scalars(
            sa.select(TrustComment.text).where(TrustComment.round_id == trust_round.id)
        )
    )
    random.SystemRandom().shuffle(texts)
    return texts


@dataclass(frozen=True)
class TrendPoint:
    trust_round: TrustRound
    summary: ScoreSummary | None


def trend(area: Area) -> dict[TrustTarget, list[TrendPoint]]:
    """Each target's area-wide figures round by round, over closed rounds."""
    closed = [r for r in rounds_in(area) if r.state is RoundState.CLOSED]
    by_target: dict[TrustTarget, list[TrendPoint]] = {target: [] for target in TrustTarget}
    for trust_round in closed:
        counts = _counts(trust_round)
        for target in TrustTarget:
            distribution = counts.get((target, AREA_GROUP), [0] * len(SCORES))
            shown = suppression.parent_is_shown(sum(distribution))
            by_target[target].append(
                TrendPoint(trust_round, summary_of(distribution) if shown else None)
            )
    return by_target
