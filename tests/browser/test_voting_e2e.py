"""A weighted vote end to end in Chromium: an LMC officer creates and opens a vote, a GP partner
casts (choose, check the answer, confirm, receipt) and changes the ballot, the vote closes and
the results page shows the outcome with its chart. The cast, check and results pages pass axe."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from portal.accounts.models import Role
from portal.database import utcnow
from portal.extensions import db
from portal.times import LONDON, london_datetime
from portal.voting import casting, closing, conflicts, services
from portal.voting.models import (
    Ballot,
    BallotSecrecy,
    InterestCategory,
    Receipt,
    Vote,
    VoteKind,
    VoteState,
)
from tests.browser.pages import sign_in
from tests.factories import Org, Person, World, lmc, make_world, pcn

pytestmark = pytest.mark.browser

RECEIPT = re.compile(r"^[A-Z2-9]{4}(-[A-Z2-9]{4}){6}$")


def _setting() -> World:
    return make_world(
        [
            pcn("pcn", ods_code="U12345", name="North Stoke PCN"),
            Org(
                "practice", ods_code="M83001", name="Riverside Surgery", list_size=12000, pcn="pcn"
            ),
            Org("hillside", ods_code="M83002", name="Hillside Practice", list_size=6000, pcn="pcn"),
            lmc(ods_code="LMC01", name="North Staffs LMC"),
        ],
        [
            Person("officer", "lmc", Role.LMC_OFFICER, name="Olive Officer"),
            Person("partner", "practice", Role.GP_PARTNER, name="Priya Partner"),
        ],
        slug="north-staffs",
        name="North Staffordshire ICB",
    )


def _open_vote(setting: World, title: str, question: str, secret: bool = False) -> Vote:
    """An equal-weight motion of the setting's practices, open for a day from an hour ago."""
    vote = services.create_vote(
        setting["officer"],
        setting["area"],
        services.VoteDetails(
            title=title,
            question=question,
            body_markdown="",
            kind=VoteKind.MOTION,
            secrecy=BallotSecrecy.SECRET if secret else BallotSecrecy.OPEN,
            options=[],
            voting_kinds=["practice"],
            pcn_codes=None,
            opens_at=utcnow() - timedelta(hours=1),
            closes_at=utcnow() + timedelta(days=1),
            rules={"weighting": {"scheme": "equal"}, "threshold": {"rule": "simple_majority"}},
        ),
    )
    services.open_vote(setting["officer"], vote, utcnow())
    db.session.commit()
    return vote


def _fill_opening_in_the_past(page: Page) -> None:
    opens = (utcnow() - timedelta(hours=1)).astimezone(LONDON)
    group = page.get_by_role("group", name="Opens")
    group.get_by_label("Day").fill(str(opens.day))
    group.get_by_label("Month").fill(str(opens.month))
    group.get_by_label("Year").fill(str(opens.year))
    page.get_by_label("Opening time").fill(f"{opens:%H:%M}")


def _cast(page: Page, answer: str, assert_accessible: Any) -> str:
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Should the LMC support the ICB's enhanced access model?"
    )
    assert_accessible(page)
    page.get_by_label(answer, exact=True).check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/cast/M83001/check$"), wait_until="load")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check your answer")
    expect(page.locator("#your-answer")).to_have_text(answer)
    assert_accessible(page)
    page.get_by_role("button", name="Cast ballot").click()
    page.wait_for_url(re.compile(r"/cast/M83001/receipt$"), wait_until="load")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ballot cast")
    code = page.locator("#receipt-code").inner_text().strip()
    assert RECEIPT.match(code), code
    # Reloading the receipt page casts nothing again: the same code, no new receipt.
    receipts = _receipt_count()
    page.reload(wait_until="load")
    expect(page.locator("#receipt-code")).to_have_text(code)
    assert _receipt_count() == receipts
    return code


def _receipt_count() -> int:
    db.session.commit()  # read what the live server committed
    return db.session.execute(sa.select(sa.func.count(Receipt.id))).scalar_one()


