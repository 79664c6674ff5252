"""The demo area ships a few needs in each channel, raised through the services."""

from __future__ import annotations

import sqlalchemy as sa

from portal.accounts.models import User
from portal.audit.services import verify_chain
from portal.demo.loader import DEMO_AREA_SLUG, load_demo_area
from portal.needs import permissions
from portal.needs.demo import load_demo_needs
from portal.needs.models import Need, NeedChannel, NeedStatus
from portal.organisations.models import Area


def _person(db, email_name):
    return db.session.scalar(sa.select(User).where(User.email.startswith(f"{email_name}@")))


def test_demo_needs_fill_both_channels_and_respect_the_separation(db):
    load_demo_area()
    area = db.session.scalar(sa.select(Area).where(Area.slug == DEMO_AREA_SLUG))
    # Whether or not the demo loader has already called it, the needs are there once.
    load_demo_needs(area)
    assert load_demo_needs(area) == "Demo needs are already loaded."
    db.session.commit()

    needs = db.session.scalars(sa.select(Need)).all()
    by_channel = {channel: [n for n in needs if n.channel is channel] for channel in NeedChannel}
    assert len(by_channel[NeedChannel.PRACTICE]) == 4
    assert len(by_channel[NeedChannel.PCN]) == 3
    assert any(need.supports for need in by_channel[NeedChannel.PRACTICE])
    assert any(need.supports for need in by_channel[NeedChannel.PCN])
    assert any(need.comments for need in needs)
    assert any(need.status is NeedStatus.IN_NEGOTIATION for need in needs)
    assert sum(need.lmc_only for need in needs) == 1

    officer = _person(db, "lmc.officer")
    mayfield = _person(db, "partner.mayfield")
    federation = _person(db, "federation")
    ics = _person(db, "ics.reader")

    def visible(user, channel):
        return len(db.session.scalars(permissions.visible_needs_query(user, area, channel)).all())

    assert visible(officer, NeedChannel.PRACTICE) == 4
    assert visible(officer, NeedChannel.PCN) == 3
    assert visible(mayfield, NeedChannel.PRACTICE) == 3  # not Hazeldene's LMC only need
    assert visible(mayfield, NeedChannel.PCN) == 0
    assert visible(federation, NeedChannel.PRACTICE) == 0
    assert visible(federation, NeedChannel.PCN) == 3
    assert visible(ics, NeedChannel.PRACTICE) == visible(ics, NeedChannel.PCN) == 0
    assert verify_chain() is None
