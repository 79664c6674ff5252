"""The weighted-votes pages through the test client: who sees which page in each state of a
vote, creating and opening a vote, casting with "check your answer" and a receipt, changing a
ballot, closing, results and the downloadable record, proxies, conflicts and interests."""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.database import utcnow
from portal.organisations.models import OrganisationKind
from portal.times import LONDON
from portal.voting import casting, closing, conflicts, proxies, services
from portal.voting import rules as counting
from portal.voting.models import (
    Ballot,
    BallotSecrecy,
    CastConfirmation,
    ConflictDeclaration,
    ConflictRuling,
    Interest,
    InterestCategory,
    Proxy,
    Receipt,
    Vote,
    VoteKind,
    VoteState,
)
from tests.conftest import csrf_token_from, fetch_csrf_token, sign_in_with_form
from tests.factories import World, make_area, make_organisation, make_user
from tests.voting.helpers import EQUAL_MOTION, close_by_moving_time, equal_vote_details, make_vote

RECEIPT_CODE = re.compile(r'id="receipt-code">([A-Z0-9-]+)<')


def count_due_votes(db: Any) -> None:
    """What the worker does each round: count every vote whose closing time has come."""
    closing.close_due_votes(utcnow())
    db.session.commit()


def sign_in(client: Any, user: Any) -> None:
    response = sign_in_with_form(client, user.email)
    assert response.status_code == 302, response.get_data(as_text=True)


def check_receipt(client: Any, code: str) -> Any:
    """Check a receipt code as a voter does: through the form, by POST."""
    token = fetch_csrf_token(client, "/receipts")
    return client.post("/receipts", data={"code": code, "csrf_token": token})


def client_for(app: Any, user: Any) -> Any:
    client = app.test_client()
    sign_in(client, user)
    return client


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def flashed(client: Any, response: Any) -> str:
    """The page a redirect leads to, where the flashed message is shown."""
    assert response.status_code == 302, text(response)
    return text(client.get(response.headers["Location"]))


# ----------------------------------------------------------------------------------------------
# Who sees what
# ----------------------------------------------------------------------------------------------

VIEWERS = [
    Role.GP_PARTNER,
    Role.PRACTICE_MANAGER,
    Role.PCN_CLINICAL_DIRECTOR,
    Role.FEDERATION_DIRECTOR,
    Role.LMC_OFFICER,
    Role.ICS_READER,
    Role.AREA_ADMIN,
    "other_area",
    "anonymous",
]
STATES = ["draft", "open", "closed_open", "closed_secret", "cancelled_draft", "cancelled_open"]
PAGES = ["index", "vote", "cast", "results", "record.json", "ballots.csv", "new"]
MANAGERS = {Role.LMC_OFFICER, Role.AREA_ADMIN}


def _expected(viewer: Any, state: str, page: str) -> int:
    if viewer == "anonymous":
        return 302
    if viewer in ("other_area", Role.ICS_READER):
        return 404
    manager = viewer in MANAGERS
    if page == "index":
        return 200
    if page == "new":
        return 200 if manager else 403
    if state in ("draft", "cancelled_draft") and not manager:
        return 404
    if page == "vote":
        return 200
    if page == "cast":
        # Riverside's ballot: a draft has no electorate yet; after closing or cancelling, a
        # redirect with the message; only Riverside's GP partner may cast it.
        if state in ("draft", "cancelled_draft"):
            return 404
        if viewer is not Role.GP_PARTNER:
            return 403
        return 200 if state == "open" else 302
    if state in ("draft", "open", "cancelled_draft", "cancelled_open"):
        return 404
    if page == "results":
        return 200
    # A secret ballot's record (@2) is for members only when nobody can be picked out in it:
    # here Riverside alone voted, and the outcome already says how, so it is.
    return 200


def _page_url(world: World, vote: Vote, page: str) -> str:
    return {
        "index": world.url("/"),
        "new": world.url("/new"),
        "vote": world.url(f"/{vote.id}"),
        "cast": world.url(f"/{vote.id}/cast/M80001"),
        "results": world.url(f"/{vote.id}/results"),
        "record.json": world.url(f"/{vote.id}/record.json"),
        "ballots.csv": world.url(f"/{vote.id}/ballots.csv"),
    }[page]


@pytest.mark.parametrize("viewer", VIEWERS, ids=lambda v: getattr(v, "value", v))
def test_every_role_against_every_page_in_every_state(client, world, db, viewer):
    votes = {
        "draft": make_vote(world, db, "draft"),
        "open": make_vote(world, db, "open"),
        "closed_open": make_vote(world, db, "closed"),
        "closed_secret": make_vote(
            world, db, "closed", secrecy=BallotSecrecy.SECRET, title="A secret one"
        ),
        "cancelled_draft": make_vote(world, db, "draft", title="A draft called off"),
        "cancelled_open": make_vote(world, db, "open", title="An open vote called off"),
    }
    for state in ("cancelled_draft", "cancelled_open"):
        closing.cancel_vote(world.officer, votes[state], "Withdrawn by the ICB", utcnow())
    db.session.commit()
    if viewer != "anonymous":
        sign_in(client, world.people[viewer])
    for state, vote in votes.items():
        for page in PAGES:
            response = client.get(_page_url(world, vote, page))
            expected = _expected(viewer, state, page)
            assert response.status_code == expected, (state, page)
            if response.status_code == 302 and viewer == "anonymous":
                assert response.headers["Location"].startswith("/accounts/login")


