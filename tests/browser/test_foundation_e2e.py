"""The foundation end to end in Chromium: sign in, the area and its practices, sign out,
joining by invitation, pages without JavaScript and on a phone-sized screen."""

from __future__ import annotations

import re
import time
from datetime import date
from decimal import Decimal
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from portal.accounts.models import Role
from portal.extensions import db as database
from portal.organisations.models import OrganisationKind
from tests.browser.pages import fill_sign_in, follow_menu_link, sign_in
from tests.factories import (
    Org,
    Person,
    World,
    make_organisation,
    make_user,
    make_world,
    pcn,
)

pytestmark = pytest.mark.browser

SCREENSHOT = Path("/tmp/e2e-area.png")
INVITATION_LINK = re.compile(r"https?://\S+/accounts/invitations/[A-Za-z0-9_-]+")
NEW_PASSWORD = "kettle lantern orchard quietly"
PHONE_WIDTH = 375
SIGN_IN_URL = re.compile(r"/accounts/login(\?.*)?$")


def _two_practices_and_a_partner() -> World:
    world = make_world(
        [
            pcn("pcn", ods_code="U12345", name="North Stoke Primary Care Network"),
            Org(
                "practice",
                ods_code="M83001",
                name="Riverside Surgery",
                list_size=12345,
                weighted_list_size=Decimal("13210.50"),
                pcn="pcn",
            ),
        ],
        slug="north-staffs",
        name="North Staffordshire ICB",
    )
    # The importer records the date of each weighted list size; the factory does not.
    world.practice.weighted_list_size_date = date(2025, 4, 1)
    database.session.commit()
    return world.add(
        [Org("hillside", ods_code="M83002", name="Hillside Medical Practice", list_size=6789)],
        [
            Person(
                "partner",
                "practice",
                Role.GP_PARTNER,
                email="priya.partner@example.nhs.uk",
                name="Priya Partner",
            )
        ],
    )


HOME_URL = re.compile(r"^http://[^/]+/$")


def _area_url(area: Any, rest: str = "") -> re.Pattern[str]:
    return re.compile(rf"/areas/{re.escape(area.slug)}/{re.escape(rest)}(\?.*)?$")


def _practice_row(page: Page, name: str) -> Any:
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=name, exact=True))


def test_gp_partner_signs_in_sees_the_area_and_its_practices_and_signs_out(
    page: Page, browser_log: Any, assert_accessible: Any
) -> None:
    data = _two_practices_and_a_partner()
    area, practice, partner = data["area"], data["practice"], data["partner"]

    page.goto("/", wait_until="load")
    expect(page.get_by_role("heading", name="GP Collective Voice", level=1)).to_be_visible()
    page.get_by_role("link", name="Sign in").click()
    page.wait_for_url(SIGN_IN_URL, wait_until="load")
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    assert_accessible(page)

    fill_sign_in(page, partner.email)
    page.wait_for_url(HOME_URL, wait_until="load")
    expect(page.get_by_role("heading", name="What needs you", level=1)).to_be_visible()
    page.get_by_role("link", name="North Staffordshire ICB: area overview").click()
    page.wait_for_url(_area_url(area), wait_until="load")
    expect(page).to_have_title(re.compile(r"^Overview \u2013 North Staffordshire ICB"))
    expect(page.get_by_role("banner")).to_contain_text("North Staffordshire ICB")
    expect(page.get_by_role("banner")).to_contain_text("Priya Partner")
    expect(page.locator("#open-practices")).to_have_text("2")
    expect(page.locator("#registered-patients")).to_contain_text("19,134")
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert_accessible(page)

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Practices").click()
    page.wait_for_url(_area_url(area, "practices"), wait_until="load")
    expect(page.get_by_role("heading", name="GP practices", level=1)).to_be_visible()
    expect(page.locator("#practice-count")).to_contain_text("2 open practices")
    row = _practice_row(page, practice.name)
    expect(row).to_have_count(1)
    cells = row.get_by_role("cell")
    expect(cells.nth(0)).to_contain_text("M83001")
    expect(cells.nth(2)).to_contain_text("North Stoke Primary Care Network")
    expect(cells.nth(3)).to_contain_text("12,345")
    expect(cells.nth(4)).to_contain_text("13,210.50")
    assert_accessible(page)

    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    page.wait_for_url(SIGN_IN_URL, wait_until="load")
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("You have signed out.")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    # The session really ended: the area sends the visitor back to sign in.
    page.goto(f"/areas/{area.slug}/", wait_until="load")
    expect(page).to_have_url(SIGN_IN_URL)

    browser_log.assert_clean()


def _newest_email_to(outbox: Path, address: str) -> Any:
    # Email goes once the response has been sent, so it may land a moment after the page.
    deadline = time.monotonic() + 10
    messages: list[Any] = []
    while not messages and time.monotonic() < deadline:
        for path in outbox.glob("*.eml"):
            message = message_from_bytes(path.read_bytes(), policy=default_policy)
            if message["To"] == address:
                messages.append((path.stat().st_mtime_ns, path.name, message))
        if not messages:
            time.sleep(0.05)
    assert messages, f"no email to {address} in {outbox}"
    return max(messages, key=lambda item: item[:2])[2]


