"""Series and meetings through the real pages: arranging, agenda, attendance, minutes,
decisions, actions, the rhythm of the last four weeks, and who may do what."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.meetings import services
from portal.meetings.models import Attendance, Meeting, MeetingMode
from portal.times import LONDON
from tests.conftest import fetch_csrf_token
from tests.meetings.conftest import make_meeting


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_an_officer_sets_up_a_weekly_series_and_arranges_its_next_meeting(client, login, world):
    login(world.officer)
    token = fetch_csrf_token(client, world.url("series/new"))
    response = client.post(
        world.url("series/new"),
        data={
            "csrf_token": token,
            "title": "Leadership group weekly",
            "weekday": "1",
            "start_time": "12:30",
            "duration_minutes": "30",
            "mode": "in_person",
            "place": "Stafford Civic Centre",
            "chair": str(world.chair.id),
        },
    )
    assert response.status_code == 302
    series_url = response.headers["Location"]
    assert "Tuesdays 12:30, 30 minutes" in client.get(series_url).get_data(as_text=True)
    response = client.post(f"{series_url}/next", data={"csrf_token": token})
    assert response.status_code == 302
    meeting = db.session.scalar(sa.select(Meeting))
    local = meeting.starts_at.astimezone(LONDON)
    assert (local.weekday(), local.hour, local.minute) == (1, 12, 30)
    assert meeting.ends_at - meeting.starts_at == timedelta(minutes=30)
    assert meeting.chair_id == world.chair.id
    assert meeting.place == "Stafford Civic Centre"


def test_a_meeting_ending_before_it_starts_is_refused_and_nothing_written(client, login, world):
    login(world.officer)
    token = fetch_csrf_token(client, world.url("new"))
    response = client.post(
        world.url("new"),
        data={
            "csrf_token": token,
            "title": "Leadership group",
            "day": "2026-12-08",
            "start_time": "13:00",
            "end_time": "12:30",
            "mode": "online",
            "online_link": "https://meet.example.nhs.uk/a",
        },
    )
    assert response.status_code == 400
    assert "The meeting must end after it starts." in response.get_data(as_text=True)
    assert _count(Meeting) == 0


def test_an_online_meeting_needs_its_link_and_an_in_person_one_its_place(client, login, world):
    login(world.officer)
    token = fetch_csrf_token(client, world.url("new"))
    base = {"csrf_token": token, "title": "Group", "day": "2026-12-08"}
    base |= {"start_time": "12:30", "end_time": "13:00"}
    online = client.post(world.url("new"), data=base | {"mode": "online", "online_link": ""})
    assert "Give the online meeting&#39;s link" in online.get_data(as_text=True)
    in_person = client.post(world.url("new"), data=base | {"mode": "in_person"})
    assert "Say where the meeting is held." in in_person.get_data(as_text=True)
    assert _count(Meeting) == 0


def test_the_chair_keeps_the_agenda_with_typed_links(client, login, world):
    meeting = make_meeting(world)
    login(world.chair)
    page = world.url(str(meeting.id))
    token = fetch_csrf_token(client, page)
    ok = client.post(
        f"{page}/agenda", data={"csrf_token": token, "title": "Flu vaccines", "reference": "Vote 7"}
    )
    assert ok.status_code == 302
    bad = client.post(
        f"{page}/agenda",
        data={"csrf_token": token, "title": "x", "reference": "javascript:alert(1)"},
    )
    assert bad.status_code == 400
    assert "or give an address starting with / or https://" in bad.get_data(as_text=True)
    html = client.get(page).get_data(as_text=True)
    assert f'href="/areas/{world.area.slug}/votes/7"' in html
    assert len(meeting.agenda) == 1


def test_the_chair_records_attendance_only_for_real_memberships(client, login, world):
    meeting = make_meeting(world)
    login(world.chair)
    page = world.url(str(meeting.id))
    token = fetch_csrf_token(client, page)
    present = [
        f"{world.chair.id}:{world.practice_1.id}",
        f"{world.partner.id}:{world.practice_2.id}",
    ]
    response = client.post(f"{page}/attendance", data={"csrf_token": token, "present": present})
    assert response.status_code == 302
    assert _count(Attendance) == 2
    # The partner does not belong to practice 1: refused, and the attendance is unchanged.
    forged = client.post(
        f"{page}/attendance",
        data={"csrf_token": token, "present": [f"{world.partner.id}:{world.practice_1.id}"]},
    )
    assert forged.status_code == 400
    assert _count(Attendance) == 2


def test_minutes_are_members_only_once_the_chair_approves_and_are_sanitised(client, login, world):
    meeting = make_meeting(world, days_from_now=-1)
    page = world.url(str(meeting.id))
    login(world.chair)
    token = fetch_csrf_token(client, page)
    minutes = "Agreed to **meet weekly**.<script>alert(1)</script>"
    assert (
        client.post(f"{page}/minutes", data={"csrf_token": token, "minutes": minutes}).status_code
        == 302
    )
    client.post("/accounts/logout", data={"csrf_token": token})

    login(world.partner)
    html = client.get(page).get_data(as_text=True)
    assert "meet weekly" not in html
    token = fetch_csrf_token(client, page)
    assert client.post(f"{page}/minutes/approve", data={"csrf_token": token}).status_code == 403
    client.post("/accounts/logout", data={"csrf_token": token})

    login(world.officer)
    token = fetch_csrf_token(client, page)
    assert client.post(f"{page}/minutes/approve", data={"csrf_token": token}).status_code == 403
    client.post("/accounts/logout", data={"csrf_token": token})

    login(world.chair)
    token = fetch_csrf_token(client, page)
    assert client.post(f"{page}/minutes/approve", data={"csrf_token": token}).status_code == 302
    client.post("/accounts/logout", data={"csrf_token": token})

    login(world.partner)
    html = client.get(page).get_data(as_text=True)
    assert "<strong>meet weekly</strong>" in html
    assert "<script>alert(1)</script>" not in html
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"meetings.minutes_saved", "meetings.minutes_approved"} <= actions


def test_overdue_actions_show_to_their_owner_and_the_chair_only(client, login, world):
    meeting = make_meeting(world, days_from_now=-10)
    services.add_action(world.officer, meeting, "Send the rota", world.partner, date(2020, 1, 1))
    services.add_decision(world.officer, meeting, "Meet every Tuesday")
    db.session.commit()
    for person, sees in ((world.partner, True), (world.chair, True), (world.other_partner, False)):
        login(person)
        html = client.get(world.url()).get_data(as_text=True)
        assert ("Send the rota" in html) is sees, person.name
        client.post("/accounts/logout", data={"csrf_token": fetch_csrf_token(client, world.url())})
    login(world.partner)
    page = world.url(str(meeting.id))
    token = fetch_csrf_token(client, page)
    action = meeting.actions[0]
    assert (
        client.post(world.url(f"actions/{action.id}/done"), data={"csrf_token": token}).status_code
        == 302
    )
    assert "Send the rota" not in client.get(world.url()).get_data(as_text=True)


def test_members_may_see_and_only_organisers_arrange_and_ics_readers_see_nothing(
    client, login, world
):
    meeting = make_meeting(world)
    login(world.partner)
    assert client.get(world.url()).status_code == 200
    assert client.get(world.url("new")).status_code == 403
    token = fetch_csrf_token(client, world.url())
    assert (
        client.post(
            world.url(f"{meeting.id}/decisions"), data={"csrf_token": token, "text": "x"}
        ).status_code
        == 403
    )
    client.post("/accounts/logout", data={"csrf_token": token})
    login(world.ics_reader)
    assert client.get(world.url()).status_code == 404
    assert client.get(world.url(str(meeting.id))).status_code == 404


def test_the_rhythm_counts_the_last_four_weeks(client, login, world):
    held = make_meeting(world, days_from_now=-3)
    make_meeting(
        world,
        days_from_now=-10,
        where=services.Where(MeetingMode.IN_PERSON, "Stafford", None),
    )
    make_meeting(world, days_from_now=-40)
    make_meeting(world, days_from_now=3)
    services.record_attendance(world.officer, held, [(world.chair.id, world.practice_1.id)])
    db.session.commit()
    rhythm = services.rhythm(world.area, datetime.now(UTC))
    assert (len(rhythm.meetings), rhythm.in_person, rhythm.online) == (2, 1, 1)
    # practice 1 of: PCN, two practices, LMC (the ICS is not in the group)
    assert (rhythm.organisations_attending, rhythm.organisations) == (1, 4)
    login(world.partner)
    html = client.get(world.url("rhythm")).get_data(as_text=True)
    assert "1 of 4 (25.0 %)" in html
    overview = client.get(f"/areas/{world.area.slug}/").get_data(as_text=True)
    assert world.url("rhythm") in overview