def test_a_page_for_an_area_the_user_is_not_in_does_not_name_the_area(client, world, db):
    vote = make_vote(world, db)
    sign_in(client, world.people["other_area"])
    response = client.get(world.url(f"/{vote.id}"))
    assert response.status_code == 404
    assert world.area.name not in text(response)


def test_a_vote_of_another_area_is_not_found_under_this_one(client, world, db):
    other = make_area(slug="third", name="Third ICB")
    lmc = make_organisation(other, OrganisationKind.LMC)
    officer = make_user(lmc, Role.LMC_OFFICER)
    make_organisation(other, ods_code="M89999")
    vote = services.create_vote(officer, other, equal_vote_details())
    db.session.commit()
    sign_in(client, world.officer)
    assert client.get(world.url(f"/{vote.id}")).status_code == 404


# ----------------------------------------------------------------------------------------------
# Creating a vote
# ----------------------------------------------------------------------------------------------


def _date_fields(prefix: str, moment: Any) -> dict[str, str]:
    local = moment.astimezone(LONDON)
    return {
        f"{prefix}_day": str(local.day),
        f"{prefix}_month": str(local.month),
        f"{prefix}_year": str(local.year),
        f"{prefix}_time": f"{local:%H:%M}",
    }


def vote_form(**changes: Any) -> dict[str, Any]:
    now = utcnow()
    data: dict[str, Any] = {
        "title": "Enhanced access model",
        "question": "Should the LMC support the ICB's enhanced access model?",
        "body_markdown": "The ICB proposes **one hub** per PCN.\n\n<script>alert(1)</script>",
        "kind": "motion",
        "options": "",
        "secrecy": "open",
        "voting_kinds": ["practice"],
        "scheme": "list_size",
        "band": "1000",
        "equal_part": "50",
        "basis": "list_size",
        "motion_threshold": "simple_majority",
        "supermajority": "2/3",
        "tie": "fails",
        "choice_threshold": "plurality",
        **_date_fields("opens", now - timedelta(hours=1)),
        **_date_fields("closes", now + timedelta(days=2)),
    }
    data.update(changes)
    return data


def post_vote_form(client: Any, url: str, **changes: Any) -> Any:
    token = csrf_token_from(text(client.get(url)))
    return client.post(url, data={**vote_form(**changes), "csrf_token": token})


def _created_vote(db: Any, response: Any) -> Vote:
    assert response.status_code == 302, text(response)
    vote_id = int(re.search(r"/votes/(\d+)$", response.headers["Location"]).group(1))
    return db.session.get(Vote, vote_id)


def test_an_officer_creates_a_vote_with_rules_in_the_ballot_record_format(client, world, db):
    sign_in(client, world.officer)
    response = post_vote_form(
        client,
        world.url("/new"),
        scheme="hybrid",
        equal_part="25",
        basis="banded",
        band="2000",
        voting_kinds=["practice", "pcn"],
        pcn_codes=["U90001"],
        block_practice="3/4",
        block_pcn="0.25",
        cap="40",
        quorum_members="50",
        quorum_weight="33.5",
        motion_threshold="supermajority",
        supermajority="2/3",
        tie="chair_against",
    )
    vote = _created_vote(db, response)
    assert vote.state is VoteState.DRAFT
    assert vote.rules == {
        "weighting": {"scheme": "hybrid", "equal_part": "1/4", "basis": "banded", "band": 2000},
        "blocks": {"practice": "3/4", "pcn": "1/4"},
        "cap": "2/5",
        "quorum": {"members": "1/2", "weight": "67/200"},
        "threshold": {"rule": "supermajority", "fraction": "2/3"},
        "tie": "chair_against",
    }
    assert vote.options == ["for", "against", "abstain"]
    assert vote.voting_kinds == ["practice", "pcn"]
    assert vote.pcn_codes == ["U90001"]
    # Typed in London time, stored in UTC, to the minute.
    assert abs(vote.opens_at - (utcnow() - timedelta(hours=1))) < timedelta(minutes=1)
    page = text(client.get(response.headers["Location"]))
    assert "The vote has been saved as a draft" in page
    assert "<script>alert(1)</script>" not in page
    assert "<strong>one hub</strong>" in page


def test_a_choice_vote_and_its_options(client, world, db):
    sign_in(client, world.officer)
    response = post_vote_form(
        client,
        world.url("/new"),
        kind="choice",
        options="Dr Adams\n\nDr Baker\n",
        choice_threshold="simple_majority",
        scheme="equal",
    )
    vote = _created_vote(db, response)
    assert vote.kind is VoteKind.CHOICE
    assert vote.options == ["Dr Adams", "Dr Baker"]
    assert vote.rules["threshold"] == {"rule": "simple_majority"}


def test_the_form_names_each_problem(client, world, db):
    sign_in(client, world.officer)
    response = post_vote_form(
        client,
        world.url("/new"),
        title="",
        kind="choice",
        options="Only one",
        voting_kinds=[],
        opens_day="31",
        opens_month="2",
        closes_time="25:00",
        scheme="banded",
        band="many",
        cap="lots",
    )
    assert response.status_code == 200
    page = text(response)
    assert "<title>Error: Create a vote" in page
    for message in (
        "Enter a title",
        "Enter at least 2 options, one per line",
        "Choose which kinds of organisation vote",
        "The opening date must be a real date",
        "Enter the closing time on the 24-hour clock",
        "Enter the number of patients in a band",
        "Enter a percentage like 50, or leave it empty",
    ):
        assert message in page
    assert db.session.execute(sa.select(sa.func.count(Vote.id))).scalar_one() == 0


