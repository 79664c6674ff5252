"""In Chromium, from a vote set up through the services (the whole journey from the question
pages is tests/browser/test_vote_to_statement_journey_e2e.py): an officer checks a vote (how
it is decided, how many are emailed) and opens it; a partner casts on a 390 px phone and
reloads the receipt page without casting again; once it closes the officer publishes the
statement through its check page, signed by exactly the organisations that voted for, its
wording giving for, against, abstained and turnout."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from portal.database import utcnow
from portal.extensions import db
from portal.statements.models import Statement
from portal.voting import casting as voting_casting
from portal.voting import closing as voting_closing
from portal.voting import services as voting
from portal.voting.models import BallotSecrecy, Receipt, Vote, VoteKind
from tests.browser.pages import page_width, sign_in
from tests.factories import make_world
from tests.statements.helpers import RULES, STATEMENTS_WORLD, agree_position, casters_of

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
LONG_WORD = "https://example.org/" + "a" * 3000
WORDING = (
    "2 organisations for (60.0 % of the weight), 1 against (25.0 %), 1 abstained (15.0 %); "
    "4 of 4 voted (100.0 % of the weight); quorum of half the practices met."
)


def _receipts() -> int:
    db.session.commit()  # read what the live server committed
    return db.session.execute(sa.select(sa.func.count(Receipt.id))).scalar_one()


def test_check_open_cast_once_on_a_phone_and_publish_a_true_statement(
    open_page: Any, browser_log: Any, assert_accessible: Any
) -> None:
    setting = make_world(**STATEMENTS_WORLD)
    riverside, hillside, meadow, castle = setting.practices
    now = utcnow()
    vote = voting.create_vote(
        setting.officer,
        setting.area,
        voting.VoteDetails(
            title="Enhanced access hubs",
            question="Should the group support the ICB's enhanced access hubs?",
            body_markdown=f"The paper is at {LONG_WORD}",
            kind=VoteKind.MOTION,
            secrecy=BallotSecrecy.OPEN,
            options=[],
            voting_kinds=["practice"],
            pcn_codes=None,
            opens_at=now - timedelta(minutes=13),
            closes_at=now + timedelta(days=3),
            rules=dict(RULES),
        ),
    )
    db.session.commit()
    vote_url = f"/areas/{setting.area.slug}/votes/{vote.id}"

    # The officer checks the vote before opening it, then opens it.
    officer = open_page()
    sign_in(officer, setting.officer.email, next_path=vote_url)
    officer.get_by_role("link", name="Open the vote").click()
    officer.wait_for_url(re.compile(rf"{vote_url}/open$"), wait_until="load")
    decided = officer.locator("#how-decided")
    expect(decided).to_contain_text("in proportion to registered list size")
    expect(decided).to_contain_text("At least half the organisations must vote")
    expect(decided).to_contain_text("it is not passed and things stay as they are")
    expect(officer.locator("#emailed")).to_contain_text("ballots of 4 organisations")
    assert_accessible(officer)
    officer.get_by_role("button", name="Open the vote and email 4 organisations").click()
    officer.wait_for_url(re.compile(rf"{vote_url}$"), wait_until="load")
    expect(officer.get_by_role("status")).to_contain_text("The vote opened at ")

    # A partner casts Riverside's ballot on a phone, and reloads the receipt.
    phone = open_page(**PHONE)
    sign_in(phone, setting.partners[0].email, next_path=vote_url)
    expect(phone.locator("#how-decided")).to_contain_text("Open ballot")
    assert page_width(phone) <= 390  # the long link wraps
    phone.goto(f"{vote_url}/cast/{riverside.ods_code}")
    phone.get_by_label("For", exact=True).check()
    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_url(re.compile(r"/check$"), wait_until="load")
    phone.get_by_role("button", name="Cast ballot").click()
    phone.wait_for_url(re.compile(rf"/cast/{riverside.ods_code}/receipt$"), wait_until="load")
    code = phone.locator("#receipt-code").inner_text().strip()
    assert code not in phone.url
    expect(phone.locator("#copy-code")).to_be_visible()  # the script offers to copy it
    assert_accessible(phone)
    assert _receipts() == 1
    phone.reload(wait_until="load")
    expect(phone.locator("#receipt-code")).to_have_text(code)
    phone.go_back(wait_until="load")
    phone.go_forward(wait_until="load")
    assert _receipts() == 1
    assert page_width(phone) <= 390

    # The others vote through the services; the vote closes.
    for organisation, choice in ((hillside, "abstain"), (meadow, "against"), (castle, "for")):
        voting_casting.cast_ballot(
            casters_of(setting)[organisation.id], vote, organisation, choice, utcnow()
        )
    vote = db.session.get(Vote, vote.id)
    vote.opens_at = utcnow() - timedelta(days=2)
    vote.closes_at = utcnow() - timedelta(seconds=1)
    voting_closing.close_vote(vote, utcnow())
    db.session.commit()
    position = agree_position(setting, vote, title="Enhanced access hubs: our position")

    # The officer publishes through the check page: exactly those that voted for sign.
    officer.goto(f"/statements/publish/{position.id}")
    expect(officer.get_by_label("Every organisation that voted for it")).to_be_checked()
    officer.get_by_role("button", name="Check the statement").click()
    expect(officer.locator("#signatory-count")).to_contain_text("2 organisations")
    signed = officer.locator(".signatory-list")
    expect(signed).to_have_text(re.compile(r"Castle Street Surgery.*Riverside Surgery", re.S))
    expect(officer.locator("#provenance-text")).to_contain_text(WORDING)
    assert_accessible(officer)
    officer.get_by_role("button", name="Publish statement").click()
    officer.wait_for_url(re.compile(r"/statements/GPV-\d{4}-\d{3}$"), wait_until="load")
    expect(officer.locator("#provenance-text")).to_contain_text(WORDING)
    db.session.commit()
    statement = db.session.execute(sa.select(Statement)).scalar_one()
    assert sorted(s.ods_code for s in statement.signatories) == sorted(
        [riverside.ods_code, castle.ods_code]
    )
    assert statement.provenance.startswith("Agreed by simple majority of the whole weight on ")
    assert statement.provenance.endswith(WORDING)
    assert not browser_log.console_errors
