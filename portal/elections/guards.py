"""What every service that changes an election checks first: the lock on the election's row
(so two requests that change it run one after the other), and that the user acts for the
elector they name.
"""

from __future__ import annotations

import sqlalchemy as sa

from portal.accounts.models import User
from portal.elections.electors import electors_for
from portal.elections.models import Election, Elector
from portal.errors import NotPermitted
from portal.extensions import db


def lock_election(election: Election) -> None:
    db.session.execute(
        sa.select(Election.id).where(Election.id == election.id).with_for_update()
    ).first()
    db.session.refresh(election)


def check_acting_elector(user: User, election: Election, elector: Elector) -> None:
    if elector not in electors_for(user, election):
        raise NotPermitted("You do not act for that elector in this election")
