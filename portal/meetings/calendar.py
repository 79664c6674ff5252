"""Meetings as iCalendar (RFC 5545) with the icalendar library, for Outlook and NHSmail.

An event carries the title, times, place or link and the meeting page's address; never the
minutes, decisions or actions, which stay behind sign-in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from icalendar import Calendar, Event

from portal.database import utcnow
from portal.meetings.models import Meeting, MeetingMode

PRODUCT_ID = "-//GP Collective Voice//Meetings//EN"


def calendar_of(
    name: str, meetings: Iterable[Meeting], page_url: Callable[[Meeting], str], host: str
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    stamp = utcnow()
    for meeting in meetings:
        event = Event()
        event.add("uid", f"meeting-{meeting.id}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", meeting.starts_at)
        event.add("dtend", meeting.ends_at)
        event.add("summary", meeting.title)
        url = page_url(meeting)
        event.add("url", url)
        if meeting.mode is MeetingMode.IN_PERSON:
            event.add("location", meeting.place)
            event.add("description", f"In person. Agenda and papers: {url}")
        else:
            event.add("location", "Online")
            event.add("description", f"Online: {meeting.online_link}\nAgenda and papers: {url}")
        calendar.add_component(event)
    return calendar.to_ical()
