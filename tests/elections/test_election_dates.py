"""Moving an election's dates (``portal.elections.timetable``), and an election whose voting
dates passed before its voting began: it is never counted, it waits for new dates.

A period that has begun is never cut short, a deadline that has passed stands, and what has
not begun moves as set-up's rules allow; a refusal says why and changes nothing; the
electors are emailed the new timetable; only officers move dates (404 for those who may not
see elections, 403 for members who may see but not change)."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.audit.models import AuditEntry
from portal.database import utcnow
from portal.elections import closing, scrutiny, timetable
from portal.elections.models import Election, ElectionState
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db as database
from portal.outbox import OutboxMessage
from portal.times import london_datetime
from tests.elections.test_election_pages import london, move_to, nominate, post, set_up, sign_out
from tests.factories import World

PASSPHRASE = "a long enough scrutineer passphrase"


def _three_standing(client, login, world: World, **extra) -> Election:
    election = set_up(client, login, world, seats=2, **extra)
    nominate(client, login, election, world.ann, world.cat, world.bob)
    nominate(client, login, election, world.dan, world.ann, world.cat)
    nominate(client, login, election, world.bob, world.ann, world.dan)
    database.session.refresh(election)
    return election


def _page(election: Election) -> str:
    return f"/areas/staffs/elections/{election.id}"


def _move(client, election: Election, **dates) -> object:
    """The officer's POST of the dates form as the page shows it, with ``dates`` typed over."""
    database.session.expire(election)
    shown = timetable.timetable_of(election)
    data = {
        "nominations_close": london(shown.nominations_close_at),
        "voting_opens": london(shown.voting_opens_at),
        "voting_closes": london(shown.voting_closes_at),
        **{name: london(moment) for name, moment in dates.items()},
    }
    page = _page(election)
    return post(client, f"{page}/dates", {**data, "shown": _shown(client, election)}, page=page)


def _shown(client, election: Election) -> str:
    """The dates as the election's page showed them, from its dates form."""
    page = client.get(_page(election)).get_data(as_text=True)
    return html.unescape(re.search(r'name="shown"[^>]*value="([^"]*)"', page).group(1))


def _date_emails(db) -> list[OutboxMessage]:
    return list(
        db.session.execute(
            sa.select(OutboxMessage)
            .where(OutboxMessage.subject.startswith("New dates:"))
            .order_by(OutboxMessage.recipient)
        ).scalars()
    )


def _moves(db) -> int:
    return db.session.execute(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "election.dates_moved")
    ).scalar_one()


def test_scrutineers_who_set_passphrases_after_voting_should_have_closed_start_no_count(
    client, login, world, db
) -> None:
    # Before: the closer closed nominations and counted the election at once, with no ballots.
    election = _three_standing(client, login, world, scrutineers=world.manager.email)
    move_to(db, election, "counting")  # nominations, then the whole voting period, have passed
    assert closing.close_due(utcnow()) == []  # waiting for the scrutineer

    scrutiny.set_passphrase(world.manager, election, PASSPHRASE, PASSPHRASE, utcnow())
    db.session.commit()

    assert closing.close_due(utcnow()) == []
    assert election.state is ElectionState.NOMINATIONS
    assert election.result is None

    page = _page(election)
    login(world.cat)  # an elector
    assert "voting never began and its dates have passed" in client.get(page).get_data(as_text=True)
    sign_out(client)
    login(world.officer)
    shown = client.get(page).get_data(as_text=True)
    assert "Its dates have passed" in shown
    assert f"Voting was to close {london_datetime(election.voting_closes_at)}" in shown
    assert 'name="voting_opens"' in shown
    assert 'name="voting_closes"' in shown
    assert 'name="nominations_close"' not in shown  # that deadline passed: it stands
    assert "Close nominations now" not in shown
    refused = post(client, f"{page}/close-nominations", page=page)
    assert refused.status_code == 302
    assert "so it would never open: move the voting dates first" in client.get(page).get_data(
        as_text=True
    )
    db.session.expire_all()
    assert election.state is ElectionState.NOMINATIONS

    opens, closes = utcnow() + timedelta(hours=1), utcnow() + timedelta(days=7)
    assert _move(client, election, voting_opens=opens, voting_closes=closes).status_code == 302
    sign_out(client)
    db.session.expire_all()
    assert election.voting_closes_at == closes.replace(second=0, microsecond=0)
    assert [m.recipient for m in _date_emails(db)] == sorted(
        u.email for u in (world.ann, world.bob, world.cat, world.dan)
    )

    assert closing.close_due(utcnow()) == [(election, "nominations closed: voting")]
    assert election.state is ElectionState.VOTING
    assert election.result is None