def test_a_hybrid_weighting_without_its_equal_part_is_explained(client, world, db):
    sign_in(client, world.officer)
    response = post_vote_form(client, world.url("/new"), scheme="hybrid", equal_part="")
    assert response.status_code == 200
    assert "Enter the equal part as a percentage, like 50" in text(response)
    assert db.session.execute(sa.select(sa.func.count(Vote.id))).scalar_one() == 0


def test_rules_the_counting_module_refuses_are_shown_and_nothing_is_saved(client, world, db):
    sign_in(client, world.officer)
    response = post_vote_form(client, world.url("/new"), block_practice="1/2")
    assert response.status_code == 200
    assert "The rules are not valid: rules.blocks" in text(response)
    assert db.session.execute(sa.select(sa.func.count(Vote.id))).scalar_one() == 0


def test_secret_ballot_with_list_size_weights_warns_and_offers_bands(client, world, db):
    sign_in(client, world.officer)
    url = world.url("/new")
    response = post_vote_form(client, url, secrecy="secret", scheme="list_size")
    assert response.status_code == 200
    page = text(response)
    assert "These rules could expose how some organisations voted" in page
    # Riverside, Hillside and Brookside hold 12,000, 6,000 and 3,000 patients: each alone.
    for name in ("Riverside Surgery", "Hillside Practice", "Brookside Health"):
        assert name in page
    assert "Equal weights: nobody would stand alone" in page
    assert "I understand, keep these rules" in page
    assert db.session.execute(sa.select(sa.func.count(Vote.id))).scalar_one() == 0

    token = csrf_token_from(page)
    banded = client.post(
        url,
        data={**vote_form(secrecy="secret"), "use_banded": "y", "csrf_token": token},
    )
    vote = _created_vote(db, banded)
    assert vote.rules["weighting"] == {"scheme": "banded", "band": 1000}
    assert "bands of patients" in flashed(client, banded)

    kept = client.post(
        url,
        data={**vote_form(secrecy="secret"), "keep_weights": "y", "csrf_token": token},
    )
    assert _created_vote(db, kept).rules["weighting"] == {"scheme": "list_size"}


def test_a_draft_can_be_changed_and_an_open_vote_cannot(app, client, world, db):
    draft = make_vote(world, db, "draft", title="First title")
    sign_in(client, world.officer)
    url = world.url(f"/{draft.id}/edit")
    form_page = text(client.get(url))
    assert 'value="First title"' in form_page
    response = post_vote_form(client, url, title="Second title", scheme="equal")
    assert response.status_code == 302
    db.session.refresh(draft)
    assert draft.title == "Second title"

    opened = make_vote(world, db, "open")
    response = client.get(world.url(f"/{opened.id}/edit"))
    assert "cannot change once the vote has opened" in flashed(client, response)

    partner = client_for(app, world.partner)
    assert partner.get(world.url(f"/{opened.id}/edit")).status_code == 403
    assert partner.get(url).status_code == 404


# ----------------------------------------------------------------------------------------------
# The whole flow
# ----------------------------------------------------------------------------------------------


def _checked(
    client: Any, world: World, vote: Vote, choice: str, ods_code: str = "M80001"
) -> tuple[str, dict[str, str], str]:
    """Choose an answer and open "Check your answer": the confirm URL, the form it would send
    (with its one-time token) and the check page."""
    cast_url = world.url(f"/{vote.id}/cast/{ods_code}")
    page = text(client.get(cast_url))
    chosen = client.post(cast_url, data={"choice": choice, "csrf_token": csrf_token_from(page)})
    assert chosen.status_code == 302, text(chosen)
    assert chosen.headers["Location"].endswith(f"/cast/{ods_code}/check")
    assert choice not in chosen.headers["Location"]
    check = client.get(chosen.headers["Location"])
    assert check.status_code == 200
    check_page = text(check)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', check_page)
    assert token is not None, check_page
    form = {"token": token.group(1), "csrf_token": csrf_token_from(check_page)}
    return world.url(f"/{vote.id}/cast/{ods_code}/confirm"), form, check_page


def _cast(client: Any, world: World, vote: Vote, choice: str, ods_code: str = "M80001") -> str:
    """Choose, check and confirm; follow the redirect to the receipt; return its code."""
    cast_url = world.url(f"/{vote.id}/cast/{ods_code}")
    url, form, check_page = _checked(client, world, vote, choice, ods_code)
    assert "Check your answer" in check_page
    assert f'id="your-answer">{choice.capitalize()}<' in check_page
    assert f'href="{cast_url}">Change' in check_page
    confirmed = client.post(url, data=form)
    assert confirmed.status_code == 302, text(confirmed)
    assert confirmed.headers["Location"] == f"{cast_url}/receipt"
    receipt = client.get(confirmed.headers["Location"])
    assert "Ballot cast" in text(receipt)
    return RECEIPT_CODE.search(text(receipt)).group(1)


