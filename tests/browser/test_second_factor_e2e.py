"""The second factor in Chromium: an LMC officer signs in with password and code, and a newly
invited officer is made to set up an authenticator app before anything else."""

from __future__ import annotations

import re
import time
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect

from portal.accounts import services
from portal.accounts.models import Role
from portal.database import utcnow
from portal.extensions import db
from portal.mail import deliver_queued
from portal.organisations.models import OrganisationKind
from tests.browser.pages import AREA_HOME, CODE_STEP_PATH, enter_code, fill_sign_in
from tests.factories import make_area, make_organisation, make_user

pytestmark = pytest.mark.browser

NEW_PASSWORD = "kettle lantern orchard quietly"
INVITATION_LINK = re.compile(r"/accounts/invitations/[A-Za-z0-9_-]+")


def _lmc_area() -> tuple[Any, Any]:
    area = make_area(slug="north-staffs", name="North Staffordshire ICB")
    lmc = make_organisation(area, OrganisationKind.LMC, ods_code="LMC01", name="North Staffs LMC")
    return area, lmc


def test_an_lmc_officer_signs_in_with_password_and_code(
    open_page: Any, browser_log: Any, assert_accessible: Any
) -> None:
    area, lmc = _lmc_area()
    officer = make_user(lmc, Role.LMC_OFFICER, email="olu.officer@example.nhs.uk", name="Olu")
    page = open_page()
    page.goto("/accounts/login", wait_until="load")
    fill_sign_in(page, officer.email)
    page.wait_for_url(re.compile(re.escape(CODE_STEP_PATH) + "$"), wait_until="load")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code from your app")
    assert_accessible(page)
    enter_code(page, "000000")
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    enter_code(page, pyotp.TOTP(officer.totp_secret).now())
    page.wait_for_url(AREA_HOME, wait_until="load")
    expect(page.get_by_role("banner")).to_contain_text("Olu")
    browser_log.assert_clean()


def test_a_new_officer_sets_up_the_app_at_first_sign_in(
    app: Any,
    open_page: Any,
    browser_log: Any,
    assert_accessible: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    area, lmc = _lmc_area()
    admin = make_user(lmc, Role.AREA_ADMIN, email="ada.admin@example.nhs.uk")
    email = "nia.newofficer@example.nhs.uk"
    # The invitation goes to the outbox folder, as a CLI command's email would after commit.
    monkeypatch.setitem(app.config, "SMTP_HOST", None)
    services.invite(admin, lmc, email=email, name="Nia New", role=Role.LMC_OFFICER, now=utcnow())
    db.session.commit()
    deliver_queued()

    page = open_page()
    page.goto(_invitation_path(app, email), wait_until="load")
    page.get_by_label("Create a password").fill(NEW_PASSWORD)
    page.get_by_label("Confirm your password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create account and join").click()
    page.wait_for_url(re.compile(r"/accounts/second-factor$"), wait_until="load")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    assert_accessible(page)
    # Nothing else opens until the app is set up.
    page.goto(f"/areas/{area.slug}/", wait_until="load")
    assert page.url.endswith("/accounts/second-factor")
    expect(page.locator("svg[role=img] title")).to_have_text("QR code for your authenticator app")

    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code from your app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    assert_accessible(page)
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url(AREA_HOME, wait_until="load")

    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/accounts/login$"), wait_until="load")
    fill_sign_in(page, email, NEW_PASSWORD)
    page.wait_for_url(re.compile(re.escape(CODE_STEP_PATH) + "$"), wait_until="load")
    # The code used at set-up is spent; the app's next one works.
    enter_code(page, pyotp.TOTP(secret).at(time.time() + 30))
    page.wait_for_url(AREA_HOME, wait_until="load")
    browser_log.assert_clean()


def _invitation_path(app: Any, email: str) -> str:
    for path in sorted(Path(app.config["OUTBOX_DIR"]).glob("*.eml"), reverse=True):
        message = message_from_bytes(path.read_bytes(), policy=default)
        if message["To"] == email:
            return INVITATION_LINK.search(message.get_body(("plain",)).get_content()).group(0)
    raise AssertionError(f"no invitation to {email} in the outbox")
