"""Trust pulse and meetings end to end in Chromium: a partner answers a round, an officer
closes it and publishes "you said, we did", and a chair records attendance, minutes and a
vote taken in the room."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from portal.accounts.models import Role
from portal.database import utcnow
from portal.extensions import db
from portal.meetings import services as meetings
from portal.meetings.models import MeetingMode
from portal.trust import services as trust
from portal.trust.models import TrustTarget
from portal.voting import services as voting
from portal.voting.models import Ballot, BallotOrigin, BallotSecrecy, VoteKind
from tests.browser.pages import AREA_HOME, follow_menu_link, sign_in
from tests.factories import Org, Person, lmc, make_world, pcn

pytestmark = pytest.mark.browser


def _a_round_a_vote_and_a_meeting() -> dict[str, Any]:
    world = make_world(
        [
            pcn("pcn", ods_code="U11111", name="Trent PCN"),
            Org("riverside", ods_code="M81001", name="Riverside Surgery", pcn="pcn"),
            Org("hillside", ods_code="M81002", name="Hillside Practice", pcn="pcn"),
            lmc(ods_code="LMC01", name="Mid Staffs LMC"),
        ],
        [
            Person(
                "officer", "lmc", Role.LMC_OFFICER, email="olu@example.nhs.uk", name="Olu Officer"
            ),
            Person(
                "partner", "riverside", Role.GP_PARTNER, email="pat@example.nhs.uk", name="Pat Page"
            ),
            Person(
                "chair", "hillside", Role.GP_PARTNER, email="cara@example.nhs.uk", name="Cara Chair"
            ),
            *(Person(f"other_{n}", "riverside", Role.GP_PARTNER, group="others") for n in range(4)),
        ],
        slug="mid-staffs",
        name="Mid Staffordshire ICB",
    )
    area, riverside, officer, partner, chair = (
        world.area,
        world.riverside,
        world.officer,
        world.partner,
        world.chair,
    )
    others = world.others
    trust_round = trust.open_round(officer, area, "December 2026")
    for person in others:
        trust.answer(person, trust_round, dict.fromkeys(TrustTarget, 6), "More face to face")
    now = utcnow()
    vote = voting.create_vote(
        officer,
        area,
        voting.VoteDetails(
            title="Winter hub",
            question="Should the PCN share one winter hub?",
            body_markdown="",
            kind=VoteKind.MOTION,
            secrecy=BallotSecrecy.OPEN,
            options=[],
            voting_kinds=["practice"],
            pcn_codes=None,
            opens_at=now - timedelta(minutes=5),
            closes_at=now + timedelta(days=1),
            rules={
                "weighting": {"scheme": "equal"},
                "blocks": None,
                "cap": None,
                "quorum": {"members": None, "weight": None},
                "threshold": {"rule": "simple_majority"},
                "tie": "fails",
            },
        ),
    )
    voting.open_vote(officer, vote, now)
    starts = now.replace(microsecond=0) - timedelta(minutes=10)
    meeting = meetings.create_meeting(
        officer,
        area,
        title="Leadership group weekly",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        where=meetings.Where(MeetingMode.IN_PERSON, "Stafford", None),
        chair=chair,
    )
    meetings.add_agenda_item(officer, meeting, "Winter hub", f"vote {vote.id}")
    db.session.commit()
    return {
        "officer": officer,
        "partner": partner,
        "chair": chair,
        "round": trust_round,
        "meeting": meeting,
        "vote": vote,
        "riverside": riverside,
    }


def test_a_round_is_answered_closed_and_answered_back_and_a_meeting_is_run(
    open_page: Any, browser_log: Any, assert_accessible: Any
) -> None:
    world = _a_round_a_vote_and_a_meeting()
    round_url = f"/areas/mid-staffs/trust/rounds/{world['round'].id}"

    # A partner answers the round: a score for most targets, one skipped, and a comment.
    partner = open_page()
    sign_in(partner, world["partner"].email, lands_on=AREA_HOME)
    follow_menu_link(partner, "Trust")
    partner.get_by_role("link", name="December 2026").first.click()
    partner.wait_for_url(re.compile(r"/trust/rounds/\d+$"), wait_until="load")
    assert_accessible(partner)
    for target in TrustTarget:
        question = partner.get_by_role("group", name=re.compile(target.label[1:], re.I))
        if target is TrustTarget.ICS:
            question.get_by_label("Skip").check()
        else:
            question.get_by_label("8", exact=True).check()
    partner.get_by_label("What would raise it? (optional)").fill("A weekly meeting")
    partner.get_by_role("button", name="Send my answer").click()
    expect(partner.get_by_role("heading", level=1)).to_have_text("Thank you")
    partner.goto(round_url)
    expect(partner.locator("#answered")).to_contain_text("You have answered this round")

    # The officer sees the response rate, closes the round and publishes a response.
    officer = open_page(java_script_enabled=False)
    sign_in(officer, world["officer"].email, next_path=round_url)
    expect(officer.locator("#response-rate")).to_contain_text("5 of 7 people have answered")
    officer.get_by_role("button", name="Close the round").click()
    expect(officer.locator("#comments")).to_contain_text("A weekly meeting")
    officer.get_by_label("You said").fill("You asked to meet more often.")
    officer.get_by_label("We did").fill("We now meet every Tuesday at 12:30.")
    officer.get_by_role("button", name="Publish").click()
    expect(officer.locator(".nhsuk-card")).to_contain_text("We now meet every Tuesday")

    # The chair records attendance, the minutes and the vote in the room.
    chair = open_page()
    meeting_url = f"/areas/mid-staffs/meetings/{world['meeting'].id}"
    sign_in(chair, world["chair"].email, next_path=meeting_url)
    assert_accessible(chair)
    chair.get_by_text("Record who was there").click()
    chair.get_by_label("Cara Chair, Hillside Practice").check()
    chair.get_by_label("Pat Page, Riverside Surgery").check()
    chair.get_by_role("button", name="Save attendance").click()
    expect(chair.locator("#attendance-list")).to_contain_text("Pat Page, Riverside Surgery")
    chair.get_by_label("Minutes", exact=True).fill("We agreed to **share** the winter hub.")
    chair.get_by_role("button", name="Save draft minutes").click()
    chair.get_by_role("button", name="Approve and publish the minutes").click()
    expect(chair.locator("#minutes-text strong")).to_have_text("share")
    chair.get_by_role("link", name="Record vote").click()
    chair.wait_for_url(re.compile(r"/votes/\d+/room$"), wait_until="load")
    assert_accessible(chair)
    chair.get_by_role("group", name="Hillside Practice").get_by_label("for", exact=True).check()
    chair.get_by_role("group", name="Riverside Surgery").get_by_label("against", exact=True).check()
    chair.get_by_role("button", name="Record the room's choices").click()
    expect(chair.get_by_text("2 organisations' choices recorded in the room.")).to_be_visible()

    db.session.rollback()  # read afresh what the server committed
    origins = {ballot.origin for ballot in db.session.query(Ballot).all()}
    assert origins == {BallotOrigin.ROOM}
    browser_log.assert_clean()
