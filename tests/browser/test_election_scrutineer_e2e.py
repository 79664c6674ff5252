"""A secret election's scrutineer in Chromium: the officer names her on the set-up page, she
sets her passphrase on her scrutineer page (a mismatch is refused and says so), and after the
count downloads the sealed BLT file with it, byte for byte the file whose SHA-256 the results
page shows; the officer sees no download. Pages pass axe."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from portal.accounts.models import Role
from portal.database import utcnow
from portal.elections import ballots, closing, counting, nominations
from portal.elections.models import Election
from portal.extensions import db
from portal.organisations.models import OrganisationKind
from portal.times import LONDON
from tests.browser.pages import sign_in
from tests.factories import make_area, make_organisation, make_user

pytestmark = pytest.mark.browser

PASSPHRASE = "a long enough scrutineer passphrase"


def _london(moment: Any) -> str:
    return moment.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


def test_the_scrutineer_sets_a_passphrase_and_opens_the_sealed_ballots_file(
    open_page: Any, browser_log: Any, assert_accessible: Any
) -> None:
    area = make_area(slug="north-staffs", name="North Staffordshire ICB")
    riverside = make_organisation(area, ods_code="M83001", name="Riverside Surgery")
    lmc = make_organisation(area, OrganisationKind.LMC, ods_code="LMC01", name="North Staffs LMC")
    officer_user = make_user(lmc, Role.LMC_OFFICER, name="Olive Officer")
    pat_user = make_user(riverside, Role.PRACTICE_MANAGER, name="Pat Manager")
    gps = [make_user(riverside, Role.GP_PARTNER, name=name) for name in ("Ann", "Bob", "Cat")]
    now = utcnow()

    officer = open_page()
    sign_in(officer, officer_user.email)
    officer.goto("/areas/north-staffs/elections/new")
    expect(officer.get_by_text("only its fingerprint")).to_be_visible()
    officer.get_by_label("Title").fill("LMC committee 2027")
    officer.get_by_label("Seats to fill").fill("1")
    officer.get_by_label("Scrutineers (a secret election only)").fill(pat_user.email)
    officer.get_by_label("Nominations close").fill(_london(now + timedelta(hours=1)))
    officer.get_by_label("Voting opens").fill(_london(now + timedelta(hours=1)))
    officer.get_by_label("Voting closes").fill(_london(now + timedelta(hours=2)))
    officer.get_by_role("button", name="Set up the election").click()
    officer.wait_for_url(re.compile(r"/elections/\d+$"), wait_until="load")
    election_url = officer.url
    expect(officer.locator("#scrutineer-names")).to_have_text("Pat Manager")
    expect(officer.locator("#scrutiny")).to_contain_text("not yet: Pat Manager")
    officer.get_by_role("link", name="Change the scrutineers").click()
    expect(officer.locator("#named-scrutineers")).to_contain_text("no passphrase yet")
    assert_accessible(officer)

    pat = open_page()
    sign_in(pat, pat_user.email)
    pat.goto(election_url)
    pat.get_by_role("link", name="your scrutineer page").click()
    expect(pat.locator("#passphrase-status")).to_contain_text("Not set yet")
    assert_accessible(pat)
    pat.get_by_label("Passphrase", exact=True).fill(PASSPHRASE)
    pat.get_by_label("Passphrase again").fill(PASSPHRASE + "!")
    pat.get_by_role("button", name="Set passphrase").click()
    expect(pat.locator(".nhsuk-error-summary")).to_contain_text("not the same")
    assert_accessible(pat)
    pat.get_by_label("Passphrase", exact=True).fill(PASSPHRASE)
    pat.get_by_label("Passphrase again").fill(PASSPHRASE)
    pat.get_by_role("button", name="Set passphrase").click()
    expect(pat.get_by_role("status")).to_contain_text("Your passphrase is set")
    expect(pat.locator("#passphrase-status")).to_contain_text("Set ")

    # Nominations, the ballot and the count, as the services run them.
    db.session.commit()
    election = db.session.execute(db.select(Election)).scalar_one()
    electors = {e.user_id: e for e in election.electors}
    ann, bob, cat = gps
    standing = []
    for nominator, seconder, candidate in ((ann, bob, cat), (bob, cat, ann)):
        nomination = nominations.nominate(
            nominator, election, electors[nominator.id], candidate, utcnow()
        )
        nominations.second(seconder, nomination, electors[seconder.id], utcnow())
        nominations.accept(candidate, nomination, "", utcnow())
        standing.append(nomination.id)
    election.nominations_open_at = utcnow() - timedelta(hours=3)
    election.nominations_close_at = utcnow() - timedelta(hours=2)
    election.voting_opens_at = utcnow() - timedelta(hours=1)
    closing.close_nominations(election, utcnow())
    for voter in gps:
        ballots.cast(voter, election, electors[voter.id], standing, utcnow())
    election.voting_closes_at = utcnow() - timedelta(seconds=1)
    counting.count_election(election, utcnow())
    db.session.commit()
    fingerprint = election.ballots_blt_sha256

    officer.goto(election_url + "/results")
    expect(officer.locator("#sha256")).to_have_text(fingerprint)
    expect(officer.locator("#ballots-secret")).to_contain_text("Pat Manager")
    expect(officer.get_by_role("link", name="Download the ballots (BLT file)")).to_have_count(0)

    pat.goto(election_url + "/results")
    expect(pat.locator("#sha256")).to_have_text(fingerprint)
    pat.get_by_role("link", name="your scrutineer page").click()
    expect(pat.locator("#sha256")).to_have_text(fingerprint)
    assert_accessible(pat)
    pat.get_by_label("Your scrutineer passphrase").fill("not the passphrase")
    pat.get_by_role("button", name="Download the ballots file").click()
    expect(pat.locator(".nhsuk-error-summary")).to_contain_text("does not open")
    pat.get_by_label("Your scrutineer passphrase").fill(PASSPHRASE)
    with pat.expect_download() as download_info:
        pat.get_by_role("button", name="Download the ballots file").click()
    download = download_info.value
    assert download.suggested_filename == f"election-{election.id}-ballots.blt"
    with open(download.path(), "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == fingerprint
    # The two refusals answer 400 (the form shown again with its error), and nothing else fails.
    refused = [f"{election_url}/scrutiny/passphrase", f"{election_url}/scrutiny/ballots"]
    assert browser_log.failed_requests == [f"POST {url}: HTTP 400" for url in refused]
    assert [error.rsplit("(", 1)[1].rstrip(")") for error in browser_log.console_errors] == refused
