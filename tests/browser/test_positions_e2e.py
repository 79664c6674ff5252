"""ICS proposals and drafting end to end in Chromium: an LMC officer records a proposal with a
PDF, a GP partner drafts the group's response and leads it, another partner proposes an
amendment (with JavaScript switched off), the lead accepts it, and the vote opens on the frozen
revision. Every page on the way passes axe.

Votes are opened through ``portal.voting``, which lets only LMC officers and area
administrators open them: the partner who leads the draft is told to ask an officer, and the
officer opens it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from portal.accounts.models import Role
from portal.database import utcnow
from portal.extensions import db
from portal.positions.models import (
    Amendment,
    AmendmentState,
    Position,
    PositionState,
    ProposalDocument,
)
from portal.tiers import Tier
from portal.times import LONDON
from portal.voting.models import Vote, VoteState
from tests.browser.pages import sign_in
from tests.factories import Org, Person, World, lmc, make_world, pcn
from tests.positions.conftest import pdf_bytes

pytestmark = pytest.mark.browser

BODY = (
    "The ICB proposes to move routine phlebotomy into practices at £4.10 per sample.\n\n"
    "Practices should be free to opt in or out each year.\n\n"
    "The community clinics should stay open until practices have recruited."
)


@pytest.fixture(autouse=True)
def upload_dir(app: Any, tmp_path: Any) -> Any:
    """The live server shares the app: its documents go to this test's own folder."""
    previous = app.config.get("UPLOAD_DIR")
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    yield tmp_path / "uploads"
    app.config["UPLOAD_DIR"] = previous


def _setting() -> World:
    return make_world(
        [
            pcn("pcn", ods_code="U12345", name="North Stoke PCN"),
            *(
                Org(code, ods_code=code, name=name, list_size=size, pcn="pcn")
                for code, name, size in (
                    ("M83001", "Riverside Surgery", 12000),
                    ("M83002", "Hillside Practice", 6000),
                    ("M83003", "Castle Street Surgery", 9000),
                    ("M83004", "Meadow Surgery", 7000),
                )
            ),
            lmc(ods_code="LMC01", name="North Staffs LMC"),
        ],
        [
            Person("officer", "lmc", Role.LMC_OFFICER, name="Olive Officer"),
            Person("partner", "M83001", Role.GP_PARTNER, name="Priya Partner"),
            Person("colleague", "M83002", Role.GP_PARTNER, name="Hugo Hillside"),
        ],
        slug="north-staffs",
        name="North Staffordshire ICB",
    )