def test_an_election_whose_closer_missed_the_voting_period_waits_unless_it_is_unopposed(
    client, login, world, db
) -> None:
    contested = _three_standing(client, login, world, secrecy="open")
    move_to(db, contested, "counting")
    unopposed = set_up(client, login, world, seats=3)
    nominate(client, login, unopposed, world.ann, world.cat, world.bob)
    move_to(db, unopposed, "counting")

    # No ballot is held in an unopposed election, so its voting dates do not matter.
    assert closing.close_due(utcnow()) == [(unopposed, "nominations closed: unopposed")]
    assert contested.state is ElectionState.NOMINATIONS
    with pytest.raises(DomainError, match="move the voting dates first"):
        closing.close_nominations(contested, utcnow(), world.officer)


def test_an_officer_moves_the_dates_while_nominations_are_open_and_electors_are_told(
    client, login, world, db
) -> None:
    election = set_up(client, login, world)
    # Times to the second, as a service may set them; the form shows minutes.
    election.voting_opens_at += timedelta(seconds=17)
    db.session.commit()
    before = timetable.timetable_of(election)
    login(world.officer)
    shown = client.get(_page(election)).get_data(as_text=True)
    for name, moment in (
        ("nominations_close", before.nominations_close_at),
        ("voting_opens", before.voting_opens_at),
        ("voting_closes", before.voting_closes_at),
    ):
        assert f'value="{london(moment)}"' in shown.split(f'name="{name}"')[1].split(">")[0]

    closes = before.voting_closes_at + timedelta(days=3)
    moved = _move(client, election, voting_closes=closes)  # the others left as shown
    assert moved.status_code == 302
    assert "the electors are emailed the new ones" in client.get(_page(election)).get_data(
        as_text=True
    )
    db.session.expire_all()
    assert election.voting_opens_at == before.voting_opens_at  # its seconds kept
    assert election.voting_closes_at == closes

    (entry,) = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "election.dates_moved")
    ).scalars()
    assert entry.actor_id == world.officer.id
    assert set(entry.details) == {"voting_closes_at"}
    assert entry.details["voting_closes_at"]["from"] == before.voting_closes_at.isoformat()

    emails = _date_emails(db)
    assert [m.recipient for m in emails] == sorted(
        u.email for u in (world.ann, world.bob, world.cat, world.dan)
    )
    body = emails[0].body
    assert f"Voting closes: {london_datetime(closes)}" in body
    assert f"(it was {london_datetime(before.voting_closes_at)})" in body
    assert f"Voting opens: {london_datetime(before.voting_opens_at)}\n" in body
    assert f"/elections/{election.id}" in body

    extended = before.nominations_close_at + timedelta(hours=2)
    assert (
        _move(client, election, nominations_close=extended, voting_opens=extended).status_code
        == 302
    )
    db.session.expire_all()
    assert election.nominations_close_at == extended
    assert election.voting_opens_at == extended
    assert _moves(db) == 2
    assert len(_date_emails(db)) == 8


