"""The statements pages: publishing, superseding, withdrawing and responding through the real
forms (with CSRF), what a statement page says, hostile Markdown, and the search."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from portal.positions.models import PositionState
from portal.statements import services
from portal.statements.models import IcsResponse, Statement, StatementState
from portal.tiers import Tier
from portal.voting.models import BallotSecrecy
from tests.conftest import csrf_token_from
from tests.statements.helpers import (
    RULES,
    add_proposal,
    agree_position,
    decided_vote,
    other_area_member,
    publish_statement,
)


def _post(client, url: str, data: dict[str, str]):
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_an_officer_publishes_an_agreed_position_through_a_check_page(client, login, db, setting):
    vote = decided_vote(setting)
    position = agree_position(setting, vote, title="Hubs: our position", tier=Tier.GROUP)
    login(setting.officer)
    listing = _text(client.get("/statements/publish"))
    assert f"/statements/publish/{position.id}" in listing
    form = client.get(f"/statements/publish/{position.id}")
    page = _text(form)
    assert "Hubs: our position" in page
    assert "3 organisations for (75.0 % of the weight), 1 against (25.0 %)" in page
    assert 'value="group" checked' in page  # the draft's tier is offered first
    assert 'value="voted_for" checked' in page  # those that voted for sign, by default
    choose = {"tier": "ics", "signatories": "voted_for"}
    check = _post(client, f"/statements/publish/{position.id}", choose)
    # The check page shows the statement as readers will see it, and publishes nothing yet.
    assert check.status_code == 200
    checked = _text(check)
    assert "Check before you publish" in checked
    assert "3 organisations: the organisations that voted for it." in checked
    assert "Riverside Surgery (A10001)" in checked
    assert "Meadow Health Centre" not in checked  # voted against: does not sign
    assert "No quorum was set" not in checked  # RULES sets one, and everyone voted
    assert db.session.execute(sa.select(sa.func.count(Statement.id))).scalar_one() == 0
    response = _post(client, f"/statements/publish/{position.id}", {**choose, "confirmed": "yes"})
    assert response.status_code == 302
    statement = db.session.execute(sa.select(Statement)).scalar_one()
    assert response.headers["Location"] == f"/statements/{statement.reference}"
    assert (statement.tier, len(statement.signatories)) == (Tier.ICS, 3)
    assert statement.provenance in checked
    db.session.refresh(position)
    assert position.state is PositionState.PUBLISHED
    page = _text(client.get(response.headers["Location"]))
    assert f"Statement {statement.reference} was published at " in page
    assert "Riverside Surgery (A10001)" in page
    assert "Meadow Health Centre" not in page
    assert statement.provenance in page
    assert f"/areas/north-staffs/votes/{vote.id}/results" in page
    assert vote.ballot_record_sha256 in page
    # Published: it is no longer offered, and publishing it again is refused.
    assert f"/statements/publish/{position.id}" not in _text(client.get("/statements/publish"))
    again = _text(client.get(f"/statements/publish/{position.id}"))
    assert "already been published" in again
    assert "Check the statement" not in again


def test_a_chosen_list_must_be_of_organisations_that_voted_for(client, login, db, setting):
    vote = decided_vote(setting)
    position = agree_position(setting, vote)
    riverside, _hillside, meadow, _castle = setting.practices
    login(setting.officer)
    url = f"/statements/publish/{position.id}"
    refused = _post(
        client,
        url,
        {"tier": "public", "signatories": "chosen", "chosen": [riverside.id, meadow.id]},
    )
    assert refused.status_code == 200
    assert "Only organisations that voted for it can sign it" in _text(refused)
    nobody = _post(client, url, {"tier": "public", "signatories": "chosen"})
    assert "Choose at least one of the organisations that voted for it" in _text(nobody)
    garbage = _post(client, url, {"tier": "public", "signatories": "chosen", "chosen": "x"})
    assert "Choose organisations from the list" in _text(garbage)
    chosen = {"tier": "public", "signatories": "chosen", "chosen": [riverside.id]}
    check = _text(_post(client, url, chosen))
    assert "1 organisation: organisations that voted for it, chosen by the officers." in check
    response = _post(client, url, {**chosen, "confirmed": "yes"})
    assert response.status_code == 302
    statement = db.session.execute(sa.select(Statement)).scalar_one()
    assert [s.ods_code for s in statement.signatories] == ["A10001"]


def test_the_check_page_warns_of_low_turnout_and_no_quorum(client, login, db, setting):
    riverside = setting.practices[0]
    rules = {**RULES, "quorum": None}
    vote = decided_vote(setting, {riverside: "for"}, rules=rules)
    position = agree_position(setting, vote)
    login(setting.officer)
    check = _text(
        _post(
            client,
            f"/statements/publish/{position.id}",
            {"tier": "public", "signatories": "voted_for"},
        )
    )
    assert "Fewer than half voted: 1 of 4 organisations" in check
    # The weight as the result page writes it: one decimal, a space before the sign.
    assert re.search(r"1 of 4 organisations, holding \d+\.\d % of the weight\.", check)
    assert "No quorum was set for this vote" in check


def test_a_secret_ballot_is_signed_only_by_later_endorsers(client, login, db, setting):
    vote = decided_vote(setting, secrecy=BallotSecrecy.SECRET, rules=dict(RULES))
    position = agree_position(setting, vote)
    login(setting.officer)
    url = f"/statements/publish/{position.id}"
    page = _text(client.get(url))
    assert "no organisation may be shown to have voted for it" in page
    assert 'value="voted_for"' not in page
    refused = _post(client, url, {"tier": "public", "signatories": "voted_for"})
    assert refused.status_code == 200
    assert "Choose who signs the statement" in _text(refused)
    assert db.session.execute(sa.select(sa.func.count(Statement.id))).scalar_one() == 0
    accepted = _post(
        client, url, {"tier": "public", "signatories": "endorsers", "confirmed": "yes"}
    )
    assert accepted.status_code == 302
    statement = db.session.execute(sa.select(Statement)).scalar_one()
    assert statement.signatories == []
    assert "Figures withheld to keep the ballot secret." in statement.provenance


def test_a_position_not_agreed_cannot_be_published(client, login, db, setting):
    position = agree_position(setting, decided_vote(setting), state=PositionState.VOTING)
    login(setting.officer)
    page = _text(client.get(f"/statements/publish/{position.id}"))
    assert "Only an agreed position can be published: this one is voting" in page
    assert "Publish statement" not in page
    response = _post(
        client, f"/statements/publish/{position.id}", {"tier": "public", "signatories": "voted_for"}
    )
    assert db.session.execute(sa.select(sa.func.count(Statement.id))).scalar_one() == 0
    assert response.status_code == 200


@pytest.mark.parametrize("who", ["partner", "ics_reader", "other"])
def test_publishing_is_hidden_from_everyone_else(client, login, db, setting, who):
    position = agree_position(setting, decided_vote(setting))
    user = {
        "partner": setting.partners[0],
        "ics_reader": setting.ics_reader,
        "other": other_area_member(setting),
    }[who]
    login(user)
    assert client.get(f"/statements/publish/{position.id}").status_code == 404
    if who != "other":
        assert client.get("/statements/publish").status_code == 404


def test_publishing_needs_a_signed_in_officer(client, db, setting):
    position = agree_position(setting, decided_vote(setting))
    response = client.get(f"/statements/publish/{position.id}")
    assert response.status_code == 302
    assert "/accounts/login" in response.headers["Location"]


def test_an_officer_marks_a_statement_replaced(client, login, db, setting):
    vote = decided_vote(setting)
    old = publish_statement(
        setting, vote, now=datetime(2026, 3, 3, tzinfo=UTC), title="Old position"
    )
    new = publish_statement(
        setting, vote, now=datetime(2026, 6, 3, tzinfo=UTC), title="New position"
    )
    login(setting.officer)
    url = f"/statements/{old.reference}/supersede"
    page = _text(client.get(url))
    assert f"{new.reference}: New position" in page
    missing = _post(client, url, {"successor": "", "note": ""})
    assert "Choose the statement that replaces it" in _text(missing)
    response = _post(client, url, {"successor": new.reference, "note": "Costs have changed."})
    assert response.status_code == 302
    page = _text(client.get(f"/statements/{old.reference}"))
    assert "This statement has been replaced" in page
    assert f'href="/statements/{new.reference}"' in page
    assert "Costs have changed." in page
    assert f"{old.reference}: Old position" in _text(client.get(f"/statements/{new.reference}"))
    # The old statement can no longer be ended again.
    assert "already been superseded" in _text(client.get(url))


def test_a_successor_above_the_readers_tier_is_not_named(client, login, db, setting):
    vote = decided_vote(setting)
    old = publish_statement(setting, vote, tier=Tier.PUBLIC, now=datetime(2026, 3, 3, tzinfo=UTC))
    new = publish_statement(
        setting, vote, tier=Tier.LMC, now=datetime(2026, 6, 3, tzinfo=UTC), title="Secret plan"
    )
    services.supersede(setting.officer, old, new, "", datetime(2026, 6, 4, tzinfo=UTC))
    db.session.commit()
    page = _text(client.get(f"/statements/{old.reference}"))
    assert "This statement has been replaced" in page
    assert "by a later statement" in page
    for surface in (
        page,
        _text(client.get("/statements.atom")),
        _text(client.get(f"/api/v1/statements/{old.reference}")),
        _text(client.get("/statements")),
    ):
        assert new.reference not in surface
        assert "Secret plan" not in surface


def test_an_officer_withdraws_a_statement_with_a_reason(client, login, db, setting):
    statement = publish_statement(setting)
    login(setting.officer)
    url = f"/statements/{statement.reference}/withdraw"
    empty = _post(client, url, {"reason": "  "})
    assert "Enter the reason for withdrawing the statement" in _text(empty)
    response = _post(client, url, {"reason": "The ICB <withdrew> its proposal"})
    assert response.status_code == 302
    page = _text(client.get(f"/statements/{statement.reference}"))
    assert "This statement has been withdrawn" in page
    assert "The ICB &lt;withdrew&gt; its proposal" in page
    db.session.refresh(statement)
    assert statement.state is StatementState.WITHDRAWN


@pytest.mark.parametrize("step", ["supersede", "withdraw"])
def test_only_officers_end_statements(client, login, db, setting, step):
    statement = publish_statement(setting)
    login(setting.partners[0])
    url = f"/statements/{statement.reference}/{step}"
    assert client.get(url).status_code == 403
    assert client.post(url, data={"reason": "x"}).status_code in (400, 403)
    page = _text(client.get(f"/statements/{statement.reference}"))
    assert "Withdraw this statement" not in page


def test_the_ics_records_its_response(client, login, db, setting):
    statement = publish_statement(setting, tier=Tier.ICS)
    login(setting.ics_reader)
    page = _text(client.get(f"/statements/{statement.reference}"))
    assert "The ICS has not recorded a response yet." in page
    assert "Record the ICS's response" in page
    url = f"/statements/{statement.reference}/respond"
    response = _post(client, url, {"body": "We **accepted** both conditions."})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#responses")
    page = _text(client.get(f"/statements/{statement.reference}"))
    assert "We <strong>accepted</strong> both conditions." in page
    assert db.session.execute(sa.select(sa.func.count(IcsResponse.id))).scalar_one() == 1


def test_an_officer_records_a_response_on_the_ics_behalf(client, login, db, setting):
    statement = publish_statement(setting)
    login(setting.officer)
    url = f"/statements/{statement.reference}/respond"
    assert "on the ICS's behalf" in _text(client.get(url))
    assert _post(client, url, {"body": "Agreed at the committee."}).status_code == 302


def test_members_who_are_not_the_ics_cannot_respond(client, login, db, setting):
    statement = publish_statement(setting)
    login(setting.partners[0])
    assert client.get(f"/statements/{statement.reference}/respond").status_code == 403
    assert "Record the ICS" not in _text(client.get(f"/statements/{statement.reference}"))


HOSTILE = """Fine words.