def test_a_proposal_is_answered_amended_and_put_to_the_vote(
    open_page: Any, browser_log: Any, assert_accessible: Any, upload_dir: Any
) -> None:
    setting = _setting()
    area = setting["area"]
    proposals = f"/areas/{area.slug}/proposals"

    # An LMC officer records the ICS's proposal with its paper.
    officer = open_page()
    sign_in(officer, setting["officer"].email)
    officer.goto(proposals)
    assert_accessible(officer)
    officer.get_by_role("button", name="Record a proposal").click()
    officer.wait_for_url(re.compile(r"/proposals/new$"), wait_until="load")
    assert_accessible(officer)
    officer.get_by_label("Title").fill("Phlebotomy transfer to general practice")
    officer.get_by_label("ICS or ICB reference (optional)").fill("PCCC-2026-014")
    officer.get_by_label("Body that owns the proposal").fill("Primary care commissioning committee")
    officer.get_by_label("Summary (optional)").fill("Routine phlebotomy moves to **practices**.")
    officer.get_by_label("Links to the proposal (optional)").fill("https://example.org/paper")
    deadline = (utcnow() + timedelta(days=6)).astimezone(LONDON).date()
    group = officer.get_by_role("group", name="Response deadline (optional)")
    group.get_by_label("Day").fill(str(deadline.day))
    group.get_by_label("Month").fill(str(deadline.month))
    group.get_by_label("Year").fill(str(deadline.year))
    officer.locator("input[type=file]").set_input_files(
        files=[{"name": "ICB paper.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}]
    )
    officer.get_by_role("button", name="Record the proposal").click()
    officer.wait_for_url(re.compile(r"/proposals/\d+$"), wait_until="load")
    expect(officer.get_by_role("status")).to_contain_text("has been recorded")
    expect(officer.locator("#deadline")).to_contain_text("6 days left")
    expect(officer.locator("#document-list")).to_contain_text("ICB paper.pdf")
    expect(officer.locator("#response-state")).to_have_text("No draft")
    db.session.commit()  # read what the live server committed
    assert list(db.session.scalars(sa.select(ProposalDocument.content))) == [pdf_bytes()]
    assert not upload_dir.exists() or list(upload_dir.iterdir()) == []
    assert_accessible(officer)
    proposal_url = officer.url

    # A GP partner drafts the group's response, and leads it.
    partner = open_page()
    sign_in(partner, setting["partner"].email)
    partner.goto(proposals)
    expect(partner.locator("#proposals")).to_contain_text("6 days left")
    partner.get_by_role("link", name="Phlebotomy transfer to general practice").click()
    partner.wait_for_url(proposal_url, wait_until="load")
    partner.get_by_role("button", name="Draft a response").click()
    partner.wait_for_url(re.compile(r"/positions/new\?proposal=\d+$"), wait_until="load")
    assert_accessible(partner)
    partner.get_by_label("Title").fill("Phlebotomy: fund it properly")
    partner.get_by_label("Text of the position").fill(BODY)
    partner.get_by_label("Members of the leadership group").check()
    partner.get_by_role("button", name="Save the draft").click()
    partner.wait_for_url(re.compile(r"/positions/\d+$"), wait_until="load")
    expect(partner.get_by_role("status")).to_contain_text("revision 1. You lead it.")
    expect(partner.locator("#drafting-lead")).to_have_text("Priya Partner")
    expect(partner.locator("#paragraph-3")).to_contain_text("stay open until practices")
    assert_accessible(partner)
    position_url = partner.url

    # Another partner proposes an amendment to paragraph 3, with JavaScript switched off.
    colleague = open_page(java_script_enabled=False)
    sign_in(colleague, setting["colleague"].email)
    colleague.goto(position_url)
    colleague.get_by_label("Paragraph to replace").select_option("2")  # paragraph 3, counted from 0
    colleague.get_by_label("Replacement text").fill(
        "The community clinics should stay open for 6 months after the service starts."
    )
    colleague.get_by_label("Reason for the change").fill("Recruiting takes months.")
    colleague.get_by_role("button", name="Propose the amendment").click()
    colleague.wait_for_url(re.compile(r"/positions/\d+#amendments$"), wait_until="load")
    expect(colleague.get_by_role("status")).to_contain_text("Your amendment has been proposed")
    expect(colleague.locator("#amendment-list")).to_contain_text("Proposed by Hugo Hillside")
    expect(colleague.get_by_role("link", name=re.compile("^Accept the amendment"))).to_have_count(0)

    # The lead accepts it: revision 2, with the paragraph replaced and the change marked.
    partner.reload()
    card = partner.locator("#amendment-list li").first
    expect(card.locator("ins")).to_contain_text("for 6 months after the service starts")
    assert_accessible(partner)
    card.get_by_role("link", name=re.compile("^Accept the amendment")).click()
    partner.wait_for_url(re.compile(r"/amendments/\d+/accept$"), wait_until="load")
    assert_accessible(partner)
    partner.get_by_role("button", name="Accept the amendment").click()
    partner.wait_for_url(re.compile(r"/positions/\d+#amendments$"), wait_until="load")
    expect(partner.get_by_role("status")).to_contain_text("accepted as revision 2")
    expect(partner.locator("#paragraph-3")).to_contain_text("for 6 months after the service")
    partner.get_by_role("link", name=re.compile("^History and changes")).click()
    partner.wait_for_url(re.compile(r"/history$"), wait_until="load")
    expect(partner.locator("#comparison ins")).to_contain_text(["for 6 months after"])
    assert_accessible(partner)

    # The lead, a GP partner, puts the final text to the group's weighted vote.
    partner.goto(position_url)
    partner.get_by_role("button", name="Put it to the vote").click()
    partner.wait_for_url(re.compile(r"/vote$"), wait_until="load")
    expect(partner.locator("#question")).to_have_text(
        "Should the group agree this position: Phlebotomy: fund it properly?"
    )
    assert_accessible(partner)
    partner.get_by_role("button", name="Open the vote").click()
    # The check page says how many organisations opening will email, and opens nothing.
    expect(partner.get_by_role("heading", level=1)).to_contain_text(
        "Check before you open the vote"
    )
    expect(partner.locator("#emailed")).to_contain_text("emails the people who cast the ballots")
    assert_accessible(partner)
    partner.get_by_role("button", name=re.compile("^Open the vote and email")).click()
    partner.wait_for_url(position_url, wait_until="load")
    expect(partner.get_by_role("status")).to_contain_text("The vote on revision 2 opened at")
    expect(partner.locator("#state")).to_have_text("Voting")
    assert_accessible(partner)

    db.session.commit()  # read what the live server committed
    position = db.session.execute(sa.select(Position)).scalar_one()
    amendment = db.session.execute(sa.select(Amendment)).scalar_one()
    vote = db.session.execute(sa.select(Vote)).scalar_one()
    assert position.state is PositionState.VOTING
    assert position.voted_revision_number == 2
    assert amendment.state is AmendmentState.ACCEPTED
    assert vote.state is VoteState.OPEN
    assert vote.body_markdown == position.voted_revision.body_markdown
    assert len(vote.electorate) == 4

    # While the vote is open the text cannot change: no button, and the edit page refuses.
    partner.goto(position_url)
    expect(partner.get_by_role("button", name="Change the text")).to_have_count(0)
    partner.goto(position_url + "/edit")
    expect(partner.get_by_role("status").or_(partner.get_by_role("alert"))).to_contain_text(
        "the vote on it is open"
    )
    browser_log.assert_clean()


def test_the_other_drafting_pages_pass_axe_and_a_clash_of_edits_loses_nothing(
    open_page: Any, browser_log: Any, assert_accessible: Any
) -> None:
    from portal.positions import amendments, drafting

    setting = _setting()
    area, partner, colleague = setting["area"], setting["partner"], setting["colleague"]
    now = utcnow()
    position = drafting.create_position(
        partner,
        area,
        title="Phlebotomy: fund it properly",
        body_markdown=BODY,
        tier=Tier.GROUP,
        proposal=None,
        now=now,
    )
    comment = drafting.add_comment(
        colleague, position, body_markdown="Agreed.", paragraph_index=1, now=now
    )
    drafting.add_comment(
        colleague, position, body_markdown="And **PCNs**?", paragraph_index=None, now=now
    )
    drafting.resolve_comment(partner, position, comment, now)
    rejected = amendments.propose_amendment(
        colleague,
        position,
        paragraph_index=0,
        replacement_markdown="The ICB proposes phlebotomy in practices.",
        reason="Shorter.",
        now=now,
    )
    amendments.reject_amendment(partner, position, rejected, "The price matters.", now)
    amendments.propose_amendment(
        colleague,
        position,
        paragraph_index=1,
        replacement_markdown="Practices may opt in or out each year, without penalty.",
        reason="Clearer.",
        now=now,
    )
    db.session.commit()
    url = f"/areas/{area.slug}/positions/{position.id}"

    lead = open_page()
    sign_in(lead, partner.email)
    lead.goto(f"/areas/{area.slug}/positions")
    expect(lead.locator("#positions")).to_contain_text("Phlebotomy: fund it properly")
    assert_accessible(lead)
    lead.goto(url)
    expect(lead.locator("#comment-list")).to_contain_text("Resolved")
    expect(lead.locator("#amendment-list")).to_contain_text("The price matters.")
    assert_accessible(lead)

    # The lead and an officer open the editor on revision 1; the officer saves first.
    officer = open_page(viewport={"width": 390, "height": 844})
    sign_in(officer, setting["officer"].email)
    lead.goto(url + "/edit")
    officer.goto(url + "/edit")
    officer.get_by_label("Text of the position").fill(
        BODY.replace("routine phlebotomy", "all phlebotomy")
    )
    officer.get_by_role("button", name="Save as a new revision").click()
    officer.wait_for_url(url, wait_until="load")

    mine = BODY + "\n\nWe will share our costing with the ICB."
    lead.get_by_label("Text of the position").fill(mine)
    lead.get_by_role("button", name="Save as a new revision").click()
    expect(lead.locator("#edit-conflict")).to_contain_text("Olive Officer saved revision 2")
    expect(lead.locator("#their-changes del")).to_contain_text(["routine"])
    expect(lead.locator("#their-changes ins")).to_contain_text(["all"])
    expect(lead.get_by_label("Text of the position")).to_have_value(mine)
    assert_accessible(lead)
    lead.get_by_role("button", name="Save as a new revision").click()
    lead.wait_for_url(url, wait_until="load")
    expect(lead.get_by_role("status")).to_contain_text("Saved as revision 3")

    officer.goto(url + "/history?from=1&to=3")
    expect(officer.locator("#comparison ins")).to_contain_text(["We will share our costing"])
    assert_accessible(officer)
    browser_log.assert_clean()