def test_officer_runs_a_vote_a_partner_casts_and_changes_and_everyone_sees_the_result(
    open_page: Any, browser_log: Any, assert_accessible: Any
) -> None:
    setting = _setting()
    area = setting["area"]

    officer = open_page()
    sign_in(officer, setting["officer"].email)
    officer.goto(f"/areas/{area.slug}/votes/")
    officer.get_by_role("link", name="Create a vote").click()
    officer.wait_for_url(re.compile(r"/votes/new$"), wait_until="load")
    assert_accessible(officer)
    officer.get_by_label("Title").fill("Enhanced access model")
    officer.get_by_label("Question").fill("Should the LMC support the ICB's enhanced access model?")
    officer.get_by_label("Background paper (optional)").fill(
        "The ICB proposes **one hub** per PCN."
    )
    _fill_opening_in_the_past(officer)
    officer.get_by_label("By registered list size").check()
    officer.get_by_role("button", name="Save draft").click()
    officer.wait_for_url(re.compile(r"/votes/\d+$"), wait_until="load")
    expect(officer.get_by_role("status")).to_contain_text("saved as a draft")
    vote_url = officer.url
    expect(officer.locator("#how-decided")).to_contain_text("in proportion to registered list")
    officer.get_by_role("link", name="Open the vote").click()
    # The check page says what opening does before it is done.
    officer.wait_for_url(re.compile(r"/votes/\d+/open$"), wait_until="load")
    expect(officer.locator("#emailed")).to_contain_text("ballots of 2 organisations")
    expect(officer.locator("#opens-in-past")).to_be_visible()
    assert_accessible(officer)
    officer.get_by_role("button", name="Open the vote and email 2 organisations").click()
    officer.wait_for_url(vote_url, wait_until="load")
    expect(officer.get_by_role("status")).to_contain_text("The vote opened at ")
    expect(officer.get_by_role("status")).to_contain_text("to 2 organisations")
    db.session.commit()
    opened = db.session.execute(sa.select(Vote)).scalar_one()
    expect(officer.locator("#opened")).to_have_text(london_datetime(opened.opened_at))
    expect(officer.locator("#turnout")).to_have_text("0 of 2 organisations have voted.")

    partner = open_page()
    sign_in(partner, setting["partner"].email)
    partner.goto(f"/areas/{area.slug}/votes/")
    partner.get_by_role("link", name="Enhanced access model").click()
    partner.wait_for_url(vote_url, wait_until="load")
    card = partner.locator("#ballot-M83001")
    expect(card).to_contain_text("66.7 %")
    expect(card).to_contain_text("Not voted yet")
    assert_accessible(partner)
    card.get_by_role("link", name="Cast ballot for Riverside Surgery").click()
    first_code = _cast(partner, "For", assert_accessible)

    partner.get_by_role("link", name="Back to the vote").click()
    partner.wait_for_url(vote_url, wait_until="load")
    expect(card).to_contain_text("Voted")
    card.get_by_role("link", name="Change ballot for Riverside Surgery").click()
    expect(partner.get_by_text("has already voted")).to_be_visible()
    second_code = _cast(partner, "Against", assert_accessible)
    assert second_code != first_code
    expect(officer.locator("#turnout")).to_have_text("0 of 2 organisations have voted.")
    officer.reload()
    expect(officer.locator("#turnout")).to_have_text("1 of 2 organisations have voted.")

    # End the test's own transaction so that it reads what the live server committed.
    db.session.commit()
    vote = db.session.execute(sa.select(Vote)).scalar_one()
    ballot = db.session.execute(sa.select(Ballot)).scalar_one()
    assert (ballot.choice, ballot.version) == ("against", 2)
    vote.opens_at = utcnow() - timedelta(days=2)
    vote.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    # A page view counts nothing: the vote is being counted until the worker has counted it.
    partner.goto(vote_url)
    expect(partner.locator("#status")).to_contain_text("Closed, being counted")
    expect(partner.locator("#being-counted")).to_be_visible()
    closing.close_due_votes(utcnow())
    db.session.commit()
    partner.goto(vote_url)
    partner.get_by_role("link", name="See the result").click()
    partner.wait_for_url(re.compile(r"/results$"), wait_until="load")
    expect(partner.locator("#outcome")).to_contain_text("Rejected")
    chart = partner.get_by_role("img", name="Bar chart: share of the whole weight for each answer")
    expect(chart).to_be_visible()
    expect(chart.locator("rect")).to_have_count(3)
    expect(partner.locator("#turnout")).to_contain_text("1 of 2 organisations")
    expect(partner.locator("#who-voted-how")).to_contain_text("Against")
    assert_accessible(partner)
    db.session.commit()
    assert vote.state is VoteState.CLOSED
    expect(partner.locator("#sha256")).to_have_text(vote.ballot_record_sha256)

    # The first receipt now says it was replaced; the second that it was counted.
    partner.goto("/receipts")
    partner.get_by_label("Receipt code").fill(first_code)
    partner.get_by_role("button", name="Check receipt").click()
    expect(partner.locator("#receipt-status")).to_contain_text("Replaced")
    partner.get_by_label("Receipt code").fill(second_code)
    partner.get_by_role("button", name="Check receipt").click()
    expect(partner.locator("#receipt-status")).to_contain_text("Counted")

    browser_log.assert_clean()