def test_create_open_cast_change_close_and_see_the_result(app, world, db):
    officer = client_for(app, world.officer)
    created = post_vote_form(officer, world.url("/new"))
    vote = _created_vote(db, created)
    vote_page = text(officer.get(world.url(f"/{vote.id}")))
    assert "Open the vote" in vote_page
    opened = officer.post(
        world.url(f"/{vote.id}/open"), data={"csrf_token": csrf_token_from(vote_page)}
    )
    assert "to 3 organisations" in flashed(officer, opened)
    db.session.refresh(vote)
    assert vote.state is VoteState.OPEN

    partner = client_for(app, world.partner)
    page = text(partner.get(world.url(f"/{vote.id}")))
    assert "Riverside Surgery" in page
    assert "Cast ballot" in page
    assert "57.1 %" in page  # 12,000 of 21,000 patients, to one decimal as people read it
    assert "12,000" in page

    first_code = _cast(partner, world, vote, "for")
    ballot = db.session.execute(sa.select(Ballot)).scalar_one()
    assert (ballot.choice, ballot.version) == ("for", 1)

    anonymous = app.test_client()
    receipt = check_receipt(anonymous, first_code)
    assert receipt.status_code == 200
    assert "Enhanced access model" in text(receipt)
    assert 'id="receipt-choice">For<' in text(receipt)
    assert "will be counted when the vote closes" in text(receipt)

    page = text(partner.get(world.url(f"/{vote.id}")))
    assert "Change ballot" in page
    second_code = _cast(partner, world, vote, "against")
    db.session.refresh(ballot)
    assert (ballot.choice, ballot.version) == ("against", 2)
    assert "Replaced by a later ballot" in text(check_receipt(anonymous, first_code))

    # Officers see how many have voted, never how.
    officer_page = text(officer.get(world.url(f"/{vote.id}")))
    assert "1 of 3 organisations have voted" in officer_page
    assert "weight_percent" not in officer_page

    close_by_moving_time(vote)
    db.session.commit()
    # A page view counts nothing: until the worker has counted it, the vote is being counted.
    page = text(partner.get(world.url(f"/{vote.id}")))
    db.session.refresh(vote)
    assert vote.state is VoteState.OPEN
    assert "Closed, being counted" in page
    assert "See the result" not in page
    assert partner.get(world.url(f"/{vote.id}/results")).status_code == 404
    assert "Closed, being counted" in text(check_receipt(anonymous, second_code))
    count_due_votes(db)
    page = text(partner.get(world.url(f"/{vote.id}")))
    assert "See the result" in page
    assert "being counted" not in page

    results = partner.get(world.url(f"/{vote.id}/results"))
    assert results.status_code == 200
    results_page = text(results)
    assert "Rejected" in results_page
    assert "<svg" in results_page
    assert '<title id="chart-title">' in results_page
    assert " style=" not in results_page
    assert "Riverside Surgery (M80001)" in results_page  # who voted how: an open ballot

    record = partner.get(world.url(f"/{vote.id}/record.json"))
    assert record.status_code == 200
    assert record.headers["Content-Disposition"].startswith("attachment")
    digest = hashlib.sha256(record.data).hexdigest()
    assert digest == vote.ballot_record_sha256
    assert f'id="sha256">{digest}<' in results_page
    assert counting.recount(json.loads(record.data)) == vote.result

    csv = partner.get(world.url(f"/{vote.id}/ballots.csv"))
    assert csv.status_code == 200
    assert "M80001,practice,against," in text(csv)

    assert "Counted in the final tally" in text(check_receipt(anonymous, second_code))
    assert "Replaced by a later ballot" in text(check_receipt(anonymous, first_code))


def test_the_same_confirmation_sent_twice_casts_once_and_shows_the_receipt(app, client, world, db):
    vote = make_vote(world, db)
    sign_in(client, world.partner)
    url, form, _page = _checked(client, world, vote, "for")
    first = client.post(url, data=form)
    receipt_url = first.headers["Location"]
    code = RECEIPT_CODE.search(text(client.get(receipt_url))).group(1)
    # Sent again (a reload of the POST, the back button, a double tap): nothing is cast.
    again = client.post(url, data=form)
    assert again.status_code == 302
    assert again.headers["Location"] == receipt_url
    # Reloading the receipt page casts nothing either, and shows the same code.
    for _ in range(2):
        assert RECEIPT_CODE.search(text(client.get(receipt_url))).group(1) == code
    ballots = list(db.session.execute(sa.select(Ballot)).scalars())
    assert [(ballot.choice, ballot.version) for ballot in ballots] == [("for", 1)]
    assert db.session.execute(sa.select(sa.func.count(Receipt.id))).scalar_one() == 1
    assert code not in receipt_url
    # The token is used up, and its row names neither the person nor the answer.
    (confirmation,) = db.session.execute(sa.select(CastConfirmation)).scalars().all()
    assert confirmation.used
    assert set(CastConfirmation.__table__.columns.keys()) == {
        "id",
        "vote_id",
        "organisation_id",
        "token_hash",
        "used",
    }
    anonymous = app.test_client()
    assert "Replaced" not in text(anonymous.get("/receipts", query_string={"code": code}))


