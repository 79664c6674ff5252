"""Demo meetings: "Leadership group weekly, Tuesdays 12:30, 30 minutes", with four past
meetings (attendance, approved minutes, decisions and actions, one overdue), a vote taken in
the room and a hybrid vote (online until the meeting, then in the room), and the next
meeting arranged."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from portal.accounts.models import User
from portal.extensions import db
from portal.meetings import services
from portal.meetings.models import Meeting, MeetingMode
from portal.organisations.models import Area, Organisation
from portal.voting import casting as voting_casting
from portal.voting import closing as voting_closing
from portal.voting import room
from portal.voting import services as voting
from portal.voting.models import BallotSecrecy, VoteKind

PLACE = "Stafford Education and Conference Centre (demo)"
LINK = "https://meet.example.nhs.uk/leadership-group-demo"
RULES = {
    "weighting": {"scheme": "list_size"},
    "blocks": None,
    "cap": None,
    "quorum": {"members": None, "weight": None},
    "threshold": {"rule": "simple_majority"},
    "tie": "fails",
}


def _vote(officer: User, area: Area, title: str, kinds: list[str], pcns, opens, closes):
    vote = voting.create_vote(
        officer,
        area,
        voting.VoteDetails(
            title=title,
            question=f"{title}?",
            body_markdown="",
            kind=VoteKind.MOTION,
            secrecy=BallotSecrecy.OPEN,
            options=[],
            voting_kinds=kinds,
            pcn_codes=pcns,
            opens_at=opens,
            closes_at=closes,
            rules=dict(RULES),
        ),
    )
    voting.open_vote(officer, vote, opens)
    return vote


def load_demo_meetings(
    area: Area, users: dict[str, User], organisations: dict[str, Organisation], now: datetime
) -> Meeting:
    """Return the next meeting, arranged but not yet held."""
    officer = users["lmc.officer"]
    chair = users["partner.hazeldene"]
    series = services.create_series(
        officer,
        area,
        title="Leadership group weekly",
        weekday=1,
        start_time=time(12, 30),
        duration_minutes=30,
        where=services.Where(MeetingMode.IN_PERSON, PLACE, None),
        chair=chair,
    )
    # The four most recent meetings that have ended: the first starts in the week before
    # now - 3 weeks - its length, so the fourth has ended even while this week's is on.
    duration = timedelta(minutes=series.duration_minutes)
    first_start, _ = services.next_occurrence(series, now - timedelta(weeks=4) - duration)
    meetings: list[Meeting] = []
    for week in range(4):
        starts = first_start + timedelta(weeks=week)
        online = week % 2 == 1
        meetings.append(
            services.create_meeting(
                officer,
                area,
                title=series.title,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=30),
                where=services.Where(
                    MeetingMode.ONLINE if online else MeetingMode.IN_PERSON,
                    None if online else PLACE,
                    LINK if online else None,
                ),
                chair=chair,
                series=series,
            )
        )
    attendees = [
        ("partner.hazeldene", "M83022"),
        ("partner.horsefair", "M83001"),
        ("partner.mayfield", "M83004"),
        ("lmc.officer", "LMC-DEMO"),
        ("federation", "FED-DEMO"),
        ("cd.southstoke", "U85685"),
    ]
    for week, meeting in enumerate(meetings):
        present = attendees[: 4 + week % 3]
        services.record_attendance(
            officer,
            meeting,
            [(users[person].id, organisations[code].id) for person, code in present],
        )
        services.add_agenda_item(officer, meeting, "Actions from last week", "")
        services.save_minutes(
            chair,
            meeting,
            f"## Week {week + 1}\n\nWe went through last week's actions and the ICB's "
            "latest letters. Everyone present said what their practice needs this month.",
        )
        services.approve_minutes(chair, meeting)
        services.add_decision(chair, meeting, "Keep meeting every Tuesday at 12:30.")

    second = meetings[1]
    services.add_action(
        chair,
        second,
        "Send the winter rota to every practice",
        users["partner.horsefair"],
        second.starts_at.date() + timedelta(days=7),
    )
    done = services.add_action(
        chair,
        second,
        "Book the room for December",
        users["lmc.officer"],
        second.starts_at.date() + timedelta(days=3),
    )
    services.complete_action(users["lmc.officer"], done)

    # A vote taken in the room: practices of Rugeley & Great Haywood PCN, by show of hands.
    third = meetings[2]
    in_room = _vote(
        officer,
        area,
        "Share one winter hub across the PCN",
        ["practice"],
        ["U16318"],
        third.starts_at - timedelta(hours=1),
        third.ends_at,
    )
    services.add_agenda_item(chair, third, "Winter hub", f"vote {in_room.id}")
    present = {row.organisation_id for row in third.attendance}
    room.record_in_room(
        chair,
        in_room,
        present,
        {organisations["M83022"].id: "for", organisations["M83001"].id: "for"},
        third.starts_at + timedelta(minutes=10),
    )
    voting_closing.close_vote(in_room, third.ends_at)

    # A hybrid vote: PCNs vote online until the meeting, then in the room.
    fourth = meetings[3]
    hybrid = _vote(
        officer,
        area,
        "Ask the ICB for a single PCN estates lead",
        ["pcn"],
        None,
        fourth.starts_at - timedelta(days=5),
        fourth.ends_at,
    )
    voting_casting.cast_ballot(
        users["cd.southstoke"],
        hybrid,
        organisations["U85685"],
        "for",
        fourth.starts_at - timedelta(days=1),
    )
    services.add_agenda_item(chair, fourth, "PCN estates lead", f"vote {hybrid.id}")
    # The chair came as clinical director of her PCN, so the room records the PCN's choice.
    pcn_attendees = [
        ("partner.hazeldene", "U16318"),
        ("cd.southstoke", "U85685"),
        *attendees[1:4],
    ]
    services.record_attendance(
        officer,
        fourth,
        [(users[person].id, organisations[code].id) for person, code in pcn_attendees],
    )
    room.record_in_room(
        chair,
        hybrid,
        {row.organisation_id for row in fourth.attendance},
        {organisations["U16318"].id: "against"},
        fourth.starts_at + timedelta(minutes=15),
    )
    voting_closing.close_vote(hybrid, fourth.ends_at)

    upcoming = services.schedule_next(officer, series, now)
    services.add_agenda_item(chair, upcoming, "Trust pulse: the December round", "")
    db.session.flush()
    return upcoming
