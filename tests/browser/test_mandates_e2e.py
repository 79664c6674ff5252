"""A mandate end to end in Chromium: an officer attaches it to a draft motion and opens the
vote; the motion passes; a holder records a commitment under it; an ICS reader finds it on
the register and reads what the holder may agree."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from portal import worker
from portal.database import utcnow
from portal.extensions import db
from portal.mandates import services
from portal.mandates.models import Mandate, MandateState
from portal.voting import casting
from portal.voting.models import Vote
from tests.browser.pages import follow_menu_link, page_width, sign_in
from tests.factories import make_world
from tests.mandates.helpers import draft_motion
from tests.statements.helpers import STATEMENTS_WORLD, casters_of

pytestmark = pytest.mark.browser


def test_officer_grants_a_mandate_by_a_vote_holder_reports_ics_reader_finds_it(
    open_page: Any, browser_log: Any, assert_accessible: Any
) -> None:
    setting = make_world(**STATEMENTS_WORLD)
    vote = draft_motion(setting, title="Mandate for enhanced access")
    ends_on = services.london_day(utcnow()) + timedelta(days=90)

    officer = open_page()
    sign_in(officer, setting.officer.email)
    officer.goto(f"/areas/{setting.area.slug}/votes/{vote.id}")
    officer.get_by_role("link", name="Attach a mandate").click()
    officer.wait_for_url(re.compile(r"/mandates/attach/\d+$"), wait_until="load")
    assert_accessible(officer)
    officer.get_by_label("Subject").fill("The enhanced access model with the ICB")
    officer.get_by_label("Olive Officer, LMC officer, LMC").check()
    officer.get_by_label(re.compile(r"PCN clinical director, North Stoke PCN")).check()
    officer.get_by_label("What the holders may agree", exact=True).fill(
        "One evening hub per PCN, from April."
    )
    officer.get_by_label("What the holders may not agree").fill("Any change to core hours.")
    officer.get_by_label("When the holders must come back to members").fill(
        "Before anything costs a practice more than it is paid."
    )
    officer.get_by_label("End date").fill(ends_on.isoformat())
    officer.get_by_label("Members and ICS readers").check()
    officer.get_by_role("button", name="Attach the mandate").click()
    officer.wait_for_url(re.compile(r"/mandates/\d+$"), wait_until="load")
    expect(officer.get_by_role("status")).to_contain_text("comes into force only if")
    expect(officer.locator("#status-notice")).to_contain_text("Not in force yet")
    assert_accessible(officer)
    mandate_url = officer.url

    # The officer opens the motion for ballots on voting's own pages.
    officer.get_by_role("link", name="The motion").click()
    officer.get_by_role("link", name="Open the vote").click()
    officer.wait_for_url(re.compile(r"/votes/\d+/open$"), wait_until="load")
    officer.get_by_role("button", name=re.compile(r"^Open the vote")).click()
    officer.wait_for_url(re.compile(r"/votes/\d+$"), wait_until="load")
    expect(officer.get_by_role("status")).to_contain_text("The vote opened at ")

    # Three of the four practices vote for it, and voting counts it at its closing time.
    db.session.commit()
    vote = db.session.get(Vote, vote.id)
    now = utcnow()
    for practice, choice in zip(setting.practices, ("for", "for", "against", "for"), strict=True):
        casting.cast_ballot(casters_of(setting)[practice.id], vote, practice, choice, now)
    vote.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    worker.run_round()
    mandate = db.session.scalars(sa.select(Mandate)).one()
    assert mandate.state is MandateState.IN_FORCE

    holder = open_page()
    sign_in(holder, setting.pcn_director.email)
    holder.goto(mandate_url)
    expect(holder.locator("#status")).to_contain_text("In force")
    expect(holder.locator("#provenance")).to_contain_text(
        "Agreed by simple majority of the whole weight"
    )
    holder.get_by_role("link", name="Record a commitment").click()
    holder.wait_for_url(re.compile(r"/commitments/new$"), wait_until="load")
    assert_accessible(holder)
    holder.get_by_label("Date it was agreed").fill(services.london_day(utcnow()).isoformat())
    holder.get_by_label("Meeting or forum").fill("ICB primary care commissioning committee")
    holder.get_by_label("With whom").fill("The ICB's director of primary care")
    holder.get_by_label("What was agreed").fill("Hubs in every PCN from 1 April.")
    holder.get_by_role("button", name="Record the commitment").click()
    holder.wait_for_url(mandate_url, wait_until="load")
    expect(holder.get_by_role("status")).to_contain_text("Commitment recorded")
    expect(holder.locator("#commitment-list")).to_contain_text("Hubs in every PCN from 1 April.")

    reader = open_page()
    sign_in(reader, setting.ics_reader.email)
    reader.goto(f"/areas/{setting.area.slug}/")
    follow_menu_link(reader, "Mandates")
    reader.wait_for_url(re.compile(r"/mandates\?area="), wait_until="load")
    assert_accessible(reader)
    reader.get_by_role("link", name="The enhanced access model with the ICB").click()
    reader.wait_for_url(mandate_url, wait_until="load")
    expect(reader.locator("#commitment-list")).to_contain_text("ICB primary care commissioning")
    reader.locator("#holders").get_by_role("link", name=setting.pcn_director.name).click()
    reader.wait_for_url(re.compile(r"/mandates/holders/\d+$"), wait_until="load")
    expect(reader.get_by_role("heading", level=1)).to_have_text(
        f"What {setting.pcn_director.name} may agree on behalf of practices"
    )
    expect(reader.locator("#in-force-count")).to_contain_text("holds 1 mandate in force")
    expect(reader.get_by_text("Any change to core hours.")).to_be_visible()
    assert_accessible(reader)

    # At a phone's width the register still reads without sideways scrolling.
    phone = open_page(viewport={"width": 390, "height": 844})
    sign_in(phone, setting.ics_reader.email)
    phone.goto(f"/mandates?area={setting.area.slug}")
    assert page_width(phone) <= 390

    browser_log.assert_clean()
