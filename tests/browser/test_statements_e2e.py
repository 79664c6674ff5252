"""A statement end to end in Chromium: a position agreed by a closed, passed vote (built through
the services) is published by an LMC officer with JavaScript switched off; an ICS reader finds
it, reads it, records the ICS's response, then gets it through the Atom feed and as a PDF. The
publish, statement, index and response pages pass axe."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import feedparser
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from portal.extensions import db
from portal.positions.models import PositionState
from portal.statements.models import Statement
from portal.tiers import Tier
from tests.browser.pages import sign_in
from tests.factories import make_world
from tests.statements.helpers import STATEMENTS_WORLD, add_proposal, agree_position, decided_vote

pytestmark = pytest.mark.browser

REFERENCE = re.compile(r"/statements/(GPV-\d{4}-\d{3})$")


def test_officer_publishes_and_an_ics_reader_reads_it_everywhere(
    open_page: Any, browser_log: Any, assert_accessible: Any
) -> None:
    setting = make_world(**STATEMENTS_WORLD)
    vote = decided_vote(setting)
    proposal = add_proposal(setting, "Enhanced access from one hub per PCN")
    position = agree_position(
        setting,
        vote,
        title="Enhanced access hubs: our position",
        tier=Tier.GROUP,
        proposal=proposal,
    )

    # The officer publishes without JavaScript: every step is a plain form.
    officer = open_page(java_script_enabled=False)
    sign_in(officer, setting.officer.email, next_path="/statements")
    officer.get_by_role("link", name="Publish an agreed position").click()
    officer.wait_for_url(re.compile(r"/statements/publish$"), wait_until="load")
    officer.get_by_role("link", name="Enhanced access hubs: our position").click()
    officer.wait_for_url(re.compile(rf"/statements/publish/{position.id}$"), wait_until="load")
    expect(officer.locator("#provenance-preview")).to_contain_text(
        "3 organisations for (75.0 % of the weight), 1 against (25.0 %)"
    )
    officer.get_by_label("ICS: the group and the ICS's readers").check()
    officer.get_by_label("Every organisation that voted for it").check()
    officer.get_by_role("button", name="Check the statement").click()
    # The check page: the statement as readers will see it, published only from here.
    expect(officer.get_by_role("heading", level=1)).to_contain_text("Check before you publish")
    expect(officer.locator("#signatory-count")).to_contain_text("3 organisations")
    expect(officer.locator("#signatories ~ ul").first).not_to_contain_text("Meadow")
    officer.get_by_role("button", name="Publish statement").click()
    officer.wait_for_url(REFERENCE, wait_until="load")
    reference = REFERENCE.search(officer.url).group(1)
    expect(officer.get_by_role("status")).to_contain_text(
        f"Statement {reference} was published at "
    )
    expect(officer.locator("#signatories ~ ul").first).to_contain_text("Castle Street Surgery")

    db.session.commit()  # read what the live server committed
    statement = db.session.execute(sa.select(Statement)).scalar_one()
    assert statement.reference == reference
    assert statement.tier is Tier.ICS
    db.session.refresh(position)
    assert position.state is PositionState.PUBLISHED

    # The ICS reader finds it by searching, reads it and records the ICS's response.
    reader = open_page()
    sign_in(reader, setting.ics_reader.email, next_path="/statements")
    assert_accessible(reader)
    reader.get_by_label("Words in the title or text").fill("hubs")
    reader.get_by_role("button", name="Search statements").click()
    expect(reader.locator("#statement-count")).to_contain_text("1 statement matches your search")
    reader.get_by_role("link", name="Enhanced access hubs: our position").click()
    reader.wait_for_url(re.compile(rf"/statements/{reference}$"), wait_until="load")
    expect(reader.get_by_role("heading", level=1)).to_contain_text(
        "Enhanced access hubs: our position"
    )
    expect(reader.locator("#provenance-text")).to_have_text(statement.provenance)
    expect(reader.locator("#proposal")).to_contain_text("Enhanced access from one hub per PCN")
    expect(reader.locator("#statement-body strong")).to_have_text("one hub")
    expect(reader.locator("#no-response")).to_be_visible()
    # ICS readers never see the group's votes: no link to the results.
    expect(reader.locator("#results-link")).to_have_count(0)
    assert_accessible(reader)
    reader.get_by_role("link", name="Record the ICS's response").click()
    reader.wait_for_url(re.compile(r"/respond$"), wait_until="load")
    assert_accessible(reader)
    reader.get_by_label("What the ICS did").fill("We accepted **both** conditions.")
    reader.get_by_role("button", name="Record response").click()
    reader.wait_for_url(re.compile(rf"/statements/{reference}#responses$"), wait_until="load")
    expect(reader.locator("#response-1")).to_contain_text("We accepted both conditions.")

    # The feed: the signed-in reader's session sees the ICS statement; a feed reader without
    # cookies gets only public statements.
    feed = reader.request.get("/statements.atom")
    assert feed.ok
    assert feed.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(feed.body())
    assert parsed.bozo == 0
    assert [entry.title for entry in parsed.entries] == [
        f"{reference}: Enhanced access hubs: our position"
    ]
    assert "We accepted" in parsed.entries[0].content[0].value
    anonymous = open_page()
    assert feedparser.parse(anonymous.request.get("/statements.atom").body()).entries == []
    assert anonymous.request.get(f"/statements/{reference}").status == 404

    # The PDF, from the link on the page.
    reader.goto(f"/statements/{reference}")
    href = reader.get_by_role("link", name=f"{reference} as a PDF letter").get_attribute("href")
    pdf = reader.request.get(href)
    assert pdf.ok
    assert pdf.headers["content-type"] == "application/pdf"
    data = pdf.body()
    assert data.startswith(b"%PDF-")
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        text = subprocess.run(
            [pdftotext, "-", "-"], input=data, capture_output=True, check=True
        ).stdout.decode()
        assert f"Statement {reference}" in text
        assert "We accepted both conditions." in text

    browser_log.assert_clean()
