"""An officer setting up a secret ballot is warned, by name, whose ballot its rules expose."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from portal.extensions import db
from portal.voting.models import Vote
from tests.browser.pages import sign_in
from tests.browser.test_voting_e2e import _fill_opening_in_the_past, _setting


def test_an_officer_sees_whose_ballot_the_rules_would_expose(
    open_page: Any, browser_log: Any, assert_accessible: Any
) -> None:
    setting = _setting()
    area = setting["area"]
    officer = open_page()
    sign_in(officer, setting["officer"].email)
    officer.goto(f"/areas/{area.slug}/votes/new")
    officer.get_by_label("Title").fill("Hub hosting")
    officer.get_by_label("Question").fill("Should practices host the hubs?")
    _fill_opening_in_the_past(officer)
    officer.get_by_label(re.compile(r"Secret: nobody can see")).check()
    officer.get_by_label("Scrutineers (a secret ballot only)").fill(setting["officer"].email)
    officer.get_by_label("By registered list size").check()
    officer.get_by_role("button", name="Save draft").click()

    # Riverside (12,000 patients) and Hillside (6,000) each hold a weight of their own.
    warning = officer.locator("#weights-warning")
    expect(warning).to_contain_text("These rules could expose how some organisations voted")
    expect(officer.locator("#exposed-organisations")).to_contain_text("Riverside Surgery (M83001)")
    expect(officer.locator("#exposed-organisations")).to_contain_text("Hillside Practice (M83002)")
    expect(officer.locator("#safer-settings")).to_contain_text(
        "Equal weights: nobody would stand alone"
    )
    assert_accessible(officer)
    db.session.commit()
    assert db.session.query(Vote).count() == 0  # nothing saved until the officer chooses

    officer.get_by_label("I understand, keep these rules").check()
    officer.get_by_role("button", name="Save with these rules").click()
    officer.wait_for_url(re.compile(r"/votes/\d+$"), wait_until="load")
    officer.get_by_role("link", name="Open the vote").click()
    officer.wait_for_url(re.compile(r"/votes/\d+/open$"), wait_until="load")
    # The check page before opening warns again, and says the scrutineer has no passphrase.
    expect(officer.locator("#exposure-warning")).to_contain_text("Riverside Surgery")
    expect(officer.locator("#scrutineers-waiting")).to_be_visible()
    assert_accessible(officer)
    browser_log.assert_clean()
