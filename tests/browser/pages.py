"""Steps the browser tests share."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Page

from tests.factories import DEFAULT_PASSWORD, fresh_totp_code

# Signing in lands on the home page of what needs the person, or on the page asked for.
AREA_HOME = re.compile(r"^http://[^/]+/(areas/.*)?$")
SIGN_IN_PATH = "/accounts/login"
CODE_STEP_PATH = "/accounts/login/code"


def fill_sign_in(page: Page, email: str, password: str = DEFAULT_PASSWORD) -> None:
    """Fill in and send the sign-in form the page is showing."""
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def enter_code(page: Page, code: str) -> None:
    """Fill in and send the second step of signing in: the code from the app."""
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Continue").click()


def sign_in(
    page: Page,
    email: str,
    *,
    password: str = DEFAULT_PASSWORD,
    next_path: str | None = None,
    lands_on: Any = None,
) -> None:
    """Sign in through the form and wait for the page the portal lands on: ``next_path`` when
    given, else ``lands_on`` (a pattern), else the home page or an area's pages. An account with
    a second factor is asked for a code, which is made from its authenticator secret."""
    page.goto(SIGN_IN_PATH + (f"?next={next_path}" if next_path else ""), wait_until="load")
    fill_sign_in(page, email, password)
    page.wait_for_url(lambda url: urlsplit(url).path != SIGN_IN_PATH, wait_until="load")
    if urlsplit(page.url).path == CODE_STEP_PATH:
        enter_code(page, fresh_totp_code(email))
    if next_path:
        lands_on = re.compile(re.escape(next_path) + "$")
    page.wait_for_url(lands_on or AREA_HOME, wait_until="load")


def follow_menu_link(page: Page, name: str) -> None:
    """Follow a link of the header's menu, as a person would: where the menu is too long for
    the screen, the NHS.UK header moves the last items under "More", which is opened first."""
    menu = page.get_by_role("navigation", name="Menu")
    link = menu.get_by_role("link", name=name, exact=True).first
    if not link.is_visible():
        menu.get_by_role("button", name="Browse More").click()
        link = menu.get_by_role("link", name=name, exact=True).last
    link.click()


def page_width(page: Page) -> int:
    """How wide the page lays itself out, measured once it has loaded: a click that navigates
    returns before the new page's stylesheets arrive, and a page measured without them is as
    wide as its widest unstyled table (a flake seen on a loaded CI machine)."""
    page.wait_for_load_state("load")
    # Two animation frames: the page has laid itself out (and its scripts have run) again.
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    width: int = page.evaluate("() => document.documentElement.scrollWidth")
    return width
