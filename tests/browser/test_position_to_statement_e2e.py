"""Issue 4 end to end in Chromium, every step through the web pages: an LMC officer records an
ICS proposal; a GP partner drafts the group's answer (readable by ICS readers once published);
another partner amends a paragraph and the lead accepts it; the lead puts revision 2 to a vote
weighted by list size and opens it; partners of three of the four practices vote for it (cast,
check your answer, confirm, receipt); once the vote has closed the position is agreed, and the
officer publishes it as a statement with its reference and provenance; an ICS reader finds it,
reads it with the amended paragraph, and gets it through the Atom feed and as a PDF letter.

Only two things happen outside the browser: the factories build the area and its people, and
the vote's closing time is moved into the past in the database, and the vote is counted as the
worker counts it (a page view never closes a vote).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import feedparser
import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from portal.accounts.models import Role
from portal.database import utcnow
from portal.extensions import db
from portal.positions.models import Position, PositionState
from portal.statements.models import Statement
from portal.tiers import Tier
from portal.times import LONDON
from portal.voting import closing as vote_closing
from portal.voting.models import Vote, VoteState
from tests.browser.pages import sign_in
from tests.factories import Org, Person, World, ics, lmc, make_world, pcn

pytestmark = pytest.mark.browser

PROPOSAL_TITLE = "Phlebotomy transfer to general practice"
TITLE = "Phlebotomy transfer: the group's position"
BODY = (
    "The ICB proposes to move routine phlebotomy into practices at £4.10 per sample.\n\n"
    "Practices should be free to opt in or out each year.\n\n"
    "The community clinics should stay open until practices have recruited."
)
ORIGINAL_PARAGRAPH_3 = "stay open until practices have recruited"
AMENDED_PARAGRAPH_3 = (
    "The community clinics should stay open for 6 months after the service starts."
)
PRACTICES = (
    ("M83001", "Riverside Surgery", 12000),
    ("M83002", "Hillside Practice", 6000),
    ("M83003", "Castle Street Surgery", 9000),
    ("M83004", "Meadow Surgery", 7000),
)
RECEIPT = re.compile(r"^[A-Z2-9]{4}(-[A-Z2-9]{4}){6}$")
STATEMENT_URL = re.compile(r"/statements/(GPV-\d{4}-\d{3})$")


def _setting() -> World:
    partners = ("Priya Partner", "Hugo Hillside", "Cara Castle", "Mo Meadow")
    return make_world(
        [
            lmc(ods_code="LMC01", name="North Staffs LMC"),
            ics(ods_code="QNC", name="Staffordshire ICB"),
            pcn("pcn", ods_code="U12345", name="North Stoke PCN"),
            *(
                Org(code, ods_code=code, name=name, list_size=size, pcn="pcn")
                for code, name, size in PRACTICES
            ),
        ],
        [
            *(
                Person(code, code, Role.GP_PARTNER, name=name, group="partners")
                for (code, *_), name in zip(PRACTICES, partners, strict=True)
            ),
            Person("officer", "lmc", Role.LMC_OFFICER, name="Olive Officer"),
            Person("reader", "ics", Role.ICS_READER, name="Ivy Reader"),
        ],
        slug="north-staffs",
        name="North Staffordshire ICB",
    )


def _cast_for(
    page: Page, position_url: str, ods_code: str, practice: str, assert_accessible: Any = None
) -> str:
    """From the position page to the vote, then cast, check and confirm "For"; the receipt."""
    page.goto(position_url)
    expect(page.locator("#state")).to_have_text("Voting")
    page.get_by_role("link", name="Go to the vote").click()
    page.wait_for_url(re.compile(r"/votes/\d+$"), wait_until="load")
    vote_url = page.url
    card = page.locator(f"#ballot-{ods_code}")
    expect(card).to_contain_text("Not voted yet")
    card.get_by_role("link", name=f"Cast ballot for {practice}").click()
    page.wait_for_url(re.compile(rf"/cast/{ods_code}$"), wait_until="load")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Should the group agree this position: {TITLE}?"
    )
    if assert_accessible:
        assert_accessible(page)
    page.get_by_label("For", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(rf"/cast/{ods_code}/check$"), wait_until="load")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check your answer")
    expect(page.locator("#your-answer")).to_have_text("For")
    if assert_accessible:
        assert_accessible(page)
    page.get_by_role("button", name="Cast ballot").click()
    page.wait_for_url(re.compile(rf"/cast/{ods_code}/receipt$"), wait_until="load")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ballot cast")
    expect(page.get_by_text(f"{practice} voted in “{TITLE}”.")).to_be_visible()
    code = page.locator("#receipt-code").inner_text().strip()
    assert RECEIPT.match(code), code
    page.get_by_role("link", name="Back to the vote").click()
    page.wait_for_url(vote_url, wait_until="load")
    expect(card).to_contain_text("Voted")
    return code


def test_a_position_is_drafted_amended_voted_published_and_read_by_the_ics(
    open_page: Any, browser_log: Any, assert_accessible: Any
) -> None:
    setting = _setting()
    area, partners = setting["area"], setting["partners"]
    lead, amender = partners[0], partners[1]
    proposals = f"/areas/{area.slug}/proposals"

    # 1. The LMC officer records the ICS's proposal.
    officer = open_page()
    sign_in(officer, setting["officer"].email, next_path=proposals)
    officer.get_by_role("button", name="Record a proposal").click()
    officer.wait_for_url(re.compile(r"/proposals/new$"), wait_until="load")
    officer.get_by_label("Title").fill(PROPOSAL_TITLE)
    officer.get_by_label("ICS or ICB reference (optional)").fill("PCCC-2026-014")
    officer.get_by_label("Body that owns the proposal").fill("Primary care commissioning committee")
    officer.get_by_label("Summary (optional)").fill("Routine phlebotomy moves to practices.")
    deadline = (utcnow() + timedelta(days=10)).astimezone(LONDON).date()
    group = officer.get_by_role("group", name="Response deadline (optional)")
    group.get_by_label("Day").fill(str(deadline.day))
    group.get_by_label("Month").fill(str(deadline.month))
    group.get_by_label("Year").fill(str(deadline.year))
    officer.get_by_role("button", name="Record the proposal").click()
    officer.wait_for_url(re.compile(r"/proposals/\d+$"), wait_until="load")
    expect(officer.get_by_role("status")).to_contain_text("has been recorded")
    expect(officer.locator("#response-state")).to_have_text("No draft")
    proposal_url = officer.url

    # 2. A GP partner drafts the group's answer, readable by ICS readers once published.
    drafter = open_page()
    sign_in(drafter, lead.email, next_path=proposals)
    drafter.get_by_role("link", name=PROPOSAL_TITLE).click()
    drafter.wait_for_url(proposal_url, wait_until="load")
    drafter.get_by_role("button", name="Draft a response").click()
    drafter.wait_for_url(re.compile(r"/positions/new\?proposal=\d+$"), wait_until="load")
    expect(drafter.get_by_label("ICS proposal it answers")).to_have_value(
        proposal_url.rsplit("/", 1)[1]
    )
    drafter.get_by_label("Title").fill(TITLE)
    drafter.get_by_label("Text of the position").fill(BODY)
    drafter.get_by_label("Group and ICS readers").check()
    drafter.get_by_role("button", name="Save the draft").click()
    drafter.wait_for_url(re.compile(r"/positions/\d+$"), wait_until="load")
    expect(drafter.get_by_role("status")).to_contain_text("revision 1. You lead it.")
    expect(drafter.locator("#drafting-lead")).to_have_text("Priya Partner")
    expect(drafter.locator("#tier")).to_have_text("Group and ICS readers")
    expect(drafter.locator("#answers")).to_contain_text(PROPOSAL_TITLE)
    expect(drafter.locator("#paragraphs section")).to_have_count(3)
    expect(drafter.locator("#paragraph-3")).to_contain_text(ORIGINAL_PARAGRAPH_3)
    position_url = drafter.url

    # 3. Another partner proposes an amendment to paragraph 3.
    colleague = open_page()
    sign_in(colleague, amender.email, next_path=urlsplit(position_url).path)
    colleague.get_by_label("Paragraph to replace").select_option("2")  # paragraph 3, from 0
    colleague.get_by_label("Replacement text").fill(AMENDED_PARAGRAPH_3)
    colleague.get_by_label("Reason for the change").fill("Recruiting takes months.")
    colleague.get_by_role("button", name="Propose the amendment").click()
    colleague.wait_for_url(re.compile(r"/positions/\d+#amendments$"), wait_until="load")
    expect(colleague.get_by_role("status")).to_contain_text("Your amendment has been proposed")
    expect(colleague.locator("#amendment-list")).to_contain_text("Proposed by Hugo Hillside")

    # 4. The lead accepts it: revision 2, with paragraph 3 replaced.
    drafter.reload()
    card = drafter.locator("#amendment-list li").first
    expect(card.locator("ins")).to_contain_text("for 6 months after the service starts")
    card.get_by_role("link", name=re.compile("^Accept the amendment")).click()
    drafter.wait_for_url(re.compile(r"/amendments/\d+/accept$"), wait_until="load")
    expect(drafter.locator("#new-revision")).to_contain_text("revision 2")
    drafter.get_by_role("button", name="Accept the amendment").click()
    drafter.wait_for_url(re.compile(r"/positions/\d+#amendments$"), wait_until="load")
    expect(drafter.get_by_role("status")).to_contain_text("accepted as revision 2")
    expect(drafter.locator("#paragraph-3")).to_have_text(re.compile(re.escape(AMENDED_PARAGRAPH_3)))
    expect(drafter.locator("#paragraphs")).not_to_contain_text(ORIGINAL_PARAGRAPH_3)
    assert_accessible(drafter)

    # 5. The lead puts revision 2 to the vote: list-size weights capped at 40% (feasible for
    # four practices), half the practices must vote, a simple majority, closing in 3 days.
    drafter.goto(position_url)
    drafter.get_by_role("button", name="Put it to the vote").click()
    drafter.wait_for_url(re.compile(r"/positions/\d+/vote$"), wait_until="load")
    expect(drafter.locator("#question")).to_have_text(
        f"Should the group agree this position: {TITLE}?"
    )
    closes = (utcnow() + timedelta(days=3)).astimezone(LONDON).date()
    closing = drafter.get_by_role("group", name="Closing date")
    closing.get_by_label("Day").fill(str(closes.day))
    closing.get_by_label("Month").fill(str(closes.month))
    closing.get_by_label("Year").fill(str(closes.year))
    drafter.get_by_label("Closing time").fill("17:00")
    expect(drafter.get_by_label("GP practices")).to_be_checked()
    drafter.get_by_label(
        "Open: members see how each organisation voted once the vote closes"
    ).check()
    drafter.get_by_label("By registered list size").check()
    drafter.get_by_label("Cap (%) (optional)").fill("40")
    drafter.get_by_label("Organisations that must vote (%) (optional)").fill("50")
    drafter.get_by_label("Simple majority: more weight for than against").check()
    drafter.get_by_label("The motion fails").check()
    assert_accessible(drafter)
    drafter.get_by_role("button", name="Open the vote").click()
    # The check page says how many organisations opening will email, and opens nothing.
    expect(drafter.get_by_role("heading", level=1)).to_contain_text(
        "Check before you open the vote"
    )
    expect(drafter.locator("#emailed")).to_contain_text("emails the people who cast the ballots")
    assert_accessible(drafter)
    drafter.get_by_role("button", name=re.compile("^Open the vote and email")).click()
    drafter.wait_for_url(position_url, wait_until="load")
    expect(drafter.get_by_role("status")).to_contain_text("The vote on revision 2 opened at")
    expect(drafter.locator("#state")).to_have_text("Voting")
    expect(drafter.get_by_role("button", name="Change the text")).to_have_count(0)

    # 6. Partners of three of the four practices vote for it; Meadow Surgery does not vote.
    codes = [
        _cast_for(drafter, position_url, "M83001", "Riverside Surgery", assert_accessible),
        _cast_for(colleague, position_url, "M83002", "Hillside Practice"),
    ]
    castle = open_page()
    sign_in(castle, partners[2].email, next_path=urlsplit(position_url).path)
    codes.append(_cast_for(castle, position_url, "M83003", "Castle Street Surgery"))
    assert len(set(codes)) == 3

    # 7. The closing time passes (moved back in the database: opens_at too, as the vote's
    # CHECK constraint wants closes_at > opens_at); the page says it is being counted until the
    # worker counts it, and the position follows the vote's outcome as it is counted.
    db.session.commit()  # end the test's transaction: read what the live server committed
    vote = db.session.execute(sa.select(Vote)).scalar_one()
    assert vote.state is VoteState.OPEN
    assert vote.rules["cap"] == "2/5"
    assert {member.ods_code for member in vote.electorate} == {code for code, *_ in PRACTICES}
    vote.opens_at = utcnow() - timedelta(days=2)
    vote.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    officer.goto(position_url)
    expect(officer.locator("#being-counted")).to_be_visible()
    vote_closing.close_due_votes(utcnow())  # what the worker does
    db.session.commit()
    officer.goto(position_url)
    expect(officer.locator("#state")).to_have_text("Agreed")
    expect(officer.locator("#stage")).to_contain_text(
        "Agreed: the group's vote on revision 2 passed."
    )
    assert_accessible(officer)

    # 8. The officer publishes it, for ICS readers, signed by the practices that voted for.
    officer.get_by_role("link", name="Publish it as a statement").click()
    officer.wait_for_url(re.compile(r"/statements/publish/\d+$"), wait_until="load")
    expect(officer.locator("#agreed-text")).to_contain_text(AMENDED_PARAGRAPH_3)
    officer.get_by_label("ICS: the group and the ICS's readers").check()
    officer.get_by_label("Every organisation that voted for it").check()
    assert_accessible(officer)
    officer.get_by_role("button", name="Check the statement").click()
    expect(officer.locator("#signatory-count")).to_contain_text("3 organisations")
    assert_accessible(officer)
    officer.get_by_role("button", name="Publish statement").click()
    officer.wait_for_url(STATEMENT_URL, wait_until="load")
    reference = STATEMENT_URL.search(officer.url).group(1)
    assert reference.startswith(f"GPV-{utcnow().astimezone(LONDON).year}-")
    expect(officer.get_by_role("status")).to_contain_text(
        f"Statement {reference} was published at "
    )
    expect(officer.locator("#reference")).to_contain_text(reference)

    db.session.commit()
    db.session.refresh(vote)
    assert vote.state is VoteState.CLOSED
    closed_on = vote.closed_at.astimezone(LONDON).date()
    provenance = (
        f"Agreed by simple majority of the whole weight on {closed_on.day} {closed_on:%B %Y}: "
        "3 organisations for (79.4 % of the weight), 0 against (0.0 %), 0 abstained (0.0 %); "
        "3 of 4 voted (79.4 % of the weight); quorum of half the practices met."
    )
    expect(officer.locator("#provenance-text")).to_have_text(provenance)
    signed = officer.locator("#signatories ~ ul").first
    for _code, name, _size in PRACTICES[:3]:
        expect(signed).to_contain_text(name)
    expect(signed).not_to_contain_text("Meadow Surgery")
    statement = db.session.execute(sa.select(Statement)).scalar_one()
    position = db.session.execute(sa.select(Position)).scalar_one()
    assert statement.reference == reference
    assert statement.tier is Tier.ICS
    assert statement.provenance == provenance
    assert position.state is PositionState.PUBLISHED
    assert position.voted_revision_number == 2

    # 9. The ICS reader finds the statement by a word of its title and reads it.
    reader = open_page()
    sign_in(reader, setting["reader"].email, next_path="/statements")
    reader.get_by_label("Words in the title or text").fill("phlebotomy")
    reader.get_by_role("button", name="Search statements").click()
    expect(reader.locator("#statement-count")).to_contain_text("1 statement matches your search")
    assert_accessible(reader)
    reader.get_by_role("link", name=TITLE).click()
    reader.wait_for_url(re.compile(rf"/statements/{reference}$"), wait_until="load")
    expect(reader.get_by_role("heading", level=1)).to_contain_text(TITLE)
    expect(reader.locator("#reference")).to_contain_text(reference)
    body = reader.locator("#statement-body")
    expect(body).to_contain_text(AMENDED_PARAGRAPH_3)
    expect(body).to_contain_text("Practices should be free to opt in or out each year.")
    expect(body).not_to_contain_text(ORIGINAL_PARAGRAPH_3)
    expect(reader.locator("#provenance-text")).to_have_text(provenance)
    expect(reader.locator("#proposal")).to_contain_text(PROPOSAL_TITLE)
    expect(reader.locator("#results-link")).to_have_count(0)  # ICS readers never see the votes
    assert_accessible(reader)

    # 10. The Atom feed, with the reader's session.
    feed = reader.context.request.get("/statements.atom")
    assert feed.ok, feed.status
    assert feed.headers["content-type"].startswith("application/atom+xml")
    text = feed.text()
    assert TITLE in text
    assert reference in text
    parsed = feedparser.parse(feed.body())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert [entry.title for entry in parsed.entries] == [f"{reference}: {TITLE}"]

    # 11. The PDF letter.
    pdf = reader.context.request.get(f"/statements/{reference}.pdf")
    assert pdf.ok, pdf.status
    assert pdf.headers["content-type"] == "application/pdf"
    data = pdf.body()
    assert data.startswith(b"%PDF-")
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        letter = subprocess.run(
            [pdftotext, "-", "-"], input=data, capture_output=True, check=True
        ).stdout.decode()
        assert reference in letter
        assert "for 6 months after the service starts" in " ".join(letter.split())

    browser_log.assert_clean()