def test_while_voting_is_open_it_can_close_later_never_earlier(client, login, world, db) -> None:
    election = _three_standing(client, login, world, secrecy="open")
    move_to(db, election, "voting")
    closing.close_nominations(election, utcnow())
    db.session.commit()
    before = timetable.timetable_of(election)
    login(world.officer)
    shown = client.get(_page(election)).get_data(as_text=True)
    assert 'name="voting_closes"' in shown
    assert 'name="voting_opens"' not in shown
    assert 'name="nominations_close"' not in shown

    earlier = _move(client, election, voting_closes=before.voting_closes_at - timedelta(minutes=30))
    assert earlier.status_code == 400
    assert "it can close later, never earlier" in earlier.get_data(as_text=True)
    db.session.expire_all()
    assert timetable.timetable_of(election) == before
    assert _date_emails(db) == []
    assert _moves(db) == 0

    later = before.voting_closes_at + timedelta(days=1)
    assert _move(client, election, voting_closes=later).status_code == 302
    db.session.expire_all()
    assert election.voting_closes_at == later.replace(second=0, microsecond=0)
    assert len(_date_emails(db)) == 4

    now = utcnow()
    current = timetable.timetable_of(election)
    for changed, message in (
        ({"voting_opens_at": current.voting_opens_at + timedelta(minutes=5)}, "only its close"),
        (
            {"nominations_close_at": current.nominations_close_at + timedelta(minutes=5)},
            "a deadline that has passed stands",
        ),
    ):
        with pytest.raises(DomainError, match=message):
            timetable.move_dates(world.officer, election, changed, now)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ({"voting_closes": None}, "Enter when voting closes, as a date and a time"),
        ({"voting_opens": "next Tuesday"}, "Not a valid datetime value"),
        ({"voting_closes": timedelta(hours=1)}, "Voting must close after it opens"),
        ({"voting_opens": timedelta(minutes=30)}, "Voting cannot open before nominations close"),
        ({"nominations_close": timedelta(minutes=30)}, "they can close later, never earlier"),
        ({}, "These are the election's dates already"),
    ],
)
def test_bad_dates_are_refused_with_why_and_nothing_changes(
    client, login, world, db, typed, message
) -> None:
    election = set_up(client, login, world)  # nominations close in 1 hour; voting 1 to 2 hours
    before = timetable.timetable_of(election)
    start = before.nominations_close_at - timedelta(hours=1)
    data = {
        "nominations_close": london(before.nominations_close_at),
        "voting_opens": london(before.voting_opens_at),
        "voting_closes": london(before.voting_closes_at),
    }
    for name, value in typed.items():
        if value is None:
            del data[name]
        else:
            data[name] = value if isinstance(value, str) else london(start + value)
    login(world.officer)
    page = _page(election)
    data["shown"] = _shown(client, election)

    refused = post(client, f"{page}/dates", data, page=page)

    assert refused.status_code == 400
    shown = html.unescape(refused.get_data(as_text=True))
    assert message in shown.split("There is a problem")[1]
    db.session.expire_all()
    assert timetable.timetable_of(election) == before
    assert _date_emails(db) == []
    assert _moves(db) == 0


def test_before_voting_opens_only_voting_moves_and_not_into_the_past(
    client, login, world, db
) -> None:
    election = _three_standing(client, login, world, secrecy="open")
    now = utcnow()
    election.nominations_open_at = now - timedelta(hours=3)
    election.nominations_close_at = now - timedelta(hours=2)
    election.voting_opens_at = now + timedelta(hours=2)
    election.voting_closes_at = now + timedelta(hours=5)
    closing.close_nominations(election, now)
    assert election.state is ElectionState.VOTING  # voting is to open in two hours
    current = timetable.timetable_of(election)

    for changes, message in (
        ({"voting_opens_at": now - timedelta(minutes=1)}, "Voting must open in the future"),
        ({"voting_closes_at": current.voting_opens_at}, "Voting must close after it opens"),
        ({"nominations_close_at": now + timedelta(hours=1)}, "no late nomination is taken"),
    ):
        with pytest.raises(DomainError, match=message):
            timetable.move_dates(world.officer, election, changes, now)
    sooner = now + timedelta(minutes=30)
    timetable.move_dates(world.officer, election, {"voting_opens_at": sooner}, now)
    assert timetable.timetable_of(election) == replace(current, voting_opens_at=sooner)

    with pytest.raises(NotPermitted):
        timetable.move_dates(world.ann, election, {}, now)
    past_close = election.voting_closes_at + timedelta(minutes=1)
    with pytest.raises(Conflict, match="its dates can no longer move"):
        timetable.move_dates(
            world.officer,
            election,
            {"voting_closes_at": past_close + timedelta(days=1)},
            past_close,
        )


