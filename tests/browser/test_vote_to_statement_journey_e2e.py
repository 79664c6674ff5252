"""Issue 17's "done when" as one journey in Chromium: an officer sets up a vote through the
question pages, meeting each kind of error once, checks it and opens it; a partner casts on a
390 px phone and reloads the receipt page without casting again; the worker closes the vote and
the officer publishes a statement signed by exactly the organisations that voted for, its
wording giving for, against, abstained and turnout."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from portal.database import utcnow
from portal.extensions import db
from portal.statements.models import Statement
from portal.voting import casting as voting_casting
from portal.voting import closing as voting_closing
from portal.voting.models import Vote
from tests.browser.pages import page_width, sign_in
from tests.browser.test_honest_statement_e2e import PHONE, _receipts
from tests.browser.test_vote_setup_e2e import _fill_moment
from tests.factories import make_world
from tests.statements.helpers import STATEMENTS_WORLD, agree_position, casters_of

pytestmark = pytest.mark.browser

# Weighted by list size (4,000 + 20,000 for, 10,000 against, 6,000 abstained of 40,000).
WORDING = (
    "2 organisations for (60.0 % of the weight), 1 against (25.0 %), 1 abstained (15.0 %); "
    "4 of 4 voted (100.0 % of the weight)"
)


def test_set_up_open_cast_once_on_a_phone_and_publish_a_true_statement(
    open_page: Any, browser_log: Any, assert_accessible: Any
) -> None:
    setting = make_world(**STATEMENTS_WORLD)
    riverside, hillside, meadow, castle = setting.practices
    officer = open_page()
    sign_in(officer, setting.officer.email)
    officer.goto(f"/areas/{setting.area.slug}/votes/")
    officer.get_by_role("link", name="Set up a vote").click()
    officer.wait_for_url(re.compile(r"/set-up/about$"), wait_until="load")

    # What and why: every error of the page at once, each linked to its field.
    officer.get_by_label("Title").fill("")
    officer.get_by_role("button", name="Continue").click()
    summary = officer.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Enter a title")
    expect(summary).to_contain_text("Enter the question")
    expect(summary.get_by_role("link", name="Enter a title")).to_have_attribute("href", "#title")
    officer.get_by_label("Title").fill("Enhanced access hubs")
    officer.get_by_label("Question").fill(
        "Should the group support the ICB's enhanced access hubs?"
    )
    officer.get_by_role("button", name="Continue").click()

    officer.wait_for_url(re.compile(r"/set-up/who$"), wait_until="load")
    expect(officer.get_by_label("By registered list size")).to_be_checked()
    officer.get_by_role("button", name="Continue").click()

    # Four practices vote: a cap under 25 % cannot add up to the whole.
    officer.wait_for_url(re.compile(r"/set-up/decided$"), wait_until="load")
    officer.get_by_label("Cap (%) (optional)").fill("10")
    officer.get_by_role("button", name="Continue").click()
    expect(officer.locator(".nhsuk-error-summary")).to_contain_text(
        "The cap must be more than 0 % and at most 100 %, and at least 1/4 (25.0 %)"
    )
    expect(officer.locator(".nhsuk-error-summary")).not_to_contain_text("rules.cap")
    officer.get_by_label("Cap (%) (optional)").fill("")
    officer.get_by_role("button", name="Continue").click()

    # A past opening and a short window are warned about; the officer lengthens the window
    # and, warned again, keeps the past opening so that the vote opens as soon as it is opened.
    officer.wait_for_url(re.compile(r"/set-up/when$"), wait_until="load")
    now = utcnow()
    _fill_moment(officer, "Opens", "Opening time", now - timedelta(hours=2))
    _fill_moment(officer, "Closes", "Closing time", now + timedelta(hours=5))
    officer.get_by_role("button", name="Continue").click()
    warnings = officer.locator(".setup-warning")
    expect(warnings.first).to_contain_text("in the past")
    expect(warnings.nth(1)).to_contain_text("less than 48 hours")
    _fill_moment(officer, "Closes", "Closing time", now + timedelta(days=7))
    officer.get_by_role("button", name="Continue with these times").click()
    expect(warnings).to_have_count(1)
    expect(warnings.first).to_contain_text("in the past")
    officer.get_by_role("button", name="Continue with these times").click()

    officer.wait_for_url(re.compile(r"/set-up/secrecy$"), wait_until="load")
    expect(officer.get_by_label("Scrutineers (a secret ballot only)")).to_be_visible()
    assert_accessible(officer)
    officer.get_by_label(
        "Open: members see how each organisation voted once the vote closes"
    ).check()
    officer.get_by_role("button", name="Continue").click()

    officer.wait_for_url(re.compile(r"/set-up/check$"), wait_until="load")
    expect(officer.locator("#check-title")).to_have_text("Enhanced access hubs")
    expect(officer.locator("#how-decided")).to_contain_text("in proportion to registered list")
    assert_accessible(officer)
    officer.get_by_role("button", name="Save the vote as a draft").click()
    officer.wait_for_url(re.compile(r"/votes/\d+$"), wait_until="load")
    vote_url = urlsplit(officer.url).path
    vote_id = int(vote_url.rsplit("/", 1)[1])

    officer.get_by_role("link", name="Open the vote").click()
    officer.wait_for_url(re.compile(rf"{vote_url}/open$"), wait_until="load")
    expect(officer.locator("#emailed")).to_contain_text("ballots of 4 organisations")
    officer.get_by_role("button", name="Open the vote and email 4 organisations").click()
    expect(officer.get_by_role("status")).to_contain_text("The vote opened at ")

    # A partner casts Riverside's ballot on a phone and reloads the receipt.
    phone = open_page(**PHONE)
    sign_in(phone, setting.partners[0].email, next_path=vote_url)
    phone.goto(f"{vote_url}/cast/{riverside.ods_code}")
    phone.get_by_label("For", exact=True).check()
    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_url(re.compile(r"/check$"), wait_until="load")
    phone.get_by_role("button", name="Cast ballot").click()
    phone.wait_for_url(re.compile(rf"/cast/{riverside.ods_code}/receipt$"), wait_until="load")
    code = phone.locator("#receipt-code").inner_text().strip()
    assert code not in phone.url
    assert _receipts() == 1
    phone.reload(wait_until="load")
    expect(phone.locator("#receipt-code")).to_have_text(code)
    assert _receipts() == 1
    assert page_width(phone) <= 390

    # The others vote through the services; its closing time comes and the worker counts it.
    vote = db.session.get(Vote, vote_id)
    assert vote is not None
    for organisation, choice in ((hillside, "abstain"), (meadow, "against"), (castle, "for")):
        voting_casting.cast_ballot(
            casters_of(setting)[organisation.id], vote, organisation, choice, utcnow()
        )
    vote.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert [v.id for v in voting_closing.close_due_votes(utcnow())] == [vote_id]
    db.session.commit()
    position = agree_position(setting, vote, title="Enhanced access hubs: our position")

    # The officer publishes through the check page: exactly those that voted for sign.
    officer.goto(f"/statements/publish/{position.id}")
    expect(officer.get_by_label("Every organisation that voted for it")).to_be_checked()
    officer.get_by_role("button", name="Check the statement").click()
    expect(officer.locator("#signatory-count")).to_contain_text("2 organisations")
    expect(officer.locator("#provenance-text")).to_contain_text(WORDING)
    officer.get_by_role("button", name="Publish statement").click()
    officer.wait_for_url(re.compile(r"/statements/GPV-\d{4}-\d{3}$"), wait_until="load")
    expect(officer.locator("#provenance-text")).to_contain_text(WORDING)
    db.session.commit()
    statement = db.session.execute(sa.select(Statement)).scalar_one()
    assert sorted(s.ods_code for s in statement.signatories) == sorted(
        [riverside.ods_code, castle.ods_code]
    )
    assert WORDING in statement.provenance
    browser_log.assert_clean()
