"""Officers' chase list of a live vote: counts only, who has not voted with who casts for
them, and a reminder (POST, audited, once per cooldown) sent through SMTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.audit.models import AuditEntry
from portal.database import utcnow
from portal.errors import DomainError, NotPermitted
from portal.voting import casting as voting_casting
from portal.voting.chase import CHASE_COOLDOWN, VoteChase, send_chase
from portal.voting.models import BallotSecrecy
from tests.conftest import fetch_csrf_token
from tests.factories import World, make_user, make_world
from tests.home.helpers import HOME_WORLD, open_vote_closing_in


def _chase_url(setting: World, vote) -> str:
    return f"/areas/{setting.area.slug}/votes/{vote.id}/chase"


@pytest.mark.parametrize("secrecy", [BallotSecrecy.OPEN, BallotSecrecy.SECRET])
def test_the_chase_list_shows_counts_and_who_has_not_voted_never_how(
    client, db, login, secrecy
) -> None:
    setting = make_world(**HOME_WORLD)
    vote = open_vote_closing_in(setting, "Enhanced access", timedelta(days=2), secrecy)
    voting_casting.cast_ballot(setting.other_partner, vote, setting.other, "against", utcnow())
    db.session.commit()
    login(setting.officer)
    html = client.get(_chase_url(setting, vote)).get_data(as_text=True)
    assert "1 of 2 organisations have voted." in html
    assert 'id="not-voted-A10001"' in html
    assert "Horsefair Practice" in html
    assert setting.partner.name in html
    assert 'id="not-voted-A10002"' not in html
    assert "against" not in html.lower()
    assert "Send a reminder to these" in html


def test_only_officers_see_the_chase_list(client, db, login) -> None:
    setting = make_world(**HOME_WORLD)
    vote = open_vote_closing_in(setting, "Enhanced access", timedelta(days=2))
    login(setting.partner)
    assert client.get(_chase_url(setting, vote)).status_code == 404
    token = fetch_csrf_token(client, f"/areas/{setting.area.slug}/")
    assert client.post(_chase_url(setting, vote), data={"csrf_token": token}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VoteChase)) == 0


def test_a_reminder_emails_those_not_voted_is_audited_and_waits_out_the_cooldown(
    app, client, db, login, smtp_server
) -> None:
    setting = make_world(**HOME_WORLD)
    vote = open_vote_closing_in(setting, "Enhanced access", timedelta(days=2))
    second_partner = make_user(setting.practice, Role.GP_PARTNER)
    voting_casting.cast_ballot(setting.other_partner, vote, setting.other, "for", utcnow())
    db.session.commit()
    login(setting.officer)
    token = fetch_csrf_token(client, _chase_url(setting, vote))

    sent = client.post(_chase_url(setting, vote), data={"csrf_token": token})
    assert sent.status_code == 302
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(
        [setting.partner.email, second_partner.email]
    )
    message = smtp_server.messages[0]
    assert message["Subject"].startswith("Reminder: Enhanced access closes")
    assert "Horsefair Practice has not voted yet" in message.get_content()
    page = client.get(_chase_url(setting, vote)).get_data(as_text=True)
    assert "Reminder sent to 2 people for 1 organisation not yet voted." in page
    assert "The last was sent just now" in page
    entry = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "vote.chased")
    ).scalar_one()
    assert entry.details == {"organisations_waiting": 1, "people_emailed": 2}

    smtp_server.messages.clear()
    again = client.post(_chase_url(setting, vote), data={"csrf_token": token})
    assert again.status_code == 200
    assert "A reminder was sent at" in again.get_data(as_text=True)
    assert smtp_server.messages == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VoteChase)) == 1


def test_the_cooldown_ends_and_a_vote_everyone_voted_in_needs_no_reminder(db) -> None:
    setting = make_world(**HOME_WORLD)
    vote = open_vote_closing_in(setting, "Enhanced access", timedelta(days=2))
    now = utcnow()
    send_chase(setting.officer, vote, now)
    with pytest.raises(DomainError, match="next can be sent"):
        send_chase(setting.officer, vote, now + CHASE_COOLDOWN - timedelta(seconds=1))
    send_chase(setting.officer, vote, now + CHASE_COOLDOWN)
    for partner, practice in (
        (setting.partner, setting.practice),
        (setting.other_partner, setting.other),
    ):
        voting_casting.cast_ballot(partner, vote, practice, "for", utcnow())
    with pytest.raises(DomainError, match="Every organisation has voted"):
        send_chase(setting.officer, vote, now + 3 * CHASE_COOLDOWN)


def test_no_reminder_once_the_vote_has_closed(db) -> None:
    setting = make_world(**HOME_WORLD)
    vote = open_vote_closing_in(setting, "Enhanced access", timedelta(hours=2))
    with pytest.raises(DomainError, match="while the vote is open"):
        send_chase(setting.officer, vote, vote.closes_at)
    with pytest.raises(NotPermitted):
        send_chase(setting.partner, vote, utcnow())
