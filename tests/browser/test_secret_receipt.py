"""A partner checks a secret ballot's receipt in the browser: it says counted, never how."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from portal.database import utcnow
from portal.extensions import db
from portal.voting import casting, closing
from tests.browser.pages import sign_in
from tests.browser.test_voting_e2e import _open_vote, _setting


def test_a_partner_sees_a_secret_ballot_counted_but_not_its_answer(
    open_page: Any, browser_log: Any
) -> None:
    setting = _setting()
    vote = _open_vote(setting, "Hubs", "Should practices host the hubs?", secret=True)
    _, code = casting.cast_ballot(
        setting["partner"], vote, setting["practice"], "against", utcnow()
    )
    vote.opens_at = utcnow() - timedelta(days=2)
    vote.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    page = open_page()
    sign_in(page, setting["partner"].email)
    page.goto("/receipts")
    page.get_by_label("Receipt code").fill(code)
    page.get_by_role("button", name="Check receipt").click()
    expect(page.locator("#receipt-status")).to_contain_text("Closed, being counted")
    db.session.commit()  # end the test's transaction: the live server has written since
    closing.close_due_votes(utcnow())  # what the worker does
    db.session.commit()
    page.get_by_label("Receipt code").fill(code)
    page.get_by_role("button", name="Check receipt").click()
    expect(page.locator("#receipt-status")).to_contain_text("Counted in the final tally")
    expect(page.locator("#receipt-choice")).to_have_text("Not shown: this is a secret ballot")
    expect(page.locator("#receipt")).not_to_contain_text("Against")
    assert code not in page.url
    browser_log.assert_clean()