def test_a_confirmation_without_a_token_of_this_voter_casts_nothing(client, world, db):
    vote = make_vote(world, db)
    sign_in(client, world.partner)
    token = fetch_csrf_token(client, world.url(f"/{vote.id}"))
    url = world.url(f"/{vote.id}/cast/M80001/confirm")
    for forged in ("", "made-up"):
        response = client.post(url, data={"token": forged, "csrf_token": token})
        assert "This page has expired: choose your answer again" in flashed(client, response)
    assert db.session.execute(sa.select(sa.func.count(Ballot.id))).scalar_one() == 0


def test_the_receipt_code_can_be_emailed_to_the_voter(client, world, db, smtp_server):
    vote = make_vote(world, db)
    sign_in(client, world.partner)
    code = _cast(client, world, vote, "for")
    receipt_url = world.url(f"/{vote.id}/cast/M80001/receipt")
    page = text(client.get(receipt_url))
    sent = client.post(f"{receipt_url}/email", data={"csrf_token": csrf_token_from(page)})
    assert sent.headers["Location"] == receipt_url
    assert f"on its way to {world.partner.email}" in text(client.get(receipt_url))
    (message,) = [m for m in smtp_server.messages if m["Subject"] == "Your ballot receipt code"]
    assert message["To"] == world.partner.email
    assert code in message.get_content()
    assert vote.title not in message.get_content()


def test_confirming_without_the_csrf_token_is_refused_and_writes_nothing(client, world, db):
    vote = make_vote(world, db)
    sign_in(client, world.partner)
    url = world.url(f"/{vote.id}/cast/M80001/confirm")
    assert client.post(url, data={"choice": "for"}).status_code == 400
    assert client.post(url, data={"choice": "for", "csrf_token": "forged"}).status_code == 400
    assert db.session.execute(sa.select(sa.func.count(Ballot.id))).scalar_one() == 0


def test_confirming_after_a_recusal_gives_the_reason_and_writes_nothing(client, world, db):
    """Recused between "check your answer" and "confirm": the refusal names the recusal."""
    vote = make_vote(world, db)
    sign_in(client, world.partner)
    url, form, _page = _checked(client, world, vote, "for")
    declaration = conflicts.declare_conflict(
        world.partner,
        vote,
        world.practice,
        InterestCategory.FINANCIAL,
        "A partner is a director of the hub provider",
        utcnow(),
    )
    conflicts.rule_on_conflict(world.officer, declaration, ConflictRuling.RECUSED, utcnow())
    db.session.commit()
    response = client.post(url, data=form)
    assert response.status_code == 403
    assert "Riverside Surgery has been recused from this vote" in text(response)
    assert "Your role does not allow this action" not in text(response)
    assert db.session.execute(sa.select(sa.func.count(Ballot.id))).scalar_one() == 0


def test_casting_after_the_close_says_so_and_writes_nothing(client, world, db):
    vote = make_vote(world, db)
    sign_in(client, world.partner)
    url, form, _page = _checked(client, world, vote, "for")
    close_by_moving_time(vote)
    db.session.commit()
    response = client.post(url, data=form)
    assert "This vote has closed: no more ballots can be cast or changed" in flashed(
        client, response
    )
    assert db.session.execute(sa.select(sa.func.count(Ballot.id))).scalar_one() == 0
    db.session.refresh(vote)
    assert vote.state is VoteState.OPEN  # refused, and left for the worker to count
    # The cast page says the same instead of offering the form.
    response = client.get(world.url(f"/{vote.id}/cast/M80001"))
    assert "This vote has closed" in flashed(client, response)


def test_a_choice_that_is_not_an_option_is_refused(client, world, db):
    vote = make_vote(world, db)
    sign_in(client, world.partner)
    url = world.url(f"/{vote.id}/cast/M80001")
    token = fetch_csrf_token(client, url)
    response = client.post(url, data={"choice": "maybe", "csrf_token": token})
    assert response.status_code == 200
    assert "Choose an answer" in text(response)
    assert db.session.execute(sa.select(sa.func.count(Ballot.id))).scalar_one() == 0
    # Without a chosen answer the check page sends the voter back to choose.
    assert client.get(f"{url}/check").headers["Location"].endswith(url)


# ----------------------------------------------------------------------------------------------
# Secret ballots and receipts
# ----------------------------------------------------------------------------------------------


def test_a_secret_ballot_whose_record_would_unmask_keeps_none_to_download(app, world, db):
    # Riverside (12,000 patients) for, Hillside (6,000) against: each weight is its own, so
    # the record's (weight, answer) pairs would say how each voted. Nobody may download it.
    by_size = {**EQUAL_MOTION, "weighting": {"scheme": "list_size"}}
    vote = make_vote(world, db, "open", secrecy=BallotSecrecy.SECRET, rules=by_size)
    casting.cast_ballot(world.partner, vote, world.practice, "for", utcnow())
    casting.cast_ballot(world.second_partner, vote, world.second, "against", utcnow())
    close_by_moving_time(vote)
    closing.close_vote(vote, utcnow())
    db.session.commit()
    assert vote.ballot_record is None
    for user in (world.partner, world.officer):
        viewer = client_for(app, user)
        assert viewer.get(world.url(f"/{vote.id}/record.json")).status_code == 404
        assert viewer.get(world.url(f"/{vote.id}/ballots.csv")).status_code == 404
    results = text(client_for(app, world.partner).get(world.url(f"/{vote.id}/results")))
    assert "nobody can see how an organisation voted" in results
    assert vote.ballot_record_sha256 in results
    assert "Members cannot download it" in results
    assert 'id="who-voted-how"' not in results
    # Weights are not choices: the weight table names every organisation.
    assert "Riverside Surgery (M80001)" in results