def test_only_officers_move_dates(client, login, world, db) -> None:
    election = set_up(client, login, world)
    before = timetable.timetable_of(election)
    page = _page(election)
    later = {"voting_closes": london(before.voting_closes_at + timedelta(days=1))}
    for outsider in (world.reader, world.stranger):  # may not see the elections at all
        login(outsider)
        token_page = "/accounts/profile"
        assert post(client, f"{page}/dates", later, page=token_page).status_code == 404
        sign_out(client)
    for member in (world.manager, world.ann):  # may see the election, not change it
        login(member)
        shown = client.get(page).get_data(as_text=True)
        assert "Move the dates" not in shown
        assert post(client, f"{page}/dates", later, page=page).status_code == 403
        sign_out(client)
    db.session.expire_all()
    assert timetable.timetable_of(election) == before
    assert _date_emails(db) == []
    assert _moves(db) == 0


def test_a_form_filled_in_before_another_move_moves_only_what_it_typed_over(
    client, login, world, db
) -> None:
    election = set_up(client, login, world)  # nominations close in 1 hour; voting 1 to 2 hours
    login(world.officer)
    before = timetable.timetable_of(election)
    stale_shown = _shown(client, election)  # one officer opens the page
    later_close = before.voting_closes_at + timedelta(days=2)
    assert _move(client, election, voting_closes=later_close).status_code == 302  # another moves

    # The first sends the form as they saw it, with only the opening typed over.
    later_opening = before.voting_opens_at + timedelta(hours=3)
    page = _page(election)
    data = {
        "nominations_close": london(before.nominations_close_at),
        "voting_opens": london(later_opening),
        "voting_closes": london(before.voting_closes_at),
        "shown": stale_shown,
    }
    assert post(client, f"{page}/dates", data, page=page).status_code == 302

    db.session.expire_all()
    moved = timetable.timetable_of(election)
    assert moved.voting_opens_at == later_opening.replace(second=0, microsecond=0)
    assert moved.voting_closes_at == later_close.replace(second=0, microsecond=0)  # it stands
    assert moved.nominations_close_at == before.nominations_close_at
    assert _moves(db) == 2


@pytest.mark.parametrize(
    "shown",
    [
        None,
        "",
        "yesterday|today|tomorrow",
        "2026-12-01T10:00:00",
        "2026-12-01T10:00:00|2026-12-01T11:00:00|2026-12-01T12:00:00",
    ],
)
def test_a_dates_form_without_the_dates_it_showed_is_refused(
    client, login, world, db, shown
) -> None:
    election = set_up(client, login, world)
    before = timetable.timetable_of(election)
    login(world.officer)
    page = _page(election)
    data = {
        "nominations_close": london(before.nominations_close_at + timedelta(hours=1)),
        "voting_opens": london(before.voting_opens_at + timedelta(hours=1)),
        "voting_closes": london(before.voting_closes_at + timedelta(hours=1)),
    }
    if shown is not None:
        data["shown"] = shown

    refused = post(client, f"{page}/dates", data, page=page)

    assert refused.status_code == 400
    assert "This form is out of date" in html.unescape(refused.get_data(as_text=True))
    db.session.expire_all()
    assert timetable.timetable_of(election) == before
    assert _moves(db) == 0
