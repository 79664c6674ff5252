"""Changing the agreed way: a new version of an agreement's procedure is proposed, put to the
vote of the practices signed up that day, and adopted when the vote passes (the signatories
are then emailed) or not adopted when it fails; a cancelled vote leaves it proposed again.

Services flush but never commit, write their audit entry and raise a ``DomainError`` whose
message can be shown. The vote's outcome arrives through voting's ``vote_closed`` and
``vote_cancelled`` signals, whose receivers are connected when this module is imported.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.agreements import permissions
from portal.agreements.limits import MAX_REASON, MAX_TITLE, checked_procedure, checked_text
from portal.agreements.models import Agreement, ProcedureVersion, VersionState
from portal.agreements.signing import partners_of
from portal.audit.services import record
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.mail import queue_email
from portal.times import LONDON
from portal.urls import external_url
from portal.voting import services as voting
from portal.voting import signals as voting_signals
from portal.voting.models import BallotSecrecy, Vote, VoteKind


def version_numbered(agreement: Agreement, number: int) -> ProcedureVersion | None:
    return next((v for v in agreement.versions if v.number == number), None)


def propose_version(
    actor: User, agreement: Agreement, body: str, change_summary: str, now: datetime
) -> ProcedureVersion:
    if not permissions.can_manage(actor, agreement):
        raise NotPermitted("Only the lead and LMC officers can propose a new procedure")
    body = checked_procedure(body)
    summary = checked_text(change_summary, "what changes and why", limit=MAX_REASON)
    if body == agreement.versions[-1].body_markdown:
        raise DomainError("The procedure is the same as the latest version: change it first")
    version = ProcedureVersion(
        agreement_id=agreement.id,
        number=agreement.versions[-1].number + 1,
        body_markdown=body,
        change_summary=summary,
        state=VersionState.PROPOSED,
        author_id=actor.id,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(version)
            db.session.flush()
    except IntegrityError as error:
        raise Conflict("Someone saved another version at the same moment: try again") from error
    db.session.refresh(agreement, attribute_names=["versions"])
    record(
        "agreement.version_proposed",
        f"Version {version.number} of the procedure of {agreement.title} proposed",
        actor=actor,
        area=agreement.area,
        subject=agreement,
        details={"version": version.number},
    )
    return version


def vote_rules(agreement: Agreement) -> dict[str, Any]:
    """The signatories' vote: the agreement's own weighting, a simple majority of the weight."""
    return {
        "weighting": {"scheme": agreement.vote_weighting.value},
        "blocks": None,
        "cap": None,
        "quorum": {"members": None, "weight": None},
        "threshold": {"rule": "simple_majority"},
        "tie": "fails",
    }


def put_to_vote(
    actor: User, version: ProcedureVersion, closes_at: datetime, *, today: date, now: datetime
) -> Vote:
    """Open the vote of the practices signed up today on ``version``: every practice in today,
    one under notice included (it is still bound by the procedure until it leaves)."""
    agreement = version.agreement
    if not permissions.can_manage(actor, agreement):
        raise NotPermitted("Only the lead and LMC officers can put a procedure to the vote")
    if version.state is not VersionState.PROPOSED:
        raise Conflict(f"Version {version.number} has already been put to the vote")
    if any(v.state is VersionState.VOTING for v in agreement.versions):
        raise Conflict("Another version is being voted on: wait for that vote to close")
    if closes_at <= now:
        raise DomainError("The vote must close in the future")
    electorate = [s.practice for s in agreement.signatories if s.is_in_on(today)]
    if not electorate:
        raise DomainError("No practice is signed up today, so there is nobody to vote")
    title = f"Procedure version {version.number}: {agreement.title}"[:MAX_TITLE]
    question = (
        f"Should the practices signed up to {agreement.title} adopt version "
        f"{version.number} of its procedure?"
    )[:500]
    body = (
        f"What changes and why: {version.change_summary}\n\n"
        f"The procedure as version {version.number} would have it:\n\n{version.body_markdown}"
    )
    vote = voting.create_vote(
        actor,
        agreement.area,
        voting.VoteDetails(
            title=title,
            question=question,
            body_markdown=body,
            kind=VoteKind.MOTION,
            secrecy=BallotSecrecy.OPEN,
            options=[],
            voting_kinds=["practice"],
            pcn_codes=None,
            opens_at=now,
            closes_at=closes_at,
            rules=vote_rules(agreement),
            organisation_ids=[practice.id for practice in electorate],
        ),
        authorised=True,
    )
    voting.open_vote(actor, vote, now, authorised=True)
    version.vote_id = vote.id
    version.state = VersionState.VOTING
    db.session.flush()
    record(
        "agreement.version_put_to_vote",
        f"Version {version.number} of the procedure of {agreement.title} put to the "
        f"{len(electorate)} practices signed up",
        actor=actor,
        area=agreement.area,
        subject=agreement,
        details={"version": version.number, "vote_id": vote.id, "electorate": len(electorate)},
    )
    return vote


def _version_voted_on(vote: Vote) -> ProcedureVersion | None:
    return db.session.execute(
        sa.select(ProcedureVersion).where(
            ProcedureVersion.vote_id == vote.id, ProcedureVersion.state == VersionState.VOTING
        )
    ).scalar_one_or_none()


@voting_signals.vote_closed.connect
def _on_vote_closed(vote: Vote, result: Any = None, **_: Any) -> None:
    """A passed vote adopts the version it was on; any other outcome leaves it not adopted."""
    version = _version_voted_on(vote)
    if version is None:
        return
    agreement = version.agreement
    passed = result is not None and result.outcome == "passed"
    closed_at = vote.closed_at or vote.closes_at
    if passed:
        version.state = VersionState.ADOPTED
        version.adopted_at = closed_at
    else:
        version.state = VersionState.NOT_ADOPTED
    db.session.flush()
    db.session.refresh(agreement, attribute_names=["versions"])
    record(
        "agreement.version_adopted" if passed else "agreement.version_not_adopted",
        f"Version {version.number} of the procedure of {agreement.title} "
        f"{'adopted' if passed else 'not adopted'} by the signatories' vote",
        actor=None,
        area=agreement.area,
        subject=agreement,
        details={"version": version.number, "vote_id": vote.id},
    )
    if passed:
        link = external_url(
            "agreements.agreement", area_slug=agreement.area.slug, agreement_id=agreement.id
        )
        day = closed_at.astimezone(LONDON).date()
        for signatory in agreement.signatories:
            if not signatory.is_in_on(day):
                continue
            for partner in partners_of(signatory.practice, except_user=None):
                queue_email(
                    partner.email,
                    "A new version of a shared way of working has been adopted",
                    "The practices signed up to a shared way of working your practice belongs "
                    "to have adopted a new version of its procedure. A practice that cannot "
                    f"accept it can give notice. See the changes:\n{link}\n",
                )


@voting_signals.vote_cancelled.connect
def _on_vote_cancelled(vote: Vote, **_: Any) -> None:
    """A cancelled vote decided nothing: the version is proposed again, to be put once more."""
    version = _version_voted_on(vote)
    if version is None:
        return
    version.state = VersionState.PROPOSED
    version.vote_id = None
    db.session.flush()
    record(
        "agreement.version_vote_cancelled",
        f"The vote on version {version.number} of {version.agreement.title} was cancelled",
        actor=None,
        area=version.agreement.area,
        subject=version.agreement,
        details={"version": version.number, "vote_id": vote.id},
    )
