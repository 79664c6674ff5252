"""The home page's items beyond votes, drafts, proposals and needs: mandates the person holds,
shared ways of working their practice has not signed, the trust round they have not answered,
and the group's next meeting, each saying why it is there. On the demo area, whose people
hold each of these."""

from __future__ import annotations

import html
import re
from typing import Any

import sqlalchemy as sa

from portal.accounts.models import User
from portal.database import utcnow
from portal.demo.loader import DEMO_AREA_SLUG, DEMO_EMAIL_DOMAIN, DEMO_PASSWORD, load_demo_area
from portal.mandates.models import Mandate, MandateHolder, MandateState
from portal.meetings.models import Meeting
from portal.organisations.models import Area
from portal.trust import services as trust
from portal.trust.models import TrustTarget
from tests.conftest import sign_in_with_form

TAG = re.compile(r"<[^>]+>")


def _home(app: Any, who: str) -> str:
    client = app.test_client()
    sign_in_with_form(client, f"{who}@{DEMO_EMAIL_DOMAIN}", DEMO_PASSWORD)
    response = client.get("/")
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    main = page[page.index("<main") : page.index("</main>")]
    return re.sub(r"\s+", " ", TAG.sub(" ", main))


def _person(db: Any, who: str) -> User:
    return db.session.execute(
        sa.select(User).where(User.email == f"{who}@{DEMO_EMAIL_DOMAIN}")
    ).scalar_one()


def test_mandates_agreements_the_trust_round_and_the_next_meeting_say_why(app, db):
    load_demo_area()
    db.session.commit()
    area = db.session.execute(sa.select(Area).where(Area.slug == DEMO_AREA_SLUG)).scalar_one()
    director = _person(db, "cd.southstoke")
    held = db.session.execute(
        sa.select(Mandate)
        .join(MandateHolder)
        .where(MandateHolder.user_id == director.id, Mandate.state == MandateState.IN_FORCE)
    ).scalar_one()
    coming = db.session.execute(
        sa.select(Meeting).where(Meeting.area_id == area.id).order_by(Meeting.starts_at)
    ).scalars()
    upcoming = [meeting for meeting in coming if meeting.ends_at > utcnow()]

    page = _home(app, "cd.southstoke")
    assert "Mandates you hold" in page
    assert f"{held.title} Why it is here: you hold this mandate until" in page
    assert "report on its page each commitment you make under it" in page
    assert f"Next meeting {upcoming[0].title} : starts" in page
    assert re.search(r"starts (today|tomorrow|on \w+ \d+ \w+) at \d\d:\d\d", page)

    # Horsefair has signed up to the demo's shared way of working; Mayfield has not.
    mayfield = _home(app, "partner.mayfield")
    assert "Document management hub Why it is here: Mayfield Surgery has not signed up" in mayfield
    horsefair = _home(app, "partner.horsefair")
    assert "Shared ways of working to sign" not in horsefair
    assert "Mandates you hold" not in horsefair

    # The open round asks everyone in the group until they answer.
    assert "Why it is here: the round is open and you have not answered yet" in horsefair
    partner = _person(db, "partner.horsefair")
    trust_round = trust.current_round(area)
    assert trust_round is not None
    trust.answer(partner, trust_round, dict.fromkeys(TrustTarget, 7), "")
    db.session.commit()
    assert "Trust pulse" not in _home(app, "partner.horsefair")

    # An ICS reader is in none of the group's business.
    reader = _home(app, "ics.reader")
    for heading in ("Mandates you hold", "Shared ways of working", "Trust pulse", "Next meeting"):
        assert heading not in reader
    assert "Nothing needs you in Staffordshire and Stoke-on-Trent right now" in reader