<script>alert('s')</script>
<iframe src="https://example.org"></iframe>
<img src="x" onerror="alert('i')">
<p onclick="alert('c')" style="color:red">styled</p>

[js](javascript:alert('j')) [data](data:text/html;base64,PHNjcmlwdD4=) [ok](https://example.org)"""


def test_hostile_markdown_is_inert_everywhere_it_is_shown(client, login, db, setting):
    statement = publish_statement(setting, body=HOSTILE, title="<script>alert('t')</script>")
    services.record_response(setting.ics_reader, statement, HOSTILE, datetime.now(UTC))
    db.session.commit()
    page = _text(client.get(f"/statements/{statement.reference}"))
    # The statement's body and the ICS's response: everything members' Markdown produced.
    body = page.split('id="statement-body"', 1)[1].split('id="downloads"', 1)[0]
    for fragment in (
        "<script",
        "<iframe",
        "onerror",
        "onclick",
        "javascript:",
        "data:text",
        "style=",
    ):
        assert fragment not in body, fragment
    assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;" in page
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">ok</a>' in page
    assert "Fine words." in page


def test_a_published_statement_cannot_be_edited(app, client, login, db, setting):
    statement = publish_statement(setting)
    login(setting.officer)
    for suffix in ("/edit", "/update", ""):
        for method in ("put", "patch", "delete"):
            response = getattr(client, method)(f"/statements/{statement.reference}{suffix}")
            assert response.status_code in (404, 405)
    assert client.get(f"/statements/{statement.reference}/edit").status_code == 404
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("statements")]
    assert not [rule for rule in rules if "edit" in rule.rule]
    assert not [rule for rule in rules if rule.methods & {"PUT", "PATCH", "DELETE"}]


