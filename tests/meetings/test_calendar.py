"""The iCalendar feeds: each series (signed in) and each person's meetings at a secret,
revocable address, read by the icalendar library and by ics, a second parser."""

from __future__ import annotations

import re

import ics
from icalendar import Calendar

from tests.conftest import fetch_csrf_token
from tests.meetings.conftest import make_meeting, make_series


def _new_address(client) -> str:
    token = fetch_csrf_token(client, "/calendar")
    html = client.post("/calendar", data={"csrf_token": token}).get_data(as_text=True)
    match = re.search(r'<code id="feed-address">[^<]*(/calendar/[^<]+\.ics)</code>', html)
    assert match, html
    return match.group(1)


def _unfolded_lines(body: bytes) -> list[str]:
    """RFC 5545 3.1: CRLF line ends, no line over 75 octets, continuations start with a space."""
    raw = body.split(b"\r\n")
    assert raw[-1] == b""
    assert all(len(line) <= 75 for line in raw)
    unfolded: list[str] = []
    for line in raw[:-1]:
        if line.startswith(b" "):
            unfolded[-1] += line[1:].decode()
        else:
            unfolded.append(line.decode())
    return unfolded


def test_a_persons_feed_parses_in_two_parsers_and_a_new_address_revokes_the_old(
    app, client, login, world
):
    meeting = make_meeting(world, title="Leadership group: a long name " + "x" * 60)
    login(world.partner)
    address = _new_address(client)
    client.post("/accounts/logout", data={"csrf_token": fetch_csrf_token(client, "/calendar")})

    response = app.test_client().get(address)  # a calendar program: not signed in
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    parsed = Calendar.from_ical(response.data)
    events = parsed.walk("VEVENT")
    assert [str(event["summary"]) for event in events] == [meeting.title]
    assert events[0].decoded("dtstart") == meeting.starts_at
    second = ics.Calendar(response.data.decode())
    (event,) = second.events
    assert event.name == meeting.title
    assert event.begin.datetime == meeting.starts_at
    lines = _unfolded_lines(response.data)
    assert f"SUMMARY:{meeting.title}" in lines
    assert "minutes" not in response.data.decode().lower()

    login(world.partner)
    newer = _new_address(client)
    assert newer != address
    assert app.test_client().get(address).status_code == 404
    assert app.test_client().get(newer).status_code == 200
    assert app.test_client().get("/calendar/made-up.ics").status_code == 404


def test_a_series_feed_parses_and_needs_sign_in(app, client, login, world):
    series = make_series(world)
    from portal.database import utcnow
    from portal.extensions import db
    from portal.meetings import services

    services.schedule_next(world.officer, series, utcnow())
    db.session.commit()
    url = world.url(f"series/{series.id}/calendar.ics")
    assert app.test_client().get(url).status_code == 302
    login(world.partner)
    body = client.get(url).data
    (event,) = Calendar.from_ical(body).walk("VEVENT")
    assert str(event["location"]) == "Stafford Civic Centre"
    assert len(ics.Calendar(body.decode()).events) == 1