def test_an_unknown_receipt_code_is_a_clear_404(client, db):
    response = check_receipt(client, "AAAA-BBBB-CCCC-DDDD")
    assert response.status_code == 404
    assert "No ballot has this receipt code" in text(response)
    empty = client.get("/receipts")
    assert empty.status_code == 200
    assert "Receipt code" in text(empty)


def test_a_receipt_code_in_the_query_string_is_not_looked_at(app, client, world, db):
    vote = make_vote(world, db)
    _, code = casting.cast_ballot(world.partner, vote, world.practice, "for", utcnow())
    db.session.commit()
    response = client.get("/receipts", query_string={"code": code})
    assert response.status_code == 200
    assert 'id="receipt"' not in text(response)


def test_a_receipt_check_without_the_csrf_token_is_refused(client, world, db):
    vote = make_vote(world, db)
    _, code = casting.cast_ballot(world.partner, vote, world.practice, "for", utcnow())
    db.session.commit()
    response = client.post("/receipts", data={"code": code})
    assert response.status_code == 400
    assert 'id="receipt"' not in text(response)
    assert "Your form could not be accepted" in text(response)


def test_receipt_codes_carry_at_least_128_bits(db):
    code = casting.new_receipt_code()
    symbols = code.replace("-", "")
    assert set(symbols) <= set(casting.RECEIPT_ALPHABET)
    assert len(symbols) * math.log2(len(casting.RECEIPT_ALPHABET)) >= 128
    assert len({casting.new_receipt_code() for _ in range(200)}) == 200


def test_a_secret_ballot_receipt_never_shows_the_choice(app, client, world, db):
    vote = make_vote(world, db, secrecy=BallotSecrecy.SECRET)
    _, first = casting.cast_ballot(world.partner, vote, world.practice, "against", utcnow())
    _, second = casting.cast_ballot(world.partner, vote, world.practice, "for", utcnow())
    db.session.commit()
    waiting = text(check_receipt(client, second))
    assert "will be counted when the vote closes" in waiting
    assert "Not shown: this is a secret ballot" in waiting
    assert "Replaced by a later ballot" in text(check_receipt(client, first))
    close_by_moving_time(vote)
    db.session.commit()
    being_counted = text(check_receipt(client, second))
    assert "Closed, being counted" in being_counted
    count_due_votes(db)
    counted = text(check_receipt(client, second))
    replaced = text(check_receipt(client, first))
    assert "Counted in the final tally" in counted
    assert "Replaced by a later ballot from your organisation" in replaced
    for page in (waiting, being_counted, counted, replaced):
        receipt = page[page.index('id="receipt"') :]
        assert ">For<" not in receipt
        assert ">Against<" not in receipt


def test_a_receipt_of_a_vote_past_its_closing_time_is_being_counted_until_the_worker_counts(
    app, client, world, db
):
    vote = make_vote(world, db)
    _, code = casting.cast_ballot(world.partner, vote, world.practice, "for", utcnow())
    close_by_moving_time(vote)
    db.session.commit()
    page = text(check_receipt(client, code))
    assert "Closed, being counted" in page
    assert "Counted in the final tally" not in page
    db.session.refresh(vote)
    assert vote.state is VoteState.OPEN
    count_due_votes(db)
    assert "Counted in the final tally" in text(check_receipt(client, code))


# ----------------------------------------------------------------------------------------------
# Index, proxies, conflicts and interests
# ----------------------------------------------------------------------------------------------


def test_the_list_shows_open_votes_with_who_has_voted_drafts_and_outcomes(app, world, db):
    draft = make_vote(world, db, "draft", title="A draft vote")
    opened = make_vote(world, db, "open", title="An open vote")
    closed = make_vote(world, db, "closed", title="A closed vote")
    casting.cast_ballot(world.partner, opened, world.practice, "for", utcnow())
    db.session.commit()

    partner_page = text(client_for(app, world.partner).get(world.url("/")))
    assert "An open vote" in partner_page
    assert "Riverside Surgery: " in partner_page
    assert "Voted" in partner_page
    assert "A draft vote" not in partner_page
    assert "A closed vote" in partner_page
    assert "Passed" in partner_page

    second_page = text(client_for(app, world.second_partner).get(world.url("/")))
    assert "Not voted yet" in second_page

    officer_page = text(client_for(app, world.officer).get(world.url("/")))
    assert draft.title in officer_page
    assert f"/votes/{closed.id}/results" in officer_page


