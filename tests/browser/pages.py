"""Steps the browser tests share."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page

from tests.factories import DEFAULT_PASSWORD

# Signing in lands on the home page of what needs the person, or on the page asked for.
AREA_HOME = re.compile(r"^http://[^/]+/(areas/.*)?$")


def fill_sign_in(page: Page, email: str, password: str = DEFAULT_PASSWORD) -> None:
    """Fill in and send the sign-in form the page is showing."""
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in(
    page: Page,
    email: str,
    *,
    password: str = DEFAULT_PASSWORD,
    next_path: str | None = None,
    lands_on: Any = None,
) -> None:
    """Sign in through the form and wait for the page the portal lands on: ``next_path`` when
    given, else ``lands_on`` (a pattern), else the home page or an area's pages."""
    page.goto("/accounts/login" + (f"?next={next_path}" if next_path else ""), wait_until="load")
    fill_sign_in(page, email, password)
    if next_path:
        lands_on = re.compile(re.escape(next_path) + "$")
    page.wait_for_url(lands_on or AREA_HOME, wait_until="load")
