"""Opening, answering, closing and publishing a round, through the real pages."""

from __future__ import annotations

import sqlalchemy as sa

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.trust import services
from portal.trust.forms import target_field_name
from portal.trust.models import RoundState, TrustComment, TrustResponse, TrustTarget
from tests.conftest import fetch_csrf_token
from tests.trust.conftest import answer, counter_total, open_round


def _answer_form(token: str, score: int | None = 7, comment: str = "") -> dict[str, str]:
    data = {"csrf_token": token, "comment": comment}
    for target in TrustTarget:
        if score is not None:
            data[target_field_name(target)] = str(score)
    return data


def test_an_officer_opens_a_round_and_everyone_in_the_group_is_invited(
    client, login, world, smtp_server
):
    login(world.officer)
    response = client.post(
        world.url("rounds"),
        data={"csrf_token": fetch_csrf_token(client, world.url()), "title": "December 2026"},
    )
    assert response.status_code == 302
    invited = {message["To"] for message in smtp_server.messages}
    members = [world.officer, *world.partners_1, *world.partners_3, world.federation_director]
    assert invited == {person.email for person in members}
    assert world.ics_reader.email not in invited
    body = smtp_server.messages[0].get_content()
    assert "/areas/test-area/trust/rounds/" in body
    assert db.session.scalar(
        sa.select(sa.func.count()).where(AuditEntry.action == "trust.round_opened")
    )


def test_a_second_open_round_is_refused(client, login, world):
    open_round(world)
    login(world.officer)
    response = client.post(
        world.url("rounds"),
        data={"csrf_token": fetch_csrf_token(client, world.url()), "title": "Another"},
    )
    assert response.status_code == 400
    assert "A round is already open" in response.get_data(as_text=True)
    assert len(services.rounds_in(world.area)) == 1


def test_a_partner_answers_once_and_a_second_answer_is_refused(client, login, world):
    trust_round = open_round(world)
    partner = world.partners_1[0]
    login(partner)
    page = world.url(f"rounds/{trust_round.id}")
    response = client.post(
        f"{page}/answer", data=_answer_form(fetch_csrf_token(client, page), 8, "Meet weekly")
    )
    assert response.status_code == 302
    # area, kind and PCN counters, for each of the seven targets
    assert counter_total() == 3 * len(TrustTarget)
    assert "You have answered this round" in client.get(page).get_data(as_text=True)

    # The form is gone once answered; a replayed POST is refused and changes nothing.
    response = client.post(
        f"{page}/answer", data=_answer_form(fetch_csrf_token(client, world.url()), 2, "Again")
    )
    assert response.status_code == 400
    assert "You have already answered this round" in response.get_data(as_text=True)
    assert counter_total() == 3 * len(TrustTarget)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrustComment)) == 1


def test_a_partner_may_skip_targets(client, login, world):
    trust_round = open_round(world)
    login(world.partners_1[0])
    page = world.url(f"rounds/{trust_round.id}")
    data = {
        "csrf_token": fetch_csrf_token(client, page),
        target_field_name(TrustTarget.LMC): "9",
        target_field_name(TrustTarget.ICS): "skip",
    }
    assert client.post(f"{page}/answer", data=data).status_code == 302
    assert counter_total() == 3


def test_an_empty_answer_and_a_score_out_of_range_are_refused(client, login, world):
    trust_round = open_round(world)
    login(world.partners_1[0])
    page = world.url(f"rounds/{trust_round.id}")
    empty = client.post(f"{page}/answer", data=_answer_form(fetch_csrf_token(client, page), None))
    assert empty.status_code == 400
    assert "Give at least one score" in empty.get_data(as_text=True)
    data = _answer_form(fetch_csrf_token(client, page), 11)
    assert client.post(f"{page}/answer", data=data).status_code == 400
    assert counter_total() == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrustResponse)) == 0


def test_an_answer_after_close_is_refused_and_nothing_is_written(client, login, world):
    trust_round = open_round(world)
    services.close_round(world.officer, trust_round)
    db.session.commit()
    login(world.partners_1[0])
    page = world.url(f"rounds/{trust_round.id}")
    response = client.post(f"{page}/answer", data=_answer_form(fetch_csrf_token(client, page)))
    assert response.status_code == 400
    assert "This round has closed" in response.get_data(as_text=True)
    assert counter_total() == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrustResponse)) == 0


def test_only_officers_close_and_publish_and_ics_readers_see_nothing(client, login, world):
    trust_round = open_round(world)
    page = world.url(f"rounds/{trust_round.id}")
    login(world.partners_1[0])
    token = fetch_csrf_token(client, page)
    assert client.post(f"{page}/close", data={"csrf_token": token}).status_code == 403
    assert "response-rate" not in client.get(page).get_data(as_text=True)
    data = {"csrf_token": token, "you_said": "x", "we_did": "y"}
    assert client.post(f"{page}/publish", data=data).status_code == 403
    client.post("/accounts/logout", data={"csrf_token": token})
    login(world.ics_reader)
    assert client.get(world.url()).status_code == 404
    assert client.get(page).status_code == 404
    db.session.refresh(trust_round)
    assert trust_round.state is RoundState.OPEN