def test_a_practice_names_a_proxy_who_casts_its_ballot(app, world, db):
    vote = make_vote(world, db)
    partner = client_for(app, world.partner)
    page = text(partner.get(world.url(f"/{vote.id}")))
    response = partner.post(
        world.url(f"/{vote.id}/proxy/M80001"),
        data={
            "proxy-M80001-holder": "M80002",
            "proxy-M80001-instruction": "against",
            "proxy-M80001-csrf_token": csrf_token_from(page),
        },
    )
    assert "Hillside Practice can now cast Riverside Surgery" in flashed(partner, response)
    proxy = db.session.execute(sa.select(Proxy)).scalar_one()
    assert proxy.instruction == "against"

    holder = client_for(app, world.second_partner)
    page = text(holder.get(world.url(f"/{vote.id}")))
    assert 'id="ballot-M80001"' in page
    assert "with the instruction to vote against" in page
    cast_page = text(holder.get(world.url(f"/{vote.id}/cast/M80001")))
    assert 'value="against"' in cast_page
    assert 'value="for"' not in cast_page
    _cast(holder, world, vote, "against")
    ballot = db.session.execute(sa.select(Ballot)).scalar_one()
    assert ballot.proxy_id == proxy.id

    # The practice's own ballot overrides the proxy's.
    _cast(partner, world, vote, "for")
    page = text(holder.get(world.url(f"/{vote.id}")))
    assert "has cast its own ballot, which overrides the proxy" in page

    close_by_moving_time(vote)
    count_due_votes(db)
    results = text(partner.get(world.url(f"/{vote.id}/results")))
    assert 'id="proxies"' in results
    assert "Hillside Practice" in results


def test_a_proxy_form_with_no_holder_shows_the_error(app, world, db):
    vote = make_vote(world, db)
    partner = client_for(app, world.partner)
    page = text(partner.get(world.url(f"/{vote.id}")))
    response = partner.post(
        world.url(f"/{vote.id}/proxy/M80001"),
        data={"proxy-M80001-holder": "", "proxy-M80001-csrf_token": csrf_token_from(page)},
    )
    assert response.status_code == 200
    assert "Choose the practice that will vote for yours" in text(response)
    # Only a partner of the practice may name its proxy.
    manager = client_for(app, world.people[Role.PRACTICE_MANAGER])
    token = fetch_csrf_token(manager, world.url(f"/{vote.id}"))
    response = manager.post(
        world.url(f"/{vote.id}/proxy/M80001"),
        data={"proxy-M80001-holder": "M80002", "proxy-M80001-csrf_token": token},
    )
    assert response.status_code == 403


def test_a_proxy_can_be_revoked(app, world, db):
    vote = make_vote(world, db)
    proxy = proxies.name_proxy(world.partner, vote, world.practice, world.second, None, utcnow())
    db.session.commit()
    partner = client_for(app, world.partner)
    page = text(partner.get(world.url(f"/{vote.id}")))
    assert "Hillside Practice casts Riverside Surgery" in page
    response = partner.post(
        world.url(f"/{vote.id}/proxies/{proxy.id}/revoke"),
        data={"csrf_token": csrf_token_from(page)},
    )
    assert "The proxy has been revoked" in flashed(partner, response)
    db.session.refresh(proxy)
    assert proxy.revoked_at is not None


def test_a_declared_conflict_is_ruled_on_and_recusal_stops_casting(app, world, db):
    vote = make_vote(world, db)
    partner = client_for(app, world.partner)
    page = text(partner.get(world.url(f"/{vote.id}")))
    response = partner.post(
        world.url(f"/{vote.id}/conflicts"),
        data={
            "conflict-organisation": "M80001",
            "conflict-category": "financial",
            "conflict-description": "A partner is a director of the hub provider",
            "conflict-csrf_token": csrf_token_from(page),
        },
    )
    assert "An officer will rule on it" in flashed(partner, response)
    declaration = db.session.execute(sa.select(ConflictDeclaration)).scalar_one()

    officer = client_for(app, world.officer)
    page = text(officer.get(world.url(f"/{vote.id}")))
    assert "A partner is a director of the hub provider" in page
    response = officer.post(
        world.url(f"/{vote.id}/conflicts/{declaration.id}"),
        data={
            f"ruling-{declaration.id}-ruling": "recused",
            f"ruling-{declaration.id}-csrf_token": csrf_token_from(page),
        },
    )
    assert "The ruling on Riverside Surgery" in flashed(officer, response)
    db.session.refresh(declaration)
    assert declaration.ruling is ConflictRuling.RECUSED

    page = text(partner.get(world.url(f"/{vote.id}")))
    assert "Riverside Surgery has been recused from this vote" in page
    assert "It is recused from this vote" in page
    response = partner.get(world.url(f"/{vote.id}/cast/M80001"))
    assert "has been recused" in flashed(partner, response)

    # Only officers rule.
    token = csrf_token_from(page)
    response = partner.post(
        world.url(f"/{vote.id}/conflicts/{declaration.id}"),
        data={
            f"ruling-{declaration.id}-ruling": "none",
            f"ruling-{declaration.id}-csrf_token": token,
        },
    )
    assert response.status_code == 403


def test_members_declare_interests_in_the_register(app, world, db):
    manager = client_for(app, world.people[Role.PRACTICE_MANAGER])
    url = world.url("/interests")
    page = text(manager.get(url))
    assert "Your organisations have not declared any interests" in page
    response = manager.post(
        url,
        data={
            "organisation": str(world.practice.id),
            "category": "financial",
            "description": "Shares in Stoke Hub Ltd",
            "csrf_token": csrf_token_from(page),
        },
    )
    page = flashed(manager, response)
    assert "Shares in Stoke Hub Ltd" in page
    interest = db.session.execute(sa.select(Interest)).scalar_one()
    assert interest.organisation_id == world.practice.id
    # Another organisation's register entries are not shown to someone outside it.
    other = text(client_for(app, world.second_partner).get(url))
    assert "Shares in Stoke Hub Ltd" not in other
    # A value not in the list is refused.
    response = manager.post(
        url,
        data={
            "organisation": str(world.second.id),
            "category": "financial",
            "description": "x",
            "csrf_token": csrf_token_from(page),
        },
    )
    assert response.status_code == 200
    assert "Choose an organisation from the list" in text(response)
    assert client_for(app, world.people[Role.ICS_READER]).get(url).status_code == 404


