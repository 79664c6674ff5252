"""Statements and results print cleanly on A4: Chromium's own PDF printing, read back as
text, holds the content and none of the header's menus, buttons or forms."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import pytest
import sqlalchemy as sa

from portal.demo.loader import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD, load_demo_area
from portal.extensions import db
from portal.statements.models import Statement
from portal.voting.models import Vote, VoteState
from tests.browser.pages import sign_in

pytestmark = pytest.mark.browser

A4_POINTS = (595.28, 841.89)  # 210 by 297 mm; Chromium rounds to whole device pixels


def _printed_text(page: Any) -> tuple[str, bytes]:
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    data = page.pdf(format="A4", print_background=True)
    assert data.startswith(b"%PDF-")
    text = subprocess.run(
        [pdftotext, "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    return text, data


def _all_pages_a4(data: bytes) -> bool:
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    return bool(boxes) and all(
        abs(float(width) - A4_POINTS[0]) < 2 and abs(float(height) - A4_POINTS[1]) < 2
        for width, height in boxes
    )


def test_a_public_statement_prints_on_a4_without_the_sites_controls(
    open_page: Any, browser_log: Any
) -> None:
    load_demo_area()
    db.session.commit()
    statement = db.session.execute(sa.select(Statement).limit(1)).scalar_one()
    page = open_page()
    page.goto(f"/statements/{statement.reference}", wait_until="load")
    text, data = _printed_text(page)
    assert statement.reference in text
    assert statement.title.split(":")[0] in text
    for control in ("Sign in", "Skip to main content", "Back to"):
        assert control not in text
    assert _all_pages_a4(data)
    browser_log.assert_clean()


def test_a_result_prints_on_a4_without_menus(open_page: Any, browser_log: Any) -> None:
    load_demo_area()
    db.session.commit()
    vote = db.session.execute(
        sa.select(Vote).where(Vote.state == VoteState.CLOSED).limit(1)
    ).scalar_one()
    page = open_page()
    sign_in(page, f"lmc.officer@{DEMO_EMAIL_DOMAIN}", password=DEMO_PASSWORD)
    page.goto(f"/areas/{vote.area.slug}/votes/{vote.id}/results", wait_until="load")
    text, data = _printed_text(page)
    assert vote.title.split(":")[0] in text
    assert "Turnout" in text
    for control in ("Sign out", "Overview", "Audit log", "Search"):
        assert control not in text
    assert _all_pages_a4(data)
    browser_log.assert_clean()
