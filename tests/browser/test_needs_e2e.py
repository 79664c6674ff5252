"""Needs end to end in Chromium: a GP partner raises a practice need, a partner of another
practice supports it, and an LMC officer triages it (in a browser with JavaScript off)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from portal.accounts.models import Role
from tests.browser.pages import sign_in
from tests.factories import (
    Org,
    Person,
    World,
    lmc,
    make_world,
    pcn,
)

pytestmark = pytest.mark.browser

NEED_URL = re.compile(r"/areas/mid-staffs/needs/(\d+)$")


def _needs_people() -> World:
    return make_world(
        [
            pcn("pcn", ods_code="U11111", name="Trent PCN"),
            Org(
                "riverside", ods_code="M81001", name="Riverside Surgery", list_size=12000, pcn="pcn"
            ),
            Org("hillside", ods_code="M81002", name="Hillside Practice", list_size=5500, pcn="pcn"),
            lmc(ods_code="LMC01", name="Mid Staffs LMC"),
        ],
        [
            Person(
                "raiser",
                "riverside",
                Role.GP_PARTNER,
                email="rita.raiser@example.nhs.uk",
                name="Rita Raiser",
            ),
            Person(
                "supporter",
                "hillside",
                Role.PRACTICE_MANAGER,
                email="sam.support@example.nhs.uk",
                name="Sam Support",
            ),
            Person(
                "officer",
                "lmc",
                Role.LMC_OFFICER,
                email="olu.officer@example.nhs.uk",
                name="Olu Officer",
            ),
        ],
        slug="mid-staffs",
        name="Mid Staffordshire ICB",
    )


def test_a_practice_need_is_raised_supported_and_triaged(
    open_page: Any, browser_log: Any, assert_accessible: Any
) -> None:
    people = _needs_people()

    # A GP partner of Riverside raises a need for the practice.
    raiser = open_page()
    sign_in(raiser, people["raiser"].email)
    raiser.goto("/areas/mid-staffs/needs/", wait_until="load")
    expect(raiser.get_by_role("heading", level=1)).to_have_text("Needs")
    assert_accessible(raiser)
    raiser.get_by_role("link", name="Practice needs").click()
    raiser.get_by_role("link", name="Raise a practice need").click()
    expect(raiser.get_by_role("heading", level=1)).to_have_text("Raise a practice need")
    assert_accessible(raiser)
    raiser.get_by_role("button", name="Raise need").click()
    expect(raiser.get_by_role("alert")).to_contain_text("Enter a title")
    assert_accessible(raiser)
    raiser.get_by_label("Title").fill("Phlebotomy moved to practices without funding")
    raiser.get_by_label("Describe the need").fill(
        "Since the clinic closed we see **60 extra** blood tests a week."
    )
    raiser.get_by_label("Contract and funding").check()
    raiser.get_by_label("Urgent").check()
    raiser.get_by_role("button", name="Raise need").click()
    raiser.wait_for_url(NEED_URL, wait_until="load")
    need_path = NEED_URL.search(raiser.url).group(0)
    expect(raiser.get_by_role("status")).to_contain_text("raised for Riverside Surgery")
    expect(raiser.locator("#raised-by")).to_contain_text("Rita Raiser, for Riverside Surgery")
    expect(raiser.locator("#description strong")).to_have_text("60 extra")
    expect(raiser.locator("#support-totals")).to_contain_text(
        "1 organisation covering 12,000 registered patients"
    )
    assert_accessible(raiser)

    # A practice manager of Hillside finds it in the list and supports it.
    supporter = open_page()
    sign_in(supporter, people["supporter"].email)
    supporter.goto("/areas/mid-staffs/needs/practice/", wait_until="load")
    search = supporter.get_by_role("search")
    search.get_by_label("Search").fill("phlebotomy")
    search.get_by_role("button", name="Show needs").click()
    expect(supporter.locator("#need-count")).to_contain_text("1 need matches your search")
    assert_accessible(supporter)
    supporter.get_by_role("link", name="Phlebotomy moved to practices without funding").click()
    supporter.wait_for_url(NEED_URL, wait_until="load")
    supporter.get_by_role("button", name="Add support from Hillside Practice").click()
    supporter.wait_for_url(NEED_URL, wait_until="load")
    expect(supporter.get_by_role("status")).to_contain_text("Hillside Practice now supports")
    expect(supporter.locator("#support-totals")).to_contain_text(
        "2 organisations covering 17,500 registered patients"
    )
    expect(supporter.locator("#supporters")).to_contain_text("Supported by Sam Support")
    assert_accessible(supporter)

    # An LMC officer triages it, in a browser with JavaScript switched off.
    officer = open_page(java_script_enabled=False)
    sign_in(officer, people["officer"].email)
    officer.goto(need_path, wait_until="load")
    officer.get_by_label("Declined").check()
    officer.get_by_role("button", name="Change status").click()
    expect(officer.locator(".nhsuk-error-summary")).to_contain_text(
        "Give the reason for declining the need"
    )
    officer.get_by_label("In negotiation").check()
    officer.get_by_label("Reason").fill("Raised with the ICB; meeting booked.")
    officer.get_by_role("button", name="Change status").click()
    officer.wait_for_url(NEED_URL, wait_until="load")
    expect(officer.get_by_role("status")).to_contain_text("is now in negotiation")
    expect(officer.locator("#need-tags")).to_contain_text("In negotiation")
    history = officer.locator("#status-history")
    expect(history).to_contain_text("New to In negotiation")
    expect(history).to_contain_text("Raised with the ICB; meeting booked.")
    officer.goto("/areas/mid-staffs/needs/overview", wait_until="load")
    expect(officer.locator("#dashboard-practice")).to_contain_text("Contract and funding")
    expect(officer.locator("#dashboard-pcn")).to_be_visible()

    # The practice that raised it sees the decision and who made it.
    raiser.reload(wait_until="load")
    expect(raiser.locator("#need-status")).to_contain_text("In negotiation")
    expect(raiser.locator("#status-history")).to_contain_text("Olu Officer")

    browser_log.assert_clean()