def test_the_index_searches_and_filters(client, db, setting):
    vote = decided_vote(setting)
    proposal = add_proposal(setting)
    march = publish_statement(
        setting, vote, now=datetime(2026, 3, 3, tzinfo=UTC), title="Hubs", proposal=proposal
    )
    june = publish_statement(
        setting, vote, now=datetime(2026, 6, 3, tzinfo=UTC), title="Estates", body="New premises."
    )

    def shown(query: str) -> set[str]:
        return set(re.findall(r"GPV-\d{4}-\d{3}", _text(client.get(f"/statements?{query}"))))

    assert shown("") == {march.reference, june.reference}
    assert shown("q=premises") == {june.reference}
    assert shown(f"proposal={proposal.id}") == {march.reference}
    assert shown("from=2026-04-01&to=2026-12-31") == {june.reference}
    assert shown("status=superseded") == set()
    page = _text(client.get("/statements?q=premises"))
    assert "1 statement matches your search." in page
    assert "Clear search" in page
    bad = _text(client.get("/statements?from=3rd+March"))
    assert "Published from must be a real date, for example 31/3/2026" in bad
    assert 'href="#from"' in bad
    # People type dates day first; the search form takes them that way too.
    assert shown("from=1/4/2026&to=31/12/2026") == {june.reference}
    assert 'value="1/4/2026"' in _text(client.get("/statements?from=2026-04-01"))
    assert "must be a real date" in _text(client.get("/statements?from=31/2/2026"))
    assert 'href="/statements.atom"' in _text(client.get("/statements"))


