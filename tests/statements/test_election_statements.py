"""An election's result published as a statement, at the officer's choice (issue 16).

The election runs through the elections services (nominations, ranked ballots, the count); the
officer publishes from the result page through a check page; the statement's page, PDF, feed
and API say who was elected, the quota, the turnout and the method, and give the count sheet.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import Role
from portal.database import utcnow
from portal.elections import ballots, closing, counting, nominations, publishing, setup
from portal.elections.models import CountingMethod, Election, ElectionState
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.positions.models import Tier
from portal.statements import election_results, endorsements
from portal.statements.election_results import ElectionResult, wording
from portal.statements.models import Statement, StatementSource
from tests.conftest import csrf_token_from
from tests.factories import World, election_details
from tests.statements.helpers import other_area_member, publish_statement, reader_in
from tests.statements.test_api import check
from tests.statements.test_pdf import pages_text
from tests.statements.test_tier_table import READABLE

REFERENCE = re.compile(r"GPV-\d{4}-\d{3}")
DECIDED = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)


def _result(**changes) -> ElectionResult:
    values = {
        "election_id": 1,
        "area_id": 1,
        "title": "LMC committee 2027",
        "seats": 2,
        "method": "scottish",
        "method_label": CountingMethod.SCOTTISH.label,
        "electorate": "GP partners, one vote each",
        "secret": False,
        "decided_at": DECIDED,
        "unopposed": False,
        "elected": ["Ann Adams", "Cat Clark"],
        "quota": "34",
        "valid": 100,
        "ballots": 100,
        "electors": 141,
        "weight_cast": 100,
        "weight_total": 141,
    }
    values.update(changes)
    return ElectionResult(**values)


# --- the wording ------------------------------------------------------------------------------


def test_a_counted_result_in_one_sentence() -> None:
    assert wording(_result()) == (
        "Ann Adams and Cat Clark elected on 1 December 2026 to 2 seats of “LMC committee 2027” "
        "by Scottish STV (Scottish Local Government Elections Order 2007): quota 34 of 100 "
        "valid votes; 100 of 141 electors voted (70.9 %)."
    )


def test_a_secret_weighted_meek_count_says_so() -> None:
    text = wording(
        _result(
            method="meek",
            method_label=CountingMethod.MEEK.label,
            quota="33.333333334",
            secret=True,
            weight_cast=2500,
            weight_total=3000,
            electors=141,
            ballots=100,
        )
    )
    assert "quota 33.333333334 at the last stage of 100 valid votes" in text
    assert "100 of 141 electors voted (70.9 %), holding 2,500 of 3,000 votes (83.3 % " in text
    assert text.endswith(
        "ballots were secret, so the count gives totals only, never who ranked whom."
    )


def test_unopposed_and_empty_seats() -> None:
    text = wording(_result(unopposed=True, elected=["Ann Adams"], quota=None, valid=None))
    assert text == (
        "Ann Adams elected unopposed on 1 December 2026 to 2 seats of “LMC committee 2027”: "
        "1 candidate stood, no more than the seats, so no ballot was held; 1 seat remains empty."
    )
    assert election_results.warnings_for(
        _result(unopposed=True, elected=["Ann Adams"], ballots=0)
    ) == ["1 seat is left empty."]


def test_low_turnout_is_warned_before_publishing() -> None:
    (warning,) = election_results.warnings_for(_result(ballots=60))
    assert warning.startswith("Fewer than half the electorate voted: 60 of 141 electors voted")


def test_a_name_is_never_read_as_markdown() -> None:
    body = election_results.body_of(_result(elected=["*Bold* [link](http://x)"]))
    assert "1. \\*Bold\\* \\[link\\]\\(http://x\\)" in body


# --- an election run through the services -----------------------------------------------------


def run_election(setting: World, *, seats: int = 1, secret: bool = True) -> Election:
    """The four practices' GP partners elect ``seats`` of three candidates (three of them)."""
    now = utcnow()
    election = setup.create_election(
        setting.officer,
        setting.area,
        election_details(now, seats=seats, roles=[Role.GP_PARTNER], secret=secret),
        now,
    )
    electors = {e.user_id: e for e in election.electors}
    partners = setting.partners
    standing = []
    for index, candidate in enumerate(partners[:3]):
        nominator, seconder = partners[(index + 1) % 4], partners[(index + 2) % 4]
        nomination = nominations.nominate(
            nominator, election, electors[nominator.id], candidate, now
        )
        nominations.second(seconder, nomination, electors[seconder.id], now)
        nominations.accept(candidate, nomination, "", now)
        standing.append(nomination)
    election.nominations_open_at = now - timedelta(hours=3)
    election.nominations_close_at = now - timedelta(hours=2)
    election.voting_opens_at = now - timedelta(hours=1)
    closing.close_nominations(election, now)
    first, second, third = (n.id for n in standing)
    rankings = [[first, second], [first, third], [second], [first]]
    for partner, ranking in zip(partners, rankings, strict=True):
        ballots.cast(partner, election, electors[partner.id], ranking, now)
    election.voting_closes_at = now - timedelta(seconds=1)
    counting.count_election(election, now)
    db.session.commit()
    return election


