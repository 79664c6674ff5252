"""Proxies: one practice naming another to cast its ballot, and revoking it before the vote
closes. A practice's own ballot always overrides its proxy's.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.audit.services import record
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.names import display_name
from portal.organisations.models import Organisation, OrganisationKind
from portal.voting.guards import member_for, refuse_once_over
from portal.voting.models import Ballot, Proxy, Vote, VoteState
from portal.voting.permissions import casts_for


def _active_proxy(vote: Vote, grantor: Organisation) -> Proxy | None:
    return db.session.execute(
        sa.select(Proxy).where(
            Proxy.vote_id == vote.id, Proxy.grantor_id == grantor.id, Proxy.revoked_at.is_(None)
        )
    ).scalar_one_or_none()


def proxy_held_by(user: User, vote: Vote, grantor: Organisation) -> Proxy | None:
    """The active proxy through which ``user`` may cast ``grantor``'s ballot, if any."""
    proxy = _active_proxy(vote, grantor)
    if proxy is not None and casts_for(user, proxy.holder):
        return proxy
    return None


def name_proxy(
    user: User,
    vote: Vote,
    grantor: Organisation,
    holder: Organisation,
    instruction: str | None,
    now: datetime,
) -> Proxy:
    refuse_once_over(vote, now, "proxies can no longer be named")
    if (
        grantor.kind is not OrganisationKind.PRACTICE
        or holder.kind is not OrganisationKind.PRACTICE
    ):
        raise DomainError("A proxy is one practice voting for another practice")
    if not casts_for(user, grantor):
        raise NotPermitted(f"Only a GP partner of {display_name(grantor.name)} can name its proxy")
    if holder.id == grantor.id or holder.area_id != vote.area_id:
        raise DomainError("Choose another practice of this area as the proxy")
    if instruction is not None and instruction not in vote.options:
        raise DomainError("Choose an instruction from the vote's options, or none")
    if vote.state is VoteState.OPEN:
        holder_member = member_for(vote, holder)
        if holder_member is None or holder_member.recused:
            raise DomainError(
                f"{display_name(holder.name)} does not vote in this vote, so cannot be a proxy"
            )
    if _active_proxy(vote, grantor) is not None:
        raise Conflict(
            f"{display_name(grantor.name)} already has a proxy for this vote: revoke it first"
        )
    held = db.session.execute(
        sa.select(sa.func.count(Proxy.id)).where(
            Proxy.vote_id == vote.id, Proxy.holder_id == holder.id, Proxy.revoked_at.is_(None)
        )
    ).scalar_one()
    if held >= vote.area.max_proxies_per_holder:
        raise Conflict(
            f"{display_name(holder.name)} already holds {held} proxies, the most this area allows"
        )
    proxy = Proxy(
        vote_id=vote.id,
        grantor_id=grantor.id,
        holder_id=holder.id,
        instruction=instruction,
        created_by_id=user.id,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(proxy)
    except IntegrityError as error:
        raise Conflict(f"{display_name(grantor.name)} already has a proxy for this vote") from error
    record(
        "proxy.named",
        f"{grantor.name} named {holder.name} as its proxy"
        + (" with an instruction" if instruction else ""),
        actor=user,
        area=vote.area,
        subject=vote,
        details={"grantor": grantor.ods_code, "holder": holder.ods_code},
    )
    return proxy


def revoke_proxy(user: User, proxy: Proxy, now: datetime) -> None:
    vote = db.session.get_one(Vote, proxy.vote_id)
    if not casts_for(user, proxy.grantor):
        raise NotPermitted(
            f"Only a GP partner of {display_name(proxy.grantor.name)} can revoke its proxy"
        )
    if proxy.revoked_at is not None:
        raise Conflict("This proxy has already been revoked")
    refuse_once_over(vote, now, "its proxies stand as they were")
    cast = db.session.execute(sa.select(Ballot.id).where(Ballot.proxy_id == proxy.id)).first()
    if cast is not None:
        raise Conflict("The proxy has already cast the ballot; cast your own to override it")
    proxy.revoked_at = now
    record(
        "proxy.revoked",
        f"{proxy.grantor.name} revoked its proxy",
        actor=user,
        area=vote.area,
        subject=vote,
        details={"grantor": proxy.grantor.ods_code, "holder": proxy.holder.ods_code},
    )
    db.session.flush()
