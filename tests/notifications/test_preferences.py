"""Each member chooses, per kind of email, at once, a daily or weekly digest, or none; the
outbox applies the choice by the email's kind, and an email's link opens a page whose one
POST button applies the change (opening it writes nothing)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.audit.models import AuditEntry
from portal.errors import DomainError
from portal.extensions import db
from portal.mail import deliver_queued, queue_email
from portal.notifications import services
from portal.notifications.kinds import Frequency, Kind
from portal.notifications.models import DigestItem, NotificationPreference
from portal.outbox import OutboxMessage
from tests.conftest import csrf_token_from, fetch_csrf_token
from tests.factories import make_area, make_organisation, make_user

LINK_PATH = re.compile(r"/notifications/email/[A-Za-z0-9_.\-]+")


def _rows(model) -> int:
    db.session.commit()
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def _partner():
    area = make_area()
    return area, make_user(make_organisation(area), Role.GP_PARTNER)


def test_the_preferences_page_needs_a_signed_in_member(client, db):
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/accounts/login")


def test_the_profile_links_to_the_preferences_page(client, login, db):
    _, partner = _partner()
    login(partner)
    assert "/notifications/" in client.get("/accounts/profile").get_data(as_text=True)


def test_a_member_saves_choices_and_the_change_is_audited(client, login, db):
    _, partner = _partner()
    login(partner)
    page = client.get("/notifications/").get_data(as_text=True)
    for kind in (Kind.SECURITY, Kind.PERSONAL):
        assert kind.label in page, "the emails that cannot be turned off are listed"
    assert 'name="kind_security"' not in page
    data = {f"kind_{kind.value}": "immediate" for kind in Kind if kind.choosable}
    data.update(kind_votes_opened="weekly", kind_needs="off", kind_results="daily")

    response = client.post("/notifications/", data={**data, "csrf_token": csrf_token_from(page)})

    assert response.status_code == 302
    assert services.choices_of(partner)[Kind.VOTES_OPENED] is Frequency.WEEKLY
    assert services.choices_of(partner)[Kind.NEEDS] is Frequency.OFF
    assert services.choices_of(partner)[Kind.RESULTS] is Frequency.DAILY
    [entry] = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "notifications.preferences_changed")
    ).scalars()
    assert entry.actor_id == partner.id


def test_results_cannot_be_turned_off_and_a_bad_choice_writes_nothing(client, login, db):
    _, partner = _partner()
    login(partner)
    token = fetch_csrf_token(client, "/notifications/")
    data = {f"kind_{kind.value}": "immediate" for kind in Kind if kind.choosable}

    for bad in ({"kind_results": "off"}, {"kind_reminders": "hourly"}, {"kind_trust": ""}):
        response = client.post("/notifications/", data={**data, **bad, "csrf_token": token})
        assert response.status_code == 400
        assert "There is a problem" in response.get_data(as_text=True)
    assert _rows(NotificationPreference) == 0


def test_the_outbox_applies_the_choice_by_kind(db):
    area, partner = _partner()
    services.set_preferences(
        partner, partner, {Kind.NEEDS: Frequency.OFF, Kind.RESULTS: Frequency.WEEKLY}
    )
    link = "https://portal.example/areas/test-area/needs/3"

    queue_email(partner.email, "Need updated", f"News.\n\n{link}\n", kind=Kind.NEEDS)
    queue_email(partner.email, "Result: Contract", f"Agreed.\n\n{link}\n", kind=Kind.RESULTS)
    queue_email(partner.email, "Reset your password", "Link.\n", kind=Kind.SECURITY)
    queue_email(partner.email, "Your ballot receipt code", "Code.\n")
    db.session.commit()

    sent = db.session.execute(sa.select(OutboxMessage.subject)).scalars().all()
    assert sorted(sent) == ["Reset your password", "Your ballot receipt code"]
    [held] = db.session.execute(sa.select(DigestItem)).scalars()
    assert (held.kind, held.subject, held.link) == ("results", "Result: Contract", link)


def test_an_emails_link_opens_a_page_that_writes_nothing_until_its_button(
    app, client, db, smtp_server
):
    area, partner = _partner()
    queue_email(partner.email, "Vote opened", "A vote.\n", kind=Kind.VOTES_OPENED, area=area)
    db.session.commit()
    deliver_queued()
    [path] = LINK_PATH.findall(smtp_server.messages[0].get_content())
    audit_before = _rows(AuditEntry)

    page = client.get(path)

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Votes and elections opening" in text
    assert 'method="post"' in text
    assert _rows(NotificationPreference) == 0
    assert _rows(AuditEntry) == audit_before

    response = client.post(
        path, data={"kind_votes_opened": "off", "csrf_token": csrf_token_from(text)}
    )

    assert response.status_code == 200
    assert "Your choice is saved" in response.get_data(as_text=True)
    assert services.frequency_for(partner, Kind.VOTES_OPENED) is Frequency.OFF
    [entry] = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "notifications.preferences_changed")
    ).scalars()
    assert entry.actor_id is None
    assert "link in an email" in entry.summary


def test_a_link_changes_only_its_own_kind_and_a_forged_one_is_404(client, db):
    _, partner = _partner()
    path = f"/notifications/email/{services.preferences_token(partner.id, Kind.REMINDERS)}"
    token = fetch_csrf_token(client, path)

    response = client.post(
        path, data={"kind_reminders": "daily", "kind_needs": "off", "csrf_token": token}
    )

    assert response.status_code == 200
    assert services.choices_of(partner)[Kind.REMINDERS] is Frequency.DAILY
    assert services.choices_of(partner)[Kind.NEEDS] is Frequency.IMMEDIATE
    assert client.get(path[:-3] + "abc").status_code == 404
    assert client.get("/notifications/email/not-a-token").status_code == 404
    assert client.post(path + "x", data={"csrf_token": token}).status_code == 404
    # Without the form's CSRF token the POST is refused and nothing changes.
    assert client.post(path, data={"kind_reminders": "off"}).status_code == 400
    assert services.choices_of(partner)[Kind.REMINDERS] is Frequency.DAILY


def test_a_link_for_security_email_says_it_cannot_be_turned_off(client, db):
    _, partner = _partner()
    path = f"/notifications/email/{services.preferences_token(partner.id, Kind.SECURITY)}"

    page = client.get(path)

    assert page.status_code == 200
    assert "cannot be turned off" in page.get_data(as_text=True)
    response = client.post(
        path, data={"kind_security": "off", "csrf_token": fetch_csrf_token(client)}
    )
    assert response.status_code == 200
    assert _rows(NotificationPreference) == 0


def test_items_held_for_a_digest_follow_a_changed_choice(db):
    _, partner = _partner()
    services.set_preferences(
        partner, partner, {Kind.DRAFTS: Frequency.WEEKLY, Kind.NEEDS: Frequency.WEEKLY}
    )
    queue_email(partner.email, "Draft", "A draft.\n", kind=Kind.DRAFTS)
    queue_email(partner.email, "Need", "A need.\n", kind=Kind.NEEDS)
    db.session.commit()

    services.set_preferences(
        partner, partner, {Kind.DRAFTS: Frequency.IMMEDIATE, Kind.NEEDS: Frequency.OFF}
    )
    db.session.commit()

    [draft] = db.session.execute(sa.select(DigestItem)).scalars()
    assert draft.kind == "drafts"
    assert draft.release_at <= services.utcnow(), "sent in the next digest round"


def test_the_service_refuses_to_turn_off_what_cannot_be_turned_off(db):
    _, partner = _partner()
    for kind, frequency in (
        (Kind.SECURITY, Frequency.OFF),
        (Kind.PERSONAL, Frequency.WEEKLY),
        (Kind.RESULTS, Frequency.OFF),
    ):
        with pytest.raises(DomainError, match="cannot be set"):
            services.set_preferences(partner, partner, {kind: frequency})
    assert _rows(NotificationPreference) == 0