def unopposed_election(setting: World) -> Election:
    """Ann alone stands for two seats: elected unopposed, and a seat left empty."""
    now = utcnow()
    election = setup.create_election(
        setting.officer,
        setting.area,
        election_details(
            now, title="Chair 2027", seats=2, method=CountingMethod.MEEK, roles=[Role.GP_PARTNER]
        ),
        now,
    )
    electors = {e.user_id: e for e in election.electors}
    ann, bob, cat, _ = setting.partners
    nomination = nominations.nominate(bob, election, electors[bob.id], ann, now)
    nominations.second(cat, nomination, electors[cat.id], now)
    nominations.accept(ann, nomination, "", now)
    election.nominations_open_at = now - timedelta(hours=3)
    election.nominations_close_at = now - timedelta(hours=2)
    closing.close_nominations(election, now)
    db.session.commit()
    assert election.state is ElectionState.UNOPPOSED
    return election


def publish(setting: World, election: Election, tier: Tier = Tier.PUBLIC) -> Statement:
    statement = election_results.publish_election_result(
        setting.officer,
        election.area,
        publishing.result_for_statement(election),
        tier,
        utcnow(),
    )
    db.session.commit()
    return statement


def results_url(election: Election) -> str:
    return f"/areas/{election.area.slug}/elections/{election.id}/results"


def test_the_officer_publishes_the_result_through_a_check_page(client, login, setting) -> None:
    election = run_election(setting)
    elected = election.result["elected"]
    assert len(elected) == 1
    login(setting.officer)
    page = client.get(results_url(election)).get_data(as_text=True)
    assert 'id="publish-result"' in page
    token = csrf_token_from(page)
    publish_url = f"{results_url(election)}/publish"

    # No choice of readers: the error is on its field, and nothing is written.
    refused = client.post(publish_url, data={"csrf_token": token})
    assert refused.status_code == 200
    assert "Choose who can read the statement" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Statement)) == 0

    # The check page shows the statement exactly as readers will, and writes nothing.
    checking = client.post(publish_url, data={"csrf_token": token, "tier": "public"})
    shown = checking.get_data(as_text=True)
    assert "Check before you publish" in shown
    assert f"{elected[0]} elected on " in shown
    assert "quota 3 of 4 valid votes; 4 of 4 electors voted (100.0 %)" in shown
    assert 'id="count-sheet-table"' in shown
    assert "result is declared by the group, not signed" in shown
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Statement)) == 0

    done = client.post(
        publish_url, data={"csrf_token": token, "tier": "public", "confirmed": "yes"}
    )
    assert done.status_code == 302
    statement = db.session.execute(sa.select(Statement)).scalar_one()
    assert done.headers["Location"] == f"/statements/{statement.reference}"
    assert statement.source is StatementSource.ELECTION
    assert statement.election_id == election.id
    assert statement.position_id is None
    assert statement.vote_id is None
    assert statement.signatories == []
    assert statement.signatories_choice is None
    assert statement.audit_head_hash is not None  # stamped, as every published statement

    letter = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "was published at" in letter  # the time it actually happened
    assert statement.provenance in letter
    assert 'id="count-sheet-table"' in letter
    assert "Declared by" in letter
    assert "Sign this statement" not in letter
    assert f'href="{results_url(election)}"' in letter  # the officer is a group member

    # The result page now links the statement instead of offering to publish it again.
    again = client.get(results_url(election)).get_data(as_text=True)
    assert statement.reference in again
    assert 'id="publish-result"' not in again
    second_try = client.post(
        publish_url, data={"csrf_token": token, "tier": "public", "confirmed": "yes"}
    )
    assert f"already been published as {statement.reference}" in second_try.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Statement)) == 1


def test_a_public_reader_sees_the_count_but_not_the_group_s_pages(client, setting) -> None:
    election = run_election(setting, seats=2)
    statement = publish(setting, election)
    letter = client.get(f"/statements/{statement.reference}").get_data(as_text=True)
    assert 'id="count-sheet-table"' in letter
    assert "Stage 1" in letter
    assert results_url(election) not in letter  # elections are the group's business
    assert client.get(results_url(election)).status_code in (302, 404)

    feed = feedparser.parse(client.get("/statements.atom").data)
    assert feed.bozo == 0
    (entry,) = feed.entries
    assert statement.provenance in entry.summary
    listing = client.get("/statements").get_data(as_text=True)
    assert statement.reference in listing


def test_an_unopposed_result_has_no_count_to_show(client, setting) -> None:
    election = unopposed_election(setting)
    statement = publish(setting, election)
    assert "elected unopposed" in statement.provenance
    assert "1 seat remains empty" in statement.provenance
    letter = client.get(f"/statements/{statement.reference}").get_data(as_text=True)
    assert 'id="no-ballot"' in letter
    assert 'id="count-sheet-table"' not in letter
    text = pages_text(client.get(f"/statements/{statement.reference}.pdf").data)
    assert text is not None
    joined = " ".join(" ".join(page.split()) for page in text)
    assert statement.reference in joined
    assert "elected unopposed" in joined