def test_casting_works_without_javascript(open_page: Any, browser_log: Any) -> None:
    setting = _setting()
    vote = _open_vote(setting, "No script", "Does it work without JavaScript?", secret=True)

    page = open_page(java_script_enabled=False)
    sign_in(page, setting["partner"].email)
    page.goto(f"/areas/{setting['area'].slug}/votes/{vote.id}/cast/M83001")
    page.get_by_label("Abstain", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#your-answer")).to_have_text("Abstain")
    page.get_by_role("button", name="Cast ballot").click()
    expect(page.locator("#receipt-code")).to_have_text(RECEIPT)
    browser_log.assert_clean()


def test_the_other_voting_pages_pass_axe(
    open_page: Any, browser_log: Any, assert_accessible: Any
) -> None:
    setting = _setting()
    area, officer, partner = setting["area"], setting["officer"], setting["partner"]
    now = utcnow()

    def details(**changes: Any) -> services.VoteDetails:
        values: dict[str, Any] = {
            "title": "Federation board seat",
            "question": "Who should take the practices' seat on the federation board?",
            "body_markdown": "## Candidates\n\n* Dr Adams\n* Dr Baker",
            "kind": VoteKind.CHOICE,
            "secrecy": BallotSecrecy.SECRET,
            "options": ["Dr Adams", "Dr Baker"],
            "voting_kinds": ["practice"],
            "pcn_codes": None,
            "opens_at": now - timedelta(hours=1),
            "closes_at": now + timedelta(days=1),
            "rules": {
                "weighting": {"scheme": "banded", "band": 1000},
                "quorum": {"members": "1/2"},
                "threshold": {"rule": "plurality"},
            },
        }
        values.update(changes)
        return services.VoteDetails(**values)

    closed = services.create_vote(officer, area, details())
    services.open_vote(officer, closed, now)
    _, code = casting.cast_ballot(partner, closed, setting["practice"], "Dr Adams", now)
    closed.opens_at = now - timedelta(days=2)
    closed.closes_at = now - timedelta(seconds=1)
    closing.close_vote(closed, now)
    open_vote = services.create_vote(officer, area, details(title="Open one"))
    services.open_vote(officer, open_vote, now)
    conflicts.declare_conflict(
        partner,
        open_vote,
        setting["practice"],
        InterestCategory.FINANCIAL,
        "A partner sits on the federation board",
        now,
    )
    services.create_vote(officer, area, details(title="A draft"))
    db.session.commit()

    page = open_page()
    sign_in(page, officer.email)
    votes = f"/areas/{area.slug}/votes"
    for url in (
        f"{votes}/",
        f"{votes}/{open_vote.id}",
        f"{votes}/{closed.id}/results",
        f"{votes}/interests",
        "/receipts",
    ):
        page.goto(url, wait_until="load")
        assert_accessible(page)
    # Receipt codes go by POST: the page with a receipt found, then with a code not found.
    for receipt_code in (code, "NOPE-NOPE-NOPE-NOPE"):
        page.get_by_label("Receipt code").fill(receipt_code)
        page.get_by_role("button", name="Check receipt").click()
        page.wait_for_load_state("load")
        assert_accessible(page)
    expect(page.get_by_role("alert")).to_contain_text("No ballot has this receipt code")

    partner_page = open_page()
    sign_in(partner_page, partner.email)
    partner_page.goto(f"{votes}/{open_vote.id}", wait_until="load")
    expect(partner_page.locator("#conflicts")).to_be_visible()
    assert_accessible(partner_page)
    # The unknown receipt's page is a 404 on purpose; nothing else may have failed.
    expected = "/receipts"  # the code not found answers 404 to its POST
    browser_log.failed_requests = [f for f in browser_log.failed_requests if expected not in f]
    browser_log.console_errors = [e for e in browser_log.console_errors if expected not in e]
    browser_log.assert_clean()


def test_an_officer_cancels_an_open_vote_and_the_partner_is_told_why(
    open_page: Any, browser_log: Any, assert_accessible: Any
) -> None:
    setting = _setting()
    vote = _open_vote(setting, "Called off", "Should the LMC back the hub pilot?")
    vote_url = f"/areas/{setting['area'].slug}/votes/{vote.id}"

    officer = open_page()
    sign_in(officer, setting["officer"].email)
    officer.goto(vote_url)
    officer.get_by_text("Cancel this vote").click()
    assert_accessible(officer)
    officer.get_by_role("button", name="Cancel the vote").click()
    expect(officer.locator(".nhsuk-error-summary")).to_contain_text(
        "Give the reason for cancelling the vote"
    )
    assert_accessible(officer)
    officer.get_by_label("Why is the vote being cancelled?").fill(
        "The ICB withdrew the hub pilot this morning."
    )
    officer.get_by_role("button", name="Cancel the vote").click()
    officer.wait_for_url(re.compile(rf"{vote_url}$"), wait_until="load")
    expect(officer.get_by_role("status")).to_contain_text("The vote has been cancelled")
    expect(officer.get_by_text("Cancel this vote")).to_have_count(0)

    partner = open_page(java_script_enabled=False)
    sign_in(partner, setting["partner"].email)
    partner.goto(vote_url)
    callout = partner.locator("#cancelled")
    expect(callout).to_contain_text("This vote was cancelled")
    expect(callout).to_contain_text("by Olive Officer")
    expect(callout).to_contain_text("The ICB withdrew the hub pilot this morning.")
    expect(partner.locator("#your-ballots")).to_have_count(0)
    browser_log.assert_clean()
