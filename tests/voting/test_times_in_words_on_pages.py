"""While a vote takes ballots, its page and the votes list say when it closes in words, in
London time ("Tomorrow at 17:00"); once it has closed, the date and time as the record has it."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import pytest

from portal.database import utcnow
from portal.times import london_datetime
from portal.timewords import moment_in_words
from portal.voting import services
from tests.voting.helpers import close_by_moving_time, equal_vote_details
from tests.voting.test_views import client_for, count_due_votes


def _text(response: Any) -> str:
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("closes_in", [timedelta(hours=3), timedelta(days=1), timedelta(days=4)])
def test_an_open_votes_closing_time_is_in_words(app, world, db, closes_in):
    now = utcnow()
    vote = services.create_vote(
        world.officer, world.area, equal_vote_details(closes_at=now + closes_in)
    )
    services.open_vote(world.officer, vote, now)
    db.session.commit()
    words = moment_in_words(vote.closes_at, utcnow(), future_verb="").strip()
    expected = words[:1].upper() + words[1:]
    assert expected.startswith(("Today at", "Tomorrow at", "On ", "In "))
    partner = client_for(app, world.partner)
    assert f'id="closes">{expected}<' in _text(partner.get(world.url(f"/{vote.id}")))
    assert f"Closes </span>{expected}<" in _text(partner.get(world.url("/")))

    close_by_moving_time(vote)
    db.session.commit()
    count_due_votes(db)
    page = _text(partner.get(world.url(f"/{vote.id}")))
    assert f'id="closes">{london_datetime(vote.closes_at)}<' in page
