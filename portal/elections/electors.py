"""Who acts for which elector in an election, who may stand, and whose inboxes an email to
the electors reaches (a person elector's own; an organisation's, those in its casting role).
"""

from __future__ import annotations

import sqlalchemy as sa

from portal.accounts.models import Membership, User
from portal.elections.models import Election, Elector, ElectorateKind
from portal.elections.permissions import CASTING_ROLE
from portal.email_kinds import Kind
from portal.extensions import db
from portal.mail import queue_email


def electors_for(user: User, election: Election) -> list[Elector]:
    """The electorate places ``user`` acts for: themself, or organisations they cast for."""
    if not getattr(user, "is_authenticated", False):
        return []
    if election.electorate_kind is ElectorateKind.PEOPLE:
        return [e for e in election.electors if e.user_id == user.id]
    casting = {
        m.organisation_id
        for m in user.memberships
        if CASTING_ROLE.get(m.organisation.kind) is m.role
    }
    return [e for e in election.electors if e.organisation_id in casting]


def eligible_candidates(election: Election) -> list[User]:
    """Who may stand: an elector (people), or a GP of an elector organisation."""
    if election.electorate_kind is ElectorateKind.PEOPLE:
        people = [e.user for e in election.electors if e.user is not None]
    else:
        ids = {e.organisation_id for e in election.electors}
        people = list(
            db.session.execute(
                sa.select(User)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.organisation_id.in_(ids), User.active.is_(True))
                .distinct()
            ).scalars()
        )
    return sorted(people, key=lambda user: (user.name.casefold(), user.id))


def notify_electors(election: Election, subject: str, body: str, kind: Kind) -> None:
    addresses: set[str] = set()
    for elector in election.electors:
        if elector.user is not None:
            addresses.add(elector.user.email)
        else:
            assert elector.organisation is not None, "an elector is a person or an organisation"
            role = CASTING_ROLE.get(elector.organisation.kind)
            addresses.update(
                m.user.email
                for m in db.session.execute(
                    sa.select(Membership).where(
                        Membership.organisation_id == elector.organisation_id,
                        Membership.role == role,
                    )
                ).scalars()
            )
    for address in sorted(addresses):
        queue_email(address, subject, body, kind=kind, area=election.area)