def test_the_api_gives_the_result_as_its_document_describes(client, setting) -> None:
    election = run_election(setting, seats=2, secret=False)
    statement = publish(setting, election)
    openapi = client.get("/api/v1/openapi.json").get_json()
    body = check(
        openapi,
        client.get(f"/api/v1/statements/{statement.reference}"),
        "/statements/{reference}",
    )
    assert body["source"] == "election"
    assert body["signatories_choice"] is None
    assert body["signatories"] == []
    result = body["election"]
    assert result["elected"] == election.result["elected"]
    assert result["quota"] == election.result["quota"]
    assert result["turnout"] == election.result["turnout"]
    assert result["method"] == "scottish"
    assert result["count_sheet_url"].endswith(f"/statements/{statement.reference}#count-sheet")
    assert [s["stage"] for s in result["stages"]] == [s["stage"] for s in election.result["stages"]]
    check(openapi, client.get("/api/v1/statements"), "/statements")

    unopposed = publish(setting, unopposed_election(setting))
    body = check(
        openapi,
        client.get(f"/api/v1/statements/{unopposed.reference}"),
        "/statements/{reference}",
    )
    assert body["election"]["unopposed"] is True
    assert body["election"]["count_sheet_url"] is None
    assert body["election"]["quota"] is None


@pytest.mark.parametrize("reader", list(READABLE), ids=lambda r: getattr(r, "value", r))
def test_who_reads_an_election_s_statement(client, login, setting, reader) -> None:
    election = run_election(setting)
    statement = publish(setting, election, Tier.GROUP)
    user = reader_in(setting, reader)
    if user is not None:
        login(user)
    readable = Tier.GROUP in READABLE[reader]
    expected = 200 if readable else 404
    ref = statement.reference
    assert client.get(f"/statements/{ref}").status_code == expected
    assert client.get(f"/api/v1/statements/{ref}").status_code == expected
    assert (ref in client.get("/statements").get_data(as_text=True)) is readable
    assert (ref in client.get("/statements.atom").get_data(as_text=True)) is readable
    assert (ref in client.get("/api/v1/statements").get_data(as_text=True)) is readable


def test_only_an_officer_publishes(client, login, setting) -> None:
    election = run_election(setting)
    result = publishing.result_for_statement(election)
    with pytest.raises(NotPermitted):
        election_results.publish_election_result(
            setting.partners[0], election.area, result, Tier.PUBLIC, utcnow()
        )
    with pytest.raises(NotPermitted):
        election_results.publish_election_result(
            other_area_member(setting), election.area, result, Tier.PUBLIC, utcnow()
        )
    login(setting.partners[0])
    page = client.get(results_url(election)).get_data(as_text=True)
    assert 'id="publish-result"' not in page
    response = client.post(
        f"{results_url(election)}/publish",
        data={"csrf_token": csrf_token_from(page), "tier": "public", "confirmed": "yes"},
    )
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Statement)) == 0


def test_a_result_not_yet_decided_is_refused(setting) -> None:
    election = run_election(setting)
    election.state = ElectionState.VOTING  # as it was before the count (in memory only)
    with pytest.raises(DomainError, match="Only a counted election"):
        publishing.result_for_statement(election)
    db.session.rollback()
    statement = publish(setting, election)
    with pytest.raises(Conflict, match=statement.reference):
        publish(setting, election)


def test_nobody_signs_an_election_s_result(setting) -> None:
    statement = publish(setting, run_election(setting))
    practice = setting.practices[0]
    assert endorsements.signable_for(setting.partners[0], statement) == []
    with pytest.raises(DomainError, match="declared, not signed"):
        endorsements.endorse(setting.partners[0], statement, practice, utcnow())


def _write(statement: Statement, values: dict) -> None:
    """Change the row behind the services' back: only the schema's constraints stand guard."""
    db.session.execute(sa.update(Statement).where(Statement.id == statement.id).values(values))
    db.session.flush()


@pytest.mark.parametrize("missing", ["election_result", "election_id"])
def test_an_election_s_statement_must_name_its_election_and_keep_its_result(
    setting, missing
) -> None:
    statement = publish(setting, run_election(setting))
    with pytest.raises(IntegrityError):
        _write(statement, {missing: None})
    db.session.rollback()


@pytest.mark.parametrize("change", ["source", "election"])
def test_a_statement_cannot_have_two_sources(setting, change) -> None:
    election = run_election(setting)
    position_statement = publish_statement(setting)
    values = (
        {"source": StatementSource.ELECTION.value}
        if change == "source"
        else {"election_id": election.id, "election_result": {"elected": []}}
    )
    with pytest.raises(IntegrityError):
        _write(position_statement, values)
    db.session.rollback()
