"""Email preferences in Chromium on a phone: the HTML email itself, the page its link opens
(a POST button, nothing changed by opening it), and an area administrator's outbox page."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from portal.accounts.models import Role
from portal.email_kinds import Frequency, Kind
from portal.extensions import db
from portal.mail import deliver_queued, queue_email
from portal.notifications import services
from portal.organisations.models import OrganisationKind
from tests.browser.pages import follow_menu_link, page_width, sign_in
from tests.factories import make_area, make_organisation, make_user

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LINK = re.compile(r"https?://\S+/notifications/email/\S+")


def _fits_the_phone(page: Any) -> None:
    width = page_width(page)
    assert width <= PHONE["width"], f"{page.url} scrolls sideways at 390 px ({width} px wide)"


def test_a_partner_reads_the_email_on_a_phone_and_turns_that_kind_off_with_one_button(
    open_page: Any, smtp_server: Any, assert_accessible: Any
) -> None:
    area = make_area(slug="north-staffs", name="North Staffordshire ICB")
    partner = make_user(make_organisation(area), Role.GP_PARTNER, name="Priya Partner")
    queue_email(
        partner.email,
        "Vote opened: Extended access",
        "Dear Priya Partner,\n\nA vote has opened. Cast your practice's ballot here:\n"
        "https://portal.example/areas/north-staffs/votes/1\n",
        kind=Kind.VOTES_OPENED,
        area=area,
    )
    db.session.commit()
    deliver_queued()
    [message] = smtp_server.messages

    email_page = open_page(viewport=PHONE)
    email_page.set_content(message.get_body(("html",)).get_content())
    _fits_the_phone(email_page)
    assert_accessible(email_page)

    page = open_page(viewport=PHONE)
    link = LINK.search(message.get_content()).group(0)
    page.goto(urlsplit(link).path)
    expect(page.get_by_role("heading", name="Choose how you get these emails")).to_be_visible()
    _fits_the_phone(page)
    assert_accessible(page)
    assert services.frequency_for(partner, Kind.VOTES_OPENED) is Frequency.IMMEDIATE

    page.get_by_label("Do not email me").check()
    page.get_by_role("button", name="Save this choice").click()

    expect(page.get_by_role("heading", name="Your choice is saved")).to_be_visible()
    db.session.commit()
    assert services.frequency_for(partner, Kind.VOTES_OPENED) is Frequency.OFF


def test_preferences_from_the_profile_and_the_outbox_for_an_administrator_on_a_phone(
    open_page: Any, assert_accessible: Any
) -> None:
    area = make_area(slug="north-staffs", name="North Staffordshire ICB")
    admin = make_user(make_organisation(area, OrganisationKind.LMC), Role.AREA_ADMIN)
    queue_email("partner@example.nhs.uk", "Reminder: Extended access", "Vote.\n", area=area)
    db.session.commit()
    page = open_page(viewport=PHONE)
    sign_in(page, admin.email)

    follow_menu_link(page, "Outbox")
    expect(page.get_by_role("heading", name="Outbox")).to_be_visible()
    expect(page.get_by_text("Reminder: Extended access")).to_be_visible()
    _fits_the_phone(page)
    assert_accessible(page)

    page.goto("/accounts/profile")
    page.get_by_role("link", name="Change your email preferences").click()
    expect(page.get_by_role("heading", name="Your email preferences")).to_be_visible()
    _fits_the_phone(page)
    assert_accessible(page)
    page.get_by_role("group", name="Trust pulse rounds").get_by_label("In a weekly digest").check()
    page.get_by_role("button", name="Save your email preferences").click()
    expect(page.get_by_text("Your email preferences are saved")).to_be_visible()
    db.session.commit()
    assert services.frequency_for(admin, Kind.TRUST) is Frequency.WEEKLY
