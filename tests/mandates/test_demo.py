"""The demo mandate, as the demo area loads it."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from portal.accounts.models import Role, User
from portal.database import utcnow
from portal.demo.loader import load_demo_area
from portal.mandates import services
from portal.mandates.models import Mandate, MandateState, Ratification
from portal.positions.models import Tier
from portal.voting.models import Vote


def test_the_demo_mandate(db):
    load_demo_area()
    db.session.commit()
    mandate = db.session.scalars(sa.select(Mandate)).one()
    assert mandate.title == "The enhanced access model with the ICB"
    assert mandate.state is MandateState.IN_FORCE
    assert mandate.tier is Tier.ICS
    motion = db.session.get(Vote, mandate.grant_vote_id)
    assert motion.result["outcome"] == "passed"
    assert mandate.provenance.startswith(f"{motion.title}. Agreed by simple majority")
    assert [(h.user.name, h.role) for h in mandate.holders] == [
        ("Lee Officer", Role.LMC_OFFICER),
        ("Dr Chris Director", Role.PCN_CLINICAL_DIRECTOR),
    ]
    today = services.london_day(utcnow())
    assert today + timedelta(days=89) <= mandate.ends_on <= today + timedelta(days=92)
    [commitment] = mandate.commitments
    assert commitment.ratification is Ratification.NOT_NEEDED
    assert commitment.holder.name == "Dr Chris Director"
    reader = db.session.scalars(sa.select(User).where(User.email.startswith("ics.reader@"))).one()
    assert services.register(reader) == [mandate]
    assert services.register(AnonymousUserMixin()) == []
