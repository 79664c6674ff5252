"""Every page the demo area links to, as each kind of person sees it: it answers, and it
passes axe's WCAG 2.2 AA checks.

Starting from the home page, the sweep follows the portal's own links three clicks deep for
each person, checking each kind of page once with axe (a page kind being its address with the
numbers and codes taken out) and every visited page for an answer below 400: a link a person
is shown must lead somewhere they may go. Each person's pages are also checked at a phone's
width (390 CSS pixels): axe again (its target-size rule is WCAG 2.2's 24 pixels), and no
horizontal scrolling.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from playwright.sync_api import Page

from portal.accounts.models import Role
from portal.demo.loader import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD, DEMO_PEOPLE, load_demo_area
from portal.extensions import db
from tests.browser.pages import page_width, sign_in

pytestmark = pytest.mark.browser

# One demo person in each role, and a visitor who has not signed in.
PEOPLE = [
    "partner.horsefair",
    "manager.horsefair",
    "salaried.mayfield",
    "cd.southstoke",
    "federation",
    "lmc.officer",
    "admin",
    "ics.reader",
    None,
]
PAGES_PER_PERSON = 45
MAX_DEPTH = 3
# Downloads and machine-readable answers are checked by their own tests, not by axe.
NOT_PAGES = re.compile(r"(\.csv|\.ics|\.json|\.pdf|\.atom|/documents/\d+|/api/|/accounts/logout)")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
CODES = re.compile(r"/(\d+|[A-Z]\d{5}|U\d{5}|GPV-\d{4}-\d+)(?=/|$)")


def _kind(path: str) -> str:
    return CODES.sub("/<id>", path)


def _links(page: Page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(link => link.href)")
    found = []
    for href in hrefs:
        address, _fragment = urldefrag(href)
        parts = urlsplit(address)
        if f"{parts.scheme}://{parts.netloc}" != origin or NOT_PAGES.search(parts.path):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def _check_on_a_phone(page: Page, assert_accessible: Any) -> None:
    """The page at 390 pixels wide: nothing wider than the screen, and axe passes."""
    page.set_viewport_size(PHONE)
    try:
        width = page_width(page)
        assert width <= PHONE["width"], f"{page.url} scrolls sideways at 390 px ({width} px wide)"
        assert_accessible(page)
    finally:
        page.set_viewport_size(DESKTOP)


def test_the_sweep_signs_in_as_someone_in_every_role() -> None:
    roles = {person.role for person in DEMO_PEOPLE if person.email_name in PEOPLE}
    assert roles == set(Role)


def test_every_linked_page_answers_and_passes_axe_for_each_person(
    open_page: Any, live_server: str, browser_log: Any, assert_accessible: Any
) -> None:
    load_demo_area()
    db.session.commit()
    checked_kinds: set[str] = set()
    for who in PEOPLE:
        page = open_page(viewport=DESKTOP)
        if who is None:
            start = "/"
        else:
            sign_in(page, f"{who}@{DEMO_EMAIL_DOMAIN}", password=DEMO_PASSWORD)
            start = urlsplit(page.url).path
        queue: deque[tuple[str, int]] = deque([(start, 0)])
        seen_kinds = {_kind(start)}
        visited = 0
        while queue and visited < PAGES_PER_PERSON:
            address, depth = queue.popleft()
            response = page.goto(address, wait_until="load")
            visited += 1
            assert response is not None
            assert response.status < 400, f"{who or 'a visitor'} was shown a link to {address}"
            kind = _kind(urlsplit(page.url).path)
            if kind not in checked_kinds:
                checked_kinds.add(kind)
                assert_accessible(page)
            _check_on_a_phone(page, assert_accessible)
            if depth == MAX_DEPTH:
                continue
            for link in _links(page, live_server):
                link_kind = _kind(urlsplit(link).path)
                if link_kind not in seen_kinds:
                    seen_kinds.add(link_kind)
                    queue.append((link, depth + 1))
    assert len(checked_kinds) > 40
    browser_log.assert_clean()
