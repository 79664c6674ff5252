"""A secret election whose scrutineer set her passphrase only after its voting period should have
ended, in Chromium: the officer's page says its dates have passed, and the officer, with
JavaScript off, moves its voting dates (a closing time before the opening is refused and
says so). The page passes axe."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from portal.accounts.models import Role
from portal.database import utcnow
from portal.elections import closing, nominations, scrutiny, setup
from portal.elections.models import ElectionState
from portal.extensions import db
from portal.times import LONDON, london_datetime
from tests.browser.pages import sign_in
from tests.factories import Org, Person, election_details, lmc, make_world

pytestmark = pytest.mark.browser

PASSPHRASE = "a long enough scrutineer passphrase"


def _london(moment: Any) -> str:
    return moment.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


def test_an_officer_without_javascript_moves_the_dates_of_an_election_whose_voting_never_began(
    open_page: Any, browser_log: Any, assert_accessible: Any
) -> None:
    world = make_world(
        [
            Org("riverside", ods_code="M83001", name="Riverside Surgery"),
            lmc(ods_code="LMC01", name="North Staffs LMC"),
        ],
        [
            Person("officer", "lmc", Role.LMC_OFFICER, name="Olive Officer"),
            Person("pat", "riverside", Role.PRACTICE_MANAGER, name="Pat Manager"),
            Person("ann", "riverside", Role.GP_PARTNER, name="Ann Adams"),
            Person("bob", "riverside", Role.GP_PARTNER, name="Bob Brown"),
            Person("cat", "riverside", Role.SALARIED_GP, name="Cat Clark"),
        ],
        slug="north-staffs",
        name="North Staffordshire ICB",
    )
    now = utcnow()
    election = setup.create_election(
        world.officer,
        world.area,
        election_details(now, scrutineers=world.pat.email),
        now,
    )
    electors = {e.user_id: e for e in election.electors}
    for nominator, seconder, candidate in (
        (world.ann, world.bob, world.cat),
        (world.bob, world.cat, world.ann),
    ):
        nomination = nominations.nominate(
            nominator, election, electors[nominator.id], candidate, now
        )
        nominations.second(seconder, nomination, electors[seconder.id], now)
        nominations.accept(candidate, nomination, "", now)
    election.nominations_open_at = now - timedelta(hours=5)
    election.nominations_close_at = now - timedelta(hours=4)
    election.voting_opens_at = now - timedelta(hours=3)
    election.voting_closes_at = now - timedelta(minutes=1)
    scrutiny.set_passphrase(world.pat, election, PASSPHRASE, PASSPHRASE, now)  # too late
    db.session.commit()
    assert closing.close_due(utcnow()) == []
    db.session.commit()
    election_url = f"/areas/north-staffs/elections/{election.id}"

    seen = open_page()
    sign_in(seen, world.officer.email)
    seen.goto(election_url)
    expect(seen.locator("#dates-passed")).to_contain_text("it never began")
    assert_accessible(seen)

    officer = open_page(java_script_enabled=False)
    sign_in(officer, world.officer.email)
    officer.goto(election_url)
    expect(officer.get_by_label("Nominations close")).to_have_count(0)
    opens, closes = now + timedelta(hours=1), now + timedelta(days=7)
    officer.get_by_label("Voting opens").fill(_london(opens))
    officer.get_by_label("Voting closes").fill(_london(opens - timedelta(hours=1)))
    officer.get_by_role("button", name="Move the dates").click()
    expect(officer.locator(".nhsuk-error-summary")).to_contain_text(
        "Voting must close after it opens"
    )
    officer.get_by_label("Voting closes").fill(_london(closes))
    officer.get_by_role("button", name="Move the dates").click()
    expect(officer.get_by_role("status")).to_contain_text("The dates are moved")
    expect(officer.locator("#facts")).to_contain_text(
        f"{london_datetime(opens)} to {london_datetime(closes)}"
    )
    expect(officer.locator("#dates-passed")).to_have_count(0)

    db.session.commit()  # read what the live server committed
    assert election.state is ElectionState.NOMINATIONS
    assert closing.close_due(utcnow()) == [(election, "nominations closed: voting")]
    db.session.commit()
    assert browser_log.failed_requests == [f"POST {officer.url}/dates: HTTP 400"]