def test_a_ballot_cast_at_the_same_moment_elsewhere_shows_the_clear_message(
    client, world, db, monkeypatch
):
    from portal.errors import Conflict

    vote = make_vote(world, db)
    sign_in(client, world.partner)
    url, form, _page = _checked(client, world, vote, "for")
    message = "Someone else cast Riverside Surgery's ballot at the same moment."

    def clash(*args: Any, **kwargs: Any) -> Any:
        raise Conflict(message)

    monkeypatch.setattr(casting, "cast_ballot", clash)
    response = client.post(url, data=form)
    assert "Someone else cast Riverside Surgery&#39;s ballot at the same moment." in flashed(
        client, response
    )


def test_an_option_longer_than_a_ballot_can_hold_is_refused(client, world, db):
    sign_in(client, world.officer)
    response = post_vote_form(
        client, world.url("/new"), kind="choice", options="Short\n" + "x" * 101, scheme="equal"
    )
    assert response.status_code == 200
    assert "Each option must be 100 characters or fewer" in text(response)


def test_a_secret_ballot_withholds_the_figures_that_would_unmask_the_lmc(app, world, db):
    """Five practices for and the LMC against: a per-kind table would name it."""
    practices = [world.practice, world.second, world.third]
    partners = [world.partner, world.second_partner, world.third_partner]
    for number in (4, 5):
        practice = make_organisation(world.area, ods_code=f"M8000{number}", pcn=world.pcn)
        practices.append(practice)
        partners.append(make_user(practice, Role.GP_PARTNER))
    vote = services.create_vote(
        world.officer,
        world.area,
        equal_vote_details(secrecy=BallotSecrecy.SECRET, voting_kinds=["practice", "lmc"]),
    )
    services.open_vote(world.officer, vote, utcnow())
    for practice, partner in zip(practices, partners, strict=True):
        casting.cast_ballot(partner, vote, practice, "for", utcnow())
    casting.cast_ballot(world.officer, vote, world.lmc, "against", utcnow())
    close_by_moving_time(vote)
    closing.close_vote(vote, utcnow())
    db.session.commit()
    assert vote.published["level"] != "full"
    assert vote.published["by_kind"] is None

    page = text(client_for(app, world.partner).get(world.url(f"/{vote.id}/results")))
    assert "Figures withheld to keep the ballot secret." in page
    breakdown = page[
        page.index('id="breakdown"') : page.index("</table>", page.index('id="breakdown"'))
    ]
    assert "Against" not in breakdown
    # Equal weights, everyone voted: "1 against" could be any of the six, so it is shown.
    assert vote.published["level"] == "no_breakdown"
    who_voted = page[page.index('id="who-voted"') :]
    assert "Riverside Surgery (M80001)" in who_voted


def test_the_last_eligible_member_cannot_be_recused(app, world, db):
    from portal.errors import Conflict

    vote = make_vote(world, db)
    pairs = [
        (world.practice, world.partner),
        (world.second, world.second_partner),
        (world.third, world.third_partner),
    ]
    declarations = [
        conflicts.declare_conflict(
            partner, vote, practice, InterestCategory.FINANCIAL, "Hub director", utcnow()
        )
        for practice, partner in pairs
    ]
    for declaration in declarations[:-1]:
        conflicts.rule_on_conflict(world.officer, declaration, ConflictRuling.RECUSED, utcnow())
    db.session.commit()
    with pytest.raises(Conflict, match="would leave no vote"):
        conflicts.rule_on_conflict(
            world.officer, declarations[-1], ConflictRuling.RECUSED, utcnow()
        )
    db.session.rollback()
    officer = client_for(app, world.officer)
    page = officer.get(world.url(f"/{vote.id}"))
    assert page.status_code == 200
    assert "Recused" in text(page)


def test_a_draft_saved_again_unchanged_keeps_its_rules(client, world, db):
    from portal.voting.setup_forms import vote_data

    rules = {
        "weighting": {"scheme": "hybrid", "equal_part": "1/3", "basis": "banded", "band": 1500},
        "blocks": {"practice": "2/3", "pcn": "1/3"},
        "cap": "1/8",
        "quorum": {"members": "1/2", "weight": None},
        "threshold": {"rule": "supermajority", "fraction": "3/4"},
        "tie": "chair_for",
    }
    draft = make_vote(
        world, db, "draft", rules=rules, voting_kinds=["practice", "pcn"], pcn_codes=["U90001"]
    )
    sign_in(client, world.officer)
    url = world.url(f"/{draft.id}/edit")
    token = fetch_csrf_token(client, url)
    data = {key: value for key, value in vote_data(draft).items() if value is not None}
    response = client.post(url, data={**data, "csrf_token": token})
    assert response.status_code == 302, text(response)
    db.session.refresh(draft)
    assert draft.rules == rules
    assert draft.pcn_codes == ["U90001"]
    assert abs(draft.closes_at - equal_vote_details().closes_at) < timedelta(minutes=1)
