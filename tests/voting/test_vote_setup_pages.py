"""Setting up a vote as question pages (issue 17, point 5): each page's errors all at once, on
their fields and in plain words; warnings for a past opening and a short window; check your
answers; the same defaults as every other route into a vote."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from portal.database import utcnow
from portal.positions.models import Proposal
from portal.times import LONDON
from portal.voting import setup
from portal.voting.models import Vote, VoteState
from portal.voting.setup_forms import new_vote_data
from tests.conftest import csrf_token_from
from tests.factories import World
from tests.voting.test_views import client_for, text

BASE = "/areas/staffs/votes/set-up"
# What a browser sends from the "who" page as it first shows (every box, as filled in).
WHO = {
    "voting_kinds": ["practice"],
    "scheme": "equal",
    "band": "1000",
    "equal_part": "50",
    "basis": "list_size",
    "block_practice": "",
    "block_pcn": "",
    "block_federation": "",
    "block_lmc": "",
}


def _moment(prefix: str, moment) -> dict[str, str]:
    local = moment.astimezone(LONDON)
    return {
        f"{prefix}_day": str(local.day),
        f"{prefix}_month": str(local.month),
        f"{prefix}_year": str(local.year),
        f"{prefix}_time": f"{local:%H:%M}",
    }


def _post(client, slug: str, data: dict):
    page = client.get(f"{BASE}/{slug}")
    assert page.status_code == 200, page.status_code
    return client.post(f"{BASE}/{slug}", data={**data, "csrf_token": csrf_token_from(text(page))})


def test_the_officer_answers_each_page_and_saves_a_draft(app, world: World, db) -> None:
    officer = client_for(app, world.officer)
    assert officer.get(f"{BASE}/").headers["Location"].endswith("/set-up/about")

    # Every error of the page at once, each on its field.
    refused = _post(officer, "about", {"title": "", "question": "", "kind": "motion"})
    page = text(refused)
    assert refused.status_code == 200
    assert "Enter a title" in page
    assert "Enter the question" in page
    assert 'href="#title"' in page  # the error summary links to the field, not #maincontent
    about = {
        "title": "Enhanced access hubs",
        "question": "Should the group support the hubs?",
        "body_markdown": "",
        "kind": "motion",
        "options": "",
    }
    assert _post(officer, "about", about).headers["Location"].endswith("/set-up/who")

    who = {**WHO, "scheme": "list_size"}
    assert _post(officer, "who", who).headers["Location"].endswith("/set-up/decided")

    # Three practices vote: a cap of 10 % could never add up to the whole.
    decided = {
        "cap": "10",
        "quorum_members": "150",
        "motion_threshold": "simple_majority",
        "tie": "fails",
    }
    refused = _post(officer, "decided", decided)
    page = text(refused)
    assert "The cap must be more than 0 % and at most 100 %, and at least 1/3 (33.3 %)" in page
    assert "The share of organisations that must vote must be from 0 % to 100 %" in page
    assert "rules.cap" not in page
    decided.update(cap="50", quorum_members="50")
    assert _post(officer, "decided", decided).headers["Location"].endswith("/set-up/when")

    # A past opening and a short window are warned about, then accepted on purpose.
    now = utcnow()
    when = {
        **_moment("opens", now - timedelta(days=1)),
        **_moment("closes", now + timedelta(hours=5)),
    }
    warned = _post(officer, "when", when)
    page = text(warned)
    assert warned.status_code == 200
    assert "The opening time is in the past" in page
    assert "less than 48 hours" in page
    # Sent again from the warning, the same times are kept.
    accept = page.split('name="accept_warnings" value="', 1)[1].split('"', 1)[0]
    assert accept.count("|") == 1
    when_later = {
        **_moment("opens", now + timedelta(hours=1)),
        **_moment("closes", now + timedelta(days=7)),
    }
    assert _post(officer, "when", when_later).headers["Location"].endswith("/set-up/secrecy")
    assert (
        _post(officer, "secrecy", {"secrecy": "open"}).headers["Location"].endswith("/set-up/check")
    )

    check = officer.get(f"{BASE}/check")
    page = text(check)
    assert "Check your answers" in page
    assert "Enhanced access hubs" in page
    assert "How this vote is decided" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Vote)) == 0
    saved = officer.post(f"{BASE}/check", data={"csrf_token": csrf_token_from(page)})
    assert saved.status_code == 302
    vote = db.session.execute(sa.select(Vote)).scalar_one()
    assert saved.headers["Location"] == f"/areas/staffs/votes/{vote.id}"
    assert vote.state is VoteState.DRAFT
    assert vote.rules["cap"] == "1/2"
    assert vote.rules["quorum"] == {"members": "1/2", "weight": None}
    assert "The vote was saved as a draft at" in text(officer.get(saved.headers["Location"]))


def test_a_secret_ballot_with_identifying_weights_needs_the_box_ticked(
    app, world: World, db
) -> None:
    officer = client_for(app, world.officer)
    officer.get(f"{BASE}/")
    _post(officer, "about", {"title": "Hubs", "question": "Hubs?", "kind": "motion"})
    _post(officer, "who", {**WHO, "scheme": "list_size"})
    _post(officer, "decided", {"motion_threshold": "simple_majority", "tie": "fails"})
    now = utcnow()
    _post(
        officer,
        "when",
        {
            **_moment("opens", now + timedelta(hours=1)),
            **_moment("closes", now + timedelta(days=7)),
        },
    )
    _post(officer, "secrecy", {"secrecy": "secret"})
    page = text(officer.get(f"{BASE}/check"))
    assert 'id="weights-warning"' in page
    refused = officer.post(f"{BASE}/check", data={"csrf_token": csrf_token_from(page)})
    assert refused.status_code == 200
    assert "Tick the box to keep weights that could reveal who voted" in text(refused)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Vote)) == 0
    saved = officer.post(
        f"{BASE}/check", data={"csrf_token": csrf_token_from(page), "keep_weights": "yes"}
    )
    assert saved.status_code == 302


def test_the_vote_says_which_ics_proposal_it_answers(app, world: World, db) -> None:
    proposal = Proposal(
        area_id=world.area.id,
        title="Enhanced access from PCN hubs",
        ics_reference="ICB-EA-07",
        owning_body="Primary care committee",
        summary_markdown="",
        source_links=[],
    )
    db.session.add(proposal)
    db.session.commit()
    officer = client_for(app, world.officer)
    officer.get(f"{BASE}/")
    page = text(officer.get(f"{BASE}/about"))
    assert "Enhanced access from PCN hubs (ICB-EA-07)" in page
    about = {"title": "Hubs", "question": "Hubs?", "kind": "motion", "options": ""}
    refused = _post(officer, "about", {**about, "proposal": "999"})
    assert "Choose a proposal from the list" in text(refused)
    _post(officer, "about", {**about, "proposal": str(proposal.id)})
    _post(officer, "who", WHO)
    _post(
        officer,
        "decided",
        {"quorum_members": "50", "motion_threshold": "simple_majority", "tie": "fails"},
    )
    now = utcnow()
    _post(
        officer,
        "when",
        {
            **_moment("opens", now + timedelta(hours=1)),
            **_moment("closes", now + timedelta(days=7)),
        },
    )
    _post(officer, "secrecy", {"secrecy": "open"})
    check = text(officer.get(f"{BASE}/check"))
    assert "Enhanced access from PCN hubs (ICB-EA-07)" in check
    saved = officer.post(f"{BASE}/check", data={"csrf_token": csrf_token_from(check)})
    vote = db.session.execute(sa.select(Vote)).scalar_one()
    assert vote.proposal_id == proposal.id
    assert 'id="proposal"' in text(officer.get(saved.headers["Location"]))


def test_only_officers_set_up_votes(app, world: World) -> None:
    assert client_for(app, world.partner).get(f"{BASE}/about").status_code == 403
    reader = client_for(app, world.people["other_area"])
    assert reader.get(f"{BASE}/about").status_code == 404


def test_the_check_page_waits_for_every_answer(app, world: World) -> None:
    officer = client_for(app, world.officer)
    officer.get(f"{BASE}/")
    assert officer.get(f"{BASE}/check").headers["Location"].endswith("/set-up/about")


def test_the_plain_words_for_the_rules() -> None:
    answers = {**new_vote_data(utcnow()), "cap": "0"}
    assert (
        "at least 1/4 (25.0 %) for 4 voting organisations"
        in setup.plain_rule_errors(answers, 4)["cap"]
    )
    blocks = {**new_vote_data(utcnow()), "block_practice": "1/2", "block_pcn": "1/4"}
    assert setup.plain_rule_errors(blocks, 4)["block_practice"] == (
        "The blocks must add up to 1: they add up to 3/4"
    )
    super_ = {
        **new_vote_data(utcnow()),
        "motion_threshold": "supermajority",
        "supermajority": "1/3",
    }
    assert "more than 1/2 and at most 1" in setup.plain_rule_errors(super_, 4)["supermajority"]
    assert setup.plain_rule_errors(new_vote_data(utcnow()), 4) == {}


def test_warnings_for_the_times() -> None:
    now = utcnow()
    assert setup.timing_warnings(now + timedelta(hours=1), now + timedelta(days=3), now) == []
    (short,) = setup.timing_warnings(now + timedelta(hours=1), now + timedelta(hours=40), now)
    assert "less than 48 hours" in short


def test_the_secrecy_page_names_the_scrutineers_and_the_vote_appoints_them(
    app, world: World, db
) -> None:
    officer = client_for(app, world.officer)
    officer.get(f"{BASE}/")
    _post(officer, "about", {"title": "Hubs", "question": "Hubs?", "kind": "motion"})
    _post(officer, "who", {**WHO, "scheme": "equal"})
    _post(officer, "decided", {"motion_threshold": "simple_majority", "tie": "fails"})
    now = utcnow()
    _post(
        officer,
        "when",
        {
            **_moment("opens", now + timedelta(hours=1)),
            **_moment("closes", now + timedelta(days=7)),
        },
    )
    page = text(officer.get(f"{BASE}/secrecy"))
    assert 'name="scrutineers"' in page

    # Nobody by that address, and scrutineers for an open ballot: refused on this page.
    unknown = _post(officer, "secrecy", {"secrecy": "secret", "scrutineers": "nobody@x.test"})
    assert unknown.status_code == 200
    assert "nobody here has the email address nobody@x.test" in text(unknown)
    named = f"{world.second_partner.email}\n{world.third_partner.email}"
    open_ballot = _post(officer, "secrecy", {"secrecy": "open", "scrutineers": named})
    assert open_ballot.status_code == 200
    assert "Only a secret ballot has scrutineers" in text(open_ballot)
    assert "/set-up/check" not in open_ballot.headers.get("Location", "")

    moved_on = _post(officer, "secrecy", {"secrecy": "secret", "scrutineers": named})
    assert moved_on.headers["Location"].endswith("/set-up/check")
    check = text(officer.get(f"{BASE}/check"))
    assert world.second_partner.email in check
    assert world.third_partner.email in check
    saved = officer.post(
        f"{BASE}/check", data={"csrf_token": csrf_token_from(check), "keep_weights": "yes"}
    )
    assert saved.status_code == 302
    vote = db.session.execute(sa.select(Vote)).scalar_one()
    assert sorted(s.user_id for s in vote.scrutineers) == sorted(
        [world.second_partner.id, world.third_partner.id]
    )
