"""An officer sets up a vote through the question pages in Chromium, meeting each kind of error
once (a page's errors all at once, the cap the electorate cannot meet, the times warned about),
checks the answers and opens the vote through its check page. Each page passes axe."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from portal.database import utcnow
from portal.times import LONDON
from tests.browser.pages import sign_in
from tests.browser.test_voting_e2e import _setting

pytestmark = pytest.mark.browser


def _fill_moment(page: Page, legend: str, time_label: str, moment: Any) -> None:
    local = moment.astimezone(LONDON)
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(local.day))
    group.get_by_label("Month").fill(str(local.month))
    group.get_by_label("Year").fill(str(local.year))
    page.get_by_label(time_label).fill(f"{local:%H:%M}")


def test_an_officer_sets_up_a_vote_question_by_question(
    open_page: Any, browser_log: Any, assert_accessible: Any
) -> None:
    setting = _setting()
    officer = open_page()
    sign_in(officer, setting["officer"].email)
    officer.goto(f"/areas/{setting['area'].slug}/votes/")
    officer.get_by_role("link", name="Set up a vote").click()
    officer.wait_for_url(re.compile(r"/set-up/about$"), wait_until="load")
    assert_accessible(officer)

    # Every error of the page at once; the summary's links go to the fields.
    officer.get_by_label("Title").fill("")
    officer.get_by_role("button", name="Continue").click()
    summary = officer.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Enter a title")
    expect(summary).to_contain_text("Enter the question")
    expect(summary.get_by_role("link", name="Enter a title")).to_have_attribute("href", "#title")
    assert_accessible(officer)
    officer.get_by_label("Title").fill("Enhanced access model")
    officer.get_by_label("Question").fill("Should the LMC support the ICB's enhanced access model?")
    officer.get_by_role("button", name="Continue").click()

    officer.wait_for_url(re.compile(r"/set-up/who$"), wait_until="load")
    expect(officer.get_by_label("By registered list size")).to_be_checked()  # the default
    assert_accessible(officer)
    officer.get_by_role("button", name="Continue").click()

    # Two practices vote: no cap under 50 % can add up to the whole, said in plain words.
    officer.wait_for_url(re.compile(r"/set-up/decided$"), wait_until="load")
    officer.get_by_label("Cap (%) (optional)").fill("10")
    officer.get_by_role("button", name="Continue").click()
    expect(officer.locator(".nhsuk-error-summary")).to_contain_text(
        "The cap must be more than 0 % and at most 100 %, and at least 1/2 (50.0 %)"
    )
    expect(officer.locator(".nhsuk-error-summary")).not_to_contain_text("rules.cap")
    assert_accessible(officer)
    officer.get_by_label("Cap (%) (optional)").fill("60")
    officer.get_by_role("button", name="Continue").click()

    # A past opening and a window under 48 hours are warned about; the officer moves them.
    officer.wait_for_url(re.compile(r"/set-up/when$"), wait_until="load")
    now = utcnow()
    _fill_moment(officer, "Opens", "Opening time", now - timedelta(hours=2))
    _fill_moment(officer, "Closes", "Closing time", now + timedelta(hours=5))
    officer.get_by_role("button", name="Continue").click()
    expect(officer.locator(".setup-warning").first).to_contain_text("in the past")
    expect(officer.locator(".setup-warning").nth(1)).to_contain_text("less than 48 hours")
    assert_accessible(officer)
    _fill_moment(officer, "Opens", "Opening time", now + timedelta(hours=1))
    _fill_moment(officer, "Closes", "Closing time", now + timedelta(days=7))
    officer.get_by_role("button", name="Continue with these times").click()

    officer.wait_for_url(re.compile(r"/set-up/secrecy$"), wait_until="load")
    officer.get_by_label(
        "Open: members see how each organisation voted once the vote closes"
    ).check()
    officer.get_by_role("button", name="Continue").click()

    officer.wait_for_url(re.compile(r"/set-up/check$"), wait_until="load")
    expect(officer.locator("#check-title")).to_have_text("Enhanced access model")
    expect(officer.locator("#how-decided")).to_contain_text("in proportion to registered list")
    assert_accessible(officer)
    officer.get_by_role("button", name="Save the vote as a draft").click()
    officer.wait_for_url(re.compile(r"/votes/\d+$"), wait_until="load")
    expect(officer.get_by_role("status")).to_contain_text("saved as a draft at")

    officer.get_by_role("link", name="Open the vote").click()
    officer.wait_for_url(re.compile(r"/votes/\d+/open$"), wait_until="load")
    expect(officer.locator("#emailed")).to_contain_text("ballots of 2 organisations")
    officer.get_by_role("button", name="Open the vote and email 2 organisations").click()
    expect(officer.get_by_role("status")).to_contain_text("The vote opened at ")
    browser_log.assert_clean()