def test_officers_see_the_response_rate_and_results_wait_for_close(client, login, world):
    trust_round = open_round(world)
    for partner in world.partners_1[:3]:
        answer(world, partner, trust_round, 6, "More meetings")
    login(world.officer)
    page = client.get(world.url(f"rounds/{trust_round.id}")).get_data(as_text=True)
    assert "3 of 10 people have answered (30.0 %)" in page
    assert "More meetings" not in page
    assert "Results" not in page


def test_results_show_groups_of_five_and_hide_the_rest_with_a_second_group(world, db):
    trust_round = open_round(world)
    for partner in world.partners_1:
        answer(world, partner, trust_round, 8)
    answer(world, world.partners_3[0], trust_round, 2)
    answer(world, world.federation_director, trust_round, 5)
    services.close_round(world.officer, trust_round)
    db.session.commit()
    result = services.results(trust_round)[0]
    assert result.area is not None
    assert result.area.respondents == 8
    # Practices (7) are shown only if the federation's single answer cannot be worked out
    # as area minus practices: with nobody else to hide beside it, practices hide too.
    assert [row.summary for row in result.by_kind] == [None, None]
    # Beside a hidden practice total, no PCN is shown (they would add up to it).
    assert all(row.summary is None for row in result.by_pcn)


def test_a_hidden_pcn_is_protected_by_hiding_the_next_smallest(world, db):
    trust_round = open_round(world)
    for partner in world.partners_1:
        answer(world, partner, trust_round, 8)
    answer(world, world.partners_3[0], trust_round, 2)
    services.close_round(world.officer, trust_round)
    db.session.commit()
    result = services.results(trust_round)[0]
    assert result.area.respondents == 7
    assert [(row.label, row.summary is not None) for row in result.by_kind] == [
        ("GP practice", True)
    ]
    # Beta PCN's one answer is hidden; Alpha PCN (6) is hidden with it, or the practice
    # total minus Alpha would give Beta's answer.
    assert [(row.label, row.summary) for row in result.by_pcn] == [
        ("Alpha PCN", None),
        ("Beta PCN", None),
    ]


def test_free_text_shows_after_close_for_five_or_more_and_publishing(client, login, world):
    trust_round = open_round(world)
    for index, partner in enumerate(world.partners_1[:5]):
        answer(world, partner, trust_round, 7, f"Idea number {index}")
    login(world.officer)
    page_url = world.url(f"rounds/{trust_round.id}")
    token = fetch_csrf_token(client, page_url)
    assert client.post(f"{page_url}/close", data={"csrf_token": token}).status_code == 302
    page = client.get(page_url).get_data(as_text=True)
    assert all(f"Idea number {index}" in page for index in range(5))
    response = client.post(
        f"{page_url}/publish",
        data={"csrf_token": token, "you_said": "Meet more", "we_did": "Weekly meeting"},
    )
    assert response.status_code == 302
    page = client.get(page_url).get_data(as_text=True)
    assert "Weekly meeting" in page
    again = client.post(
        f"{page_url}/publish", data={"csrf_token": token, "you_said": "a", "we_did": "b"}
    )
    assert again.status_code == 400
    assert "already been published" in again.get_data(as_text=True)
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"trust.round_opened", "trust.round_closed", "trust.response_published"} <= actions


def test_free_text_is_withheld_below_five(world, db):
    trust_round = open_round(world)
    for partner in world.partners_1[:4]:
        answer(world, partner, trust_round, 7, "Something")
    services.close_round(world.officer, trust_round)
    db.session.commit()
    assert services.comments(trust_round) is None


def test_the_reminder_goes_once_to_those_who_have_not_answered(app, world, smtp_server):
    trust_round = open_round(world)
    answer(world, world.partners_1[0], trust_round, 7)
    smtp_server.messages.clear()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["send-trust-reminders"])
    assert "9 trust pulse reminder(s) queued, 9 sent." in result.output
    reminded = {message["To"] for message in smtp_server.messages}
    assert world.partners_1[0].email not in reminded
    assert world.partners_1[1].email in reminded
    again = runner.invoke(args=["send-trust-reminders"])
    assert "0 trust pulse reminder(s) queued" in again.output


def test_the_trend_shows_each_closed_round(client, login, world):
    for title, score in (("October", 4), ("November", 8)):
        trust_round = open_round(world, title)
        for partner in world.partners_1:
            answer(world, partner, trust_round, score)
        services.close_round(world.officer, trust_round)
        db.session.commit()
    login(world.partners_1[0])
    page = client.get(world.url("trend")).get_data(as_text=True)
    assert "<svg" in page
    assert "October: 0.0 %, median 4" in page
    assert "November: 100.0 %, median 8" in page