def test_area_admin_invites_a_partner_who_joins_through_the_emailed_link(
    app: Any,
    open_page: Any,
    browser_log: Any,
    assert_accessible: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The invitation must go to the outbox folder, not to an SMTP server set in the environment.
    monkeypatch.setitem(app.config, "SMTP_HOST", None)
    data = _two_practices_and_a_partner()
    area, practice = data["area"], data["practice"]
    lmc = make_organisation(
        area, OrganisationKind.LMC, ods_code="LMC01", name="North Staffordshire LMC"
    )
    admin = make_user(lmc, Role.AREA_ADMIN, email="ada.admin@example.nhs.uk", name="Ada Admin")
    invitee_email = "nadia.newpartner@example.nhs.uk"

    admin_page = open_page()
    sign_in(admin_page, admin.email, lands_on=HOME_URL)
    follow_menu_link(admin_page, "Members")
    admin_page.wait_for_url(_area_url(area, "admin/members"), wait_until="load")
    admin_page.get_by_role("link", name="Invite someone").click()
    admin_page.wait_for_url(_area_url(area, "admin/members/invite"), wait_until="load")
    expect(admin_page.get_by_role("heading", level=1)).to_have_text(
        "Invite someone to North Staffordshire ICB"
    )
    assert_accessible(admin_page)
    admin_page.get_by_label("Full name").fill("Nadia Newpartner")
    admin_page.get_by_label("Email address").fill(invitee_email)
    admin_page.get_by_label("Organisation").select_option(
        label=f"{practice.name} (GP practice, {practice.ods_code})"
    )
    admin_page.get_by_label("Role").select_option(label="GP partner")
    admin_page.get_by_role("button", name="Send invitation").click()
    admin_page.wait_for_url(_area_url(area, "admin/members"), wait_until="load")
    expect(admin_page.get_by_role("status")).to_contain_text(f"Invitation sent to {invitee_email}")

    message = _newest_email_to(Path(app.config["OUTBOX_DIR"]), invitee_email)
    assert (
        message["Subject"] == "You are invited to GP Collective Voice for North Staffordshire ICB"
    )
    link = INVITATION_LINK.search(message.get_body(("plain",)).get_content())
    assert link, message.get_body(("plain",)).get_content()
    invitation_path = urlsplit(link.group(0)).path

    # The invitee has never signed in: a fresh context with no cookies.
    invitee_page = open_page()
    invitee_page.goto(invitation_path, wait_until="load")
    expect(invitee_page.get_by_role("heading", level=1)).to_have_text("Join Riverside Surgery")
    expect(invitee_page.get_by_label("Your full name")).to_have_value("Nadia Newpartner")
    assert_accessible(invitee_page)
    invitee_page.get_by_label("Create a password").fill(NEW_PASSWORD)
    invitee_page.get_by_label("Confirm your password").fill(NEW_PASSWORD)
    invitee_page.get_by_role("button", name="Create account and join").click()

    invitee_page.wait_for_url(HOME_URL, wait_until="load")
    expect(invitee_page.get_by_role("status")).to_contain_text(
        "Welcome. You have joined Riverside Surgery."
    )
    banner = invitee_page.get_by_role("banner")
    expect(banner).to_contain_text("North Staffordshire ICB")
    expect(banner).to_contain_text("Nadia Newpartner")
    expect(banner.get_by_role("button", name="Sign out")).to_be_visible()
    invitee_page.get_by_role("link", name="North Staffordshire ICB: area overview").click()
    invitee_page.wait_for_url(_area_url(area), wait_until="load")
    roles = invitee_page.get_by_role("table").filter(has_text="Your roles")
    expect(roles.get_by_role("row").filter(has_text="Riverside Surgery")).to_contain_text(
        "GP partner"
    )

    browser_log.assert_clean()


def test_sign_in_and_practices_work_without_javascript(open_page: Any, browser_log: Any) -> None:
    data = _two_practices_and_a_partner()
    area, practice = data["area"], data["practice"]
    page = open_page(java_script_enabled=False)

    sign_in(page, data["partner"].email, lands_on=HOME_URL)
    expect(page.get_by_role("banner")).to_contain_text("North Staffordshire ICB")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Practices").click()
    page.wait_for_url(_area_url(area, "practices"), wait_until="load")

    table = page.get_by_role("table").filter(has_text="Open GP practices")
    expect(table).to_be_visible()
    expect(_practice_row(page, practice.name)).to_contain_text("12,345")
    expect(_practice_row(page, "Hillside Medical Practice")).to_contain_text("6,789")

    # Searching is a plain GET form: it works without JavaScript too.
    search = page.get_by_role("search")
    search.get_by_label("Practice name or ODS code").fill("hillside")
    search.get_by_role("button").click()
    page.wait_for_url(re.compile(r"/practices\?.*q=hillside"), wait_until="load")
    expect(page.locator("#practice-count")).to_contain_text("1 open practice")
    expect(_practice_row(page, "Hillside Medical Practice")).to_have_count(1)
    expect(_practice_row(page, practice.name)).to_have_count(0)

    browser_log.assert_clean()


def test_practices_page_fits_a_phone_screen(open_page: Any, browser_log: Any) -> None:
    data = _two_practices_and_a_partner()
    area = data["area"]
    page = open_page(viewport={"width": PHONE_WIDTH, "height": 812})

    sign_in(page, data["partner"].email, lands_on=HOME_URL)
    page.goto(f"/areas/{area.slug}/practices", wait_until="load")
    expect(_practice_row(page, data["practice"].name)).to_be_visible()

    widths = page.evaluate(
        """() => ({
            document: document.documentElement.scrollWidth,
            body: document.body.scrollWidth,
            viewport: window.innerWidth,
        })"""
    )
    assert widths["viewport"] == PHONE_WIDTH
    assert widths["document"] <= PHONE_WIDTH, f"the page scrolls sideways: {widths}"

    browser_log.assert_clean()
