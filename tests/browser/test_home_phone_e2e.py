"""A GP partner on a phone: signs in, sees the open vote first on the home page, casts the
practice's ballot from there in four taps (open, choose, continue, confirm), and the vote
leaves the list of what needs them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from portal.demo.loader import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD, load_demo_area
from portal.extensions import db
from tests.browser.pages import page_width, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
HOME = re.compile(r"^http://[^/]+/$")
VOTE_TITLE = "Estates strategy: which option do we back?"


def test_a_partner_casts_from_the_home_page_in_four_taps(
    open_page: Any, browser_log: Any, assert_accessible: Any
) -> None:
    load_demo_area()
    db.session.commit()
    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(page, f"partner.horsefair@{DEMO_EMAIL_DOMAIN}", password=DEMO_PASSWORD, lands_on=HOME)
    expect(page.get_by_role("heading", name="What needs you", level=1)).to_be_visible()
    assert page_width(page) <= PHONE["width"]
    assert_accessible(page)

    # The open vote is the first thing on the page after the heading.
    first_item = page.locator("main h3").first
    expect(first_item).to_have_text(VOTE_TITLE)
    card = page.locator("li.nhsuk-card", has=page.get_by_role("heading", name=VOTE_TITLE))
    expect(card).to_contain_text("Horsefair Practice has not voted yet")
    expect(card).to_contain_text(re.compile(r"Voting closes (on|tomorrow|today)"))

    taps = 0
    card.get_by_role("link", name=re.compile("^Cast ballot")).tap()  # open
    taps += 1
    page.wait_for_load_state("load")
    page.get_by_label("Option B: new health and wellbeing centres").tap()  # choose
    taps += 1
    page.get_by_role("button", name="Continue").tap()  # continue
    taps += 1
    page.wait_for_load_state("load")
    page.get_by_role("button", name=re.compile("^Cast ballot")).tap()  # confirm
    taps += 1
    page.wait_for_load_state("load")
    expect(page.get_by_text(re.compile("receipt", re.IGNORECASE)).first).to_be_visible()
    assert taps <= 4

    page.goto("/", wait_until="load")
    expect(page.get_by_role("heading", name="What needs you", level=1)).to_be_visible()
    expect(page.get_by_text(VOTE_TITLE)).to_have_count(0)
    browser_log.assert_clean()
