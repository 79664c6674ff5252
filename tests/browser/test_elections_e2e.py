"""An election end to end in Chromium: an LMC officer sets it up, electors nominate and second,
the candidate accepts with a statement, the officer closes nominations, a GP without JavaScript
ranks the candidates (check your answers, receipt), another with JavaScript does too, the
officer counts and everyone sees the result with its count sheet and chart. Pages pass axe."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from portal.accounts.models import Role
from portal.database import utcnow
from portal.elections import ballots, nominations
from portal.elections.models import Election, ElectionState
from portal.extensions import db
from portal.times import LONDON
from tests.browser.pages import sign_in
from tests.factories import Org, Person, World, lmc, make_world

pytestmark = pytest.mark.browser

RECEIPT = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$")


def _setting() -> World:
    return make_world(
        [
            Org("riverside", ods_code="M83001", name="Riverside Surgery"),
            Org("hillside", ods_code="M83002", name="Hillside Practice"),
            lmc(ods_code="LMC01", name="North Staffs LMC"),
        ],
        [
            Person("officer", "lmc", Role.LMC_OFFICER, name="Olive Officer"),
            Person("ann", "riverside", Role.GP_PARTNER, name="Ann Adams"),
            Person("bob", "riverside", Role.SALARIED_GP, name="Bob Brown"),
            Person("cat", "hillside", Role.GP_PARTNER, name="Cat Clark"),
            Person("dan", "hillside", Role.SALARIED_GP, name="Dan Dale"),
        ],
        slug="north-staffs",
        name="North Staffordshire ICB",
    )


def _london(moment: Any) -> str:
    return moment.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


def _elector(election: Election, user: Any) -> Any:
    return next(e for e in election.electors if e.user_id == user.id)


def test_an_election_from_nominations_to_result_with_a_voter_without_javascript(
    open_page: Any, browser_log: Any, assert_accessible: Any
) -> None:
    setting = _setting()
    slug = setting["area"].slug
    now = utcnow()

    officer = open_page()
    sign_in(officer, setting["officer"].email)
    officer.goto(f"/areas/{slug}/elections/")
    officer.get_by_role("link", name="Set up an election").click()
    officer.wait_for_url(re.compile(r"/elections/new$"), wait_until="load")
    assert_accessible(officer)
    officer.get_by_label("Title").fill("LMC committee 2027")
    officer.get_by_label("Seats to fill").fill("2")
    officer.get_by_label("Nominations close").fill(_london(now + timedelta(hours=1)))
    officer.get_by_label("Voting opens").fill(_london(now + timedelta(hours=1)))
    officer.get_by_label("Voting closes").fill(_london(now + timedelta(hours=2)))
    officer.get_by_role("button", name="Set up the election").click()
    officer.wait_for_url(re.compile(r"/elections/\d+$"), wait_until="load")
    expect(officer.get_by_role("status")).to_contain_text("4 electors")
    election_url = officer.url

    # Ann nominates Bob; Cat seconds; Bob accepts with a statement.
    ann = open_page()
    sign_in(ann, setting["ann"].email)
    ann.goto(election_url)
    ann.get_by_label("Candidate").select_option(label="Bob Brown")
    ann.get_by_role("button", name="Nominate").click()
    expect(ann.locator("#candidates").locator("xpath=..")).to_contain_text("Needs a seconder")
    assert_accessible(ann)
    cat = open_page(java_script_enabled=False)
    sign_in(cat, setting["cat"].email)
    cat.goto(election_url)
    cat.get_by_role("button", name="Second this nomination").click()
    expect(cat.get_by_role("status")).to_contain_text("You seconded the nomination of Bob Brown")
    bob = open_page()
    sign_in(bob, setting["bob"].email)
    bob.goto(election_url)
    bob.get_by_role("link", name="Accept the nomination").click()
    assert_accessible(bob)
    bob.get_by_label("Your statement (optional)").fill("I will **listen** to every practice.")
    bob.get_by_role("button", name="Accept and stand").click()
    expect(bob.locator("strong", has_text="listen")).to_be_visible()

    # Two more candidates, nominated through the services to keep the test short.
    db.session.commit()
    election = db.session.execute(sa.select(Election)).scalar_one()
    people = {name: setting[name] for name in ("ann", "bob", "cat", "dan")}
    for candidate, nominator, seconder in (("cat", "dan", "ann"), ("dan", "bob", "ann")):
        nomination = nominations.nominate(
            people[nominator],
            election,
            _elector(election, people[nominator]),
            people[candidate],
            utcnow(),
        )
        nominations.second(
            people[seconder], nomination, _elector(election, people[seconder]), utcnow()
        )
        nominations.accept(people[candidate], nomination, "", utcnow())
    election.nominations_open_at = utcnow() - timedelta(hours=3)
    election.nominations_close_at = utcnow() - timedelta(hours=2)
    election.voting_opens_at = utcnow() - timedelta(hours=1)
    db.session.commit()

    officer.goto(election_url)
    officer.get_by_role("button", name="Close nominations now").click()
    expect(officer.get_by_role("status")).to_contain_text("Nominations are closed")
    expect(officer.get_by_text("Voting", exact=True).first).to_be_visible()

    # Cat votes with JavaScript off: a number used twice is refused; a gap (1, 3) closes up.
    cat.goto(election_url)
    cat.get_by_role("link", name="Vote", exact=True).click()
    cat.get_by_label("Dan Dale").fill("1")
    cat.get_by_label("Cat Clark").fill("1")
    cat.get_by_role("button", name="Continue").click()
    expect(cat.locator(".nhsuk-error-summary")).to_contain_text("you have used 1 twice")
    cat.get_by_label("Cat Clark").fill("3")
    cat.get_by_role("button", name="Continue").click()
    expect(cat.locator("#your-ranking li")).to_have_text(["Dan Dale", "Cat Clark"])
    cat.get_by_role("button", name="Cast ballot").click()
    expect(cat.locator("#receipt-code")).to_have_text(RECEIPT)
    cat_code = cat.locator("#receipt-code").inner_text()

    # Ann votes with JavaScript; the ballot and check pages pass axe.
    ann.goto(election_url)
    ann.get_by_role("link", name="Vote", exact=True).click()
    assert_accessible(ann)
    ann.get_by_label("Bob Brown").fill("1")
    ann.get_by_label("Dan Dale").fill("2")
    ann.get_by_role("button", name="Continue").click()
    assert_accessible(ann)
    ann.get_by_role("button", name="Cast ballot").click()
    expect(ann.locator("#receipt-code")).to_have_text(RECEIPT)
    assert_accessible(ann)
    for voter, first, second in (("bob", "bob", "dan"), ("dan", "dan", "bob")):
        db.session.commit()
        election = db.session.get(Election, election.id)
        by_name = {n.candidate.name: n.id for n in election.candidates}
        ballots.cast(
            people[voter],
            election,
            _elector(election, people[voter]),
            [by_name[people[first].name], by_name[people[second].name]],
            utcnow(),
        )
    election.voting_closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    officer.goto(election_url)
    officer.get_by_role("button", name="Count now").click()
    officer.wait_for_url(re.compile(r"/results$"), wait_until="load")
    db.session.commit()
    election = db.session.get(Election, election.id)
    assert election.state is ElectionState.COUNTED
    # Quota floor(4 / 3) + 1 = 2: first preferences Bob 2 (Ann, Bob), Dan 2 (Cat, Dan), Cat 0.
    elected = election.result["elected"]
    assert sorted(elected) == ["Bob Brown", "Dan Dale"]
    expect(officer.locator("#elected li")).to_have_text(elected)
    chart = officer.get_by_role("img", name=re.compile("first preferences and votes"))
    expect(chart).to_be_visible()
    expect(officer.locator("#count-sheet-table")).to_contain_text("Non-transferable")
    assert_accessible(officer)
    # A secret election with no scrutineer: nobody downloads its ballots file, officers
    # included; everyone sees the fingerprint of the file counted.
    expect(officer.locator("#sha256")).to_have_text(election.ballots_blt_sha256)
    expect(officer.get_by_role("link", name="Download the ballots (BLT file)")).to_have_count(0)

    # Cat, without JavaScript, sees the result and checks her receipt.
    cat.goto(election_url + "/results")
    expect(cat.locator("#elected li")).to_have_text(elected)
    expect(cat.locator("#figures")).to_contain_text("4 of 4 electors voted")
    expect(cat.get_by_role("link", name="Download the ballots (BLT file)")).to_have_count(0)
    expect(cat.locator("#sha256")).to_have_text(election.ballots_blt_sha256)
    cat.goto(election_url + "/receipt")
    cat.get_by_label("Receipt code").fill(cat_code)
    cat.get_by_role("button", name="Check").click()
    expect(cat.locator("#receipt-result li")).to_have_text(["Dan Dale", "Cat Clark"])

    # The officer chooses to publish the result as a public statement, through a check page.
    officer.goto(election_url + "/results")
    officer.get_by_label("Public: anyone, without signing in").check()
    officer.get_by_role("button", name="Check the statement").click()
    expect(officer.get_by_role("heading", level=1)).to_contain_text("Check before you publish")
    expect(officer.locator("#provenance-text")).to_contain_text("4 of 4 electors voted")
    assert_accessible(officer)
    officer.get_by_role("button", name="Publish statement").click()
    officer.wait_for_url(re.compile(r"/statements/GPV-\d{4}-\d{3}$"), wait_until="load")
    expect(officer.get_by_role("status")).to_contain_text("was published at")
    statement_url = officer.url

    # A visitor who never signs in reads who was elected, the quota and the count sheet.
    visitor = open_page()
    visitor.goto(statement_url)
    expect(visitor.locator("#elected")).to_have_text(", ".join(elected))
    expect(visitor.locator("#quota")).to_contain_text("2")
    expect(visitor.locator("#count-sheet-table")).to_contain_text("Non-transferable")
    expect(visitor.locator("#results-link")).to_have_count(0)
    assert_accessible(visitor)
    browser_log.assert_clean()
