"""Agreements end to end in Chromium: a partner signs the practice up on the check-your-answers
page (JavaScript on), later gives notice, and the agreement shows who is in; another partner
signs up with JavaScript off."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from portal.accounts.models import Role
from portal.agreements import days, setting_up
from portal.agreements.models import Signatory
from portal.database import utcnow
from portal.extensions import db
from tests.agreements.conftest import PROCEDURE, terms, today
from tests.browser.pages import follow_menu_link, sign_in
from tests.factories import Org, Person, federation, make_world, pcn

pytestmark = pytest.mark.browser


def _an_agreement_to_sign() -> dict[str, Any]:
    world = make_world(
        [
            pcn("pcn", ods_code="U11111", name="Trent PCN"),
            Org("riverside", ods_code="M81001", name="Riverside Surgery", pcn="pcn"),
            Org("hillside", ods_code="M81002", name="Hillside Practice", pcn="pcn"),
            federation(name="Trent Federation"),
        ],
        [
            Person("director", "federation", Role.FEDERATION_DIRECTOR, email="fed@example.nhs.uk"),
            Person(
                "partner", "riverside", Role.GP_PARTNER, email="pat@example.nhs.uk", name="Pat Page"
            ),
            Person(
                "ria", "riverside", Role.GP_PARTNER, email="ria@example.nhs.uk", name="Ria River"
            ),
            Person("hill_partner", "hillside", Role.GP_PARTNER, email="hal@example.nhs.uk"),
        ],
        slug="mid-staffs",
        name="Mid Staffordshire ICB",
    )
    area, director = world.area, world.director
    partner, hill_partner = world.partner, world.hill_partner
    agreement = setting_up.create_agreement(
        director,
        area,
        world.federation,
        terms(starts_on=today() - timedelta(days=30)),
        PROCEDURE,
        utcnow(),
    )
    db.session.commit()
    return {"agreement": agreement, "partner": partner, "hill_partner": hill_partner, "area": area}


def test_a_partner_signs_the_practice_up_and_later_gives_notice(
    open_page, browser_log, assert_accessible
):
    world = _an_agreement_to_sign()
    page = open_page()
    sign_in(page, "pat@example.nhs.uk")
    page.goto("/areas/mid-staffs/")
    follow_menu_link(page, "Agreements")
    page.get_by_role("link", name="Document management hub").click()
    page.get_by_role("link", name="Sign Riverside Surgery up").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check your answers")
    expect(page.locator("#gives-up")).to_contain_text("codes incoming documents by this protocol")
    expect(page.locator("#check")).to_contain_text("Version 1")
    assert_accessible(page)
    page.get_by_role("button", name="Sign Riverside Surgery up").click()
    expect(
        page.get_by_text("Riverside Surgery has signed up to Document management hub.")
    ).to_be_visible()
    expect(page.locator("#roll-summary")).to_contain_text("1 practice, covering 8,000")
    expect(page.locator("#your-practice")).to_contain_text("Riverside Surgery has belonged since")
    assert_accessible(page)

    page.get_by_role("link", name="Give notice for Riverside Surgery").click()
    leaves = days.add_months(today(), world["agreement"].minimum_term_months)
    expect(page.get_by_text(f"{leaves.day} {leaves:%B %Y}").first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Why the practice is leaving (optional)").fill("We are merging.")
    page.get_by_role("button", name="Give notice").click()
    expect(page.locator("#your-practice")).to_contain_text("has given notice")
    # On the day it leaves, the agreement no longer lists it.
    page.get_by_label("Show the practices in on").fill(leaves.isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(rf"on={leaves.isoformat()}"))
    expect(page.locator("#roll-summary")).to_contain_text("0 practices")
    assert_accessible(page)
    db.session.commit()
    signatory = db.session.query(Signatory).one()
    assert signatory.leaves_on == leaves
    assert signatory.notice_reason == "We are merging."
    browser_log.assert_clean()


def test_signing_up_works_without_javascript(open_page, browser_log):
    world = _an_agreement_to_sign()
    page = open_page(java_script_enabled=False)
    sign_in(page, "hal@example.nhs.uk")
    page.goto(f"/areas/mid-staffs/agreements/{world['agreement'].id}")
    page.get_by_role("link", name="Sign Hillside Practice up").click()
    page.get_by_role("button", name="Sign Hillside Practice up").click()
    expect(page.locator("#your-practice")).to_contain_text("Hillside Practice has belonged since")
    db.session.commit()
    assert db.session.query(Signatory).one().practice.name == "Hillside Practice"
    browser_log.assert_clean()