def test_the_index_has_pages(client, db, setting, monkeypatch):
    from portal.statements import views

    monkeypatch.setattr(views, "PER_PAGE", 2)
    vote = decided_vote(setting)
    for day in range(1, 6):
        publish_statement(setting, vote, now=datetime(2026, 1, day, tzinfo=UTC))
    first = _text(client.get("/statements"))
    assert "Page 1 of 3." in first
    assert 'href="/statements?page=2"' in first
    last = _text(client.get("/statements?page=3"))
    assert "GPV-2026-001" in last
    assert "GPV-2026-005" not in last


def test_the_area_is_named_in_the_header_only_to_its_members(client, login, db, setting):
    statement = publish_statement(setting)
    anonymous = _text(client.get(f"/statements/{statement.reference}"))
    assert 'class="portal-area-name"' not in anonymous
    assert "The GP leadership group of North Staffordshire" in anonymous
    login(setting.partners[0])
    member = _text(client.get(f"/statements/{statement.reference}"))
    assert '<span class="portal-area-name">North Staffordshire</span>' in member


def test_an_unreadable_statement_is_not_found_and_names_no_area(client, db, setting):
    statement = publish_statement(setting, tier=Tier.GROUP, title="Internal matter")
    response = client.get(f"/statements/{statement.reference}")
    assert response.status_code == 404
    assert "North Staffordshire" not in _text(response)
    assert "Internal matter" not in _text(response)


def test_the_results_page_and_the_statement_give_the_same_sentence(client, login, db, setting):
    vote = decided_vote(setting)
    statement = publish_statement(setting, vote)
    login(setting.partners[0])
    results = _text(client.get(f"/areas/north-staffs/votes/{vote.id}/results"))
    wording = re.search(r'id="result-wording">([^<]*)</p>', results)
    assert wording is not None
    assert wording.group(1) == statement.provenance
    assert "3 organisations for (75.0 % of the weight), 1 against (25.0 %)" in results


def test_how_the_vote_is_decided_is_shown_wherever_the_vote_is(client, login, db, setting):
    vote = decided_vote(setting)
    statement = publish_statement(setting, vote)
    login(setting.partners[0])
    pages = [
        f"/areas/north-staffs/votes/{vote.id}",
        f"/areas/north-staffs/votes/{vote.id}/results",
        f"/statements/{statement.reference}",
    ]
    for url in pages:
        page = _text(client.get(url))
        assert "How this vote is decided" in page, url
        assert "One ballot for each of GP practices: 4 organisations in all." in page, url
        assert "Passed if the weight for is more than the weight against." in page, url
