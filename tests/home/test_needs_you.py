"""The home page after sign-in: what needs the person, each item saying why, read without
writing to the database."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from portal.accounts.models import Role
from portal.audit.models import AuditEntry
from portal.database import utcnow
from portal.main.needs_you import FIRST_VISIT_NEWS, VISIT_GAP, visit_from
from portal.needs import services as needs_services
from portal.needs.models import NeedCategory, NeedChannel, NeedUrgency
from portal.organisations.models import OrganisationKind
from portal.positions import drafting as position_drafting
from portal.positions import services as position_services
from portal.positions import workflow as position_workflow
from portal.tiers import Tier
from portal.voting import casting as voting_casting
from tests.factories import make_organisation, make_user, make_world
from tests.home.helpers import HOME_WORLD, open_vote_closing_in


def _page(client, user, login) -> str:
    login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_nothing_to_do_is_said_plainly_and_the_overview_is_one_click_away(client, db, login):
    setting = make_world(**HOME_WORLD)
    html = _page(client, setting.partner, login)
    assert "Nothing needs you in Test Area ICB right now" in html
    assert f'href="/areas/{setting.area.slug}/"' in html


def test_open_votes_come_closing_soonest_first_with_weight_and_a_button(client, db, login):
    setting = make_world(**HOME_WORLD)
    later = open_vote_closing_in(setting, "Later vote", timedelta(days=5))
    sooner = open_vote_closing_in(setting, "Sooner vote", timedelta(hours=3))
    html = _page(client, setting.partner, login)
    assert html.index("Sooner vote") < html.index("Later vote")
    assert "Horsefair Practice has not voted yet" in html
    assert "Its share of the weight: 25.0 %" in html
    assert "Voting closes today at" in html or "Voting closes tomorrow at" in html
    assert f"/votes/{sooner.id}/cast/A10001" in html
    assert f"/votes/{later.id}/cast/A10001" in html
    assert "Nothing needs you" not in html


def test_a_cast_ballot_leaves_the_list(client, db, login):
    setting = make_world(**HOME_WORLD)
    vote = open_vote_closing_in(setting, "Enhanced access", timedelta(days=2))
    voting_casting.cast_ballot(setting.partner, vote, setting.practice, "for", utcnow())
    db.session.commit()
    html = _page(client, setting.partner, login)
    assert "Enhanced access" not in html
    assert "Nothing needs you" in html


def test_a_practice_manager_who_cannot_cast_is_not_asked_to(client, db, login):
    setting = make_world(**HOME_WORLD)
    open_vote_closing_in(setting, "Enhanced access", timedelta(days=2))
    manager = make_user(setting.practice, Role.PRACTICE_MANAGER)
    assert "Enhanced access" not in _page(client, manager, login)


def test_drafts_in_consultation_and_proposals_due_say_why(client, db, login):
    setting = make_world(**HOME_WORLD)
    now = utcnow()
    proposal = position_services.create_proposal(
        setting.officer,
        setting.area,
        position_services.ProposalDetails(
            title="PCN hubs",
            ics_reference=None,
            owning_body="The ICB's primary care committee",
            summary_markdown="",
            source_links=[],
            response_deadline=(now + timedelta(days=10)).date(),
        ),
        [],
        now,
    )
    position = position_drafting.create_position(
        setting.officer,
        setting.area,
        title="Our answer on hubs",
        body_markdown="We think so.",
        tier=Tier.GROUP,
        proposal=proposal,
        now=now,
    )
    position_workflow.open_consultation(setting.officer, position, now + timedelta(days=4), now)
    db.session.commit()

    html = _page(client, setting.partner, login)
    assert "Our answer on hubs" in html
    assert "it is out for consultation, which ends on" in html
    assert "you have not commented yet" in html
    assert "The ICB&#39;s primary care committee asks for a response by" in html

    position_drafting.add_comment(
        setting.partner, position, body_markdown="Yes.", paragraph_index=None, now=utcnow()
    )
    db.session.commit()
    assert "Our answer on hubs" not in client.get("/").get_data(as_text=True)


def test_needs_news_since_the_last_visit_comes_from_the_session(client, db, login):
    setting = make_world(**HOME_WORLD)
    need = needs_services.raise_need(
        setting.partner,
        setting.practice,
        NeedChannel.PRACTICE,
        title="Locum cover for winter",
        description_markdown="We need help.",
        category=NeedCategory.WORKFORCE,
        urgency=NeedUrgency.SOON,
    )
    db.session.commit()
    html = _page(client, setting.partner, login)
    assert "Locum cover for winter" not in html  # nobody else has done anything yet

    needs_services.support(setting.other_partner, need, setting.other)
    needs_services.comment(setting.other_partner, need, setting.other, "Same here.")
    db.session.commit()
    audit_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    html = client.get("/").get_data(as_text=True)
    assert "Locum cover for winter" in html
    assert "1 new comment, 1 more organisation supports it" in html
    assert re.search(r"in the last 7 days", html)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == audit_before

    # A later visit (more than half an hour on) starts its news where the last one ended.
    with client.session_transaction() as session:
        seen = datetime.fromisoformat(session["home_visit"]["seen"])
        session["home_visit"] = {
            "since": (seen - timedelta(hours=2)).isoformat(),
            "seen": (seen - timedelta(hours=1)).isoformat(),
        }
    assert "Locum cover for winter" in client.get("/").get_data(as_text=True)
    with client.session_transaction() as session:
        session["home_visit"] = {"since": utcnow().isoformat(), "seen": utcnow().isoformat()}
    assert "Locum cover for winter" not in client.get("/").get_data(as_text=True)


def test_visit_rules() -> None:
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    first = visit_from(None, now)
    assert first.first
    assert first.since == now - FIRST_VISIT_NEWS
    assert visit_from({"since": "garbage"}, now).first
    assert visit_from({"since": "2026-12-01T09:00:00", "seen": "2026-12-01T09:00:00"}, now).first
    same = visit_from(
        {"since": "2026-11-30T10:00:00+00:00", "seen": (now - VISIT_GAP / 2).isoformat()}, now
    )
    assert same.since == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert not same.first
    new = visit_from(
        {"since": "2026-11-30T10:00:00+00:00", "seen": "2026-12-01T08:00:00+00:00"}, now
    )
    assert new.since == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert new.stored == {"since": new.since.isoformat(), "seen": now.isoformat()}


def test_an_ics_reader_sees_no_group_business(client, db, login):
    setting = make_world(**HOME_WORLD)
    open_vote_closing_in(setting, "Enhanced access", timedelta(days=2))
    ics = make_organisation(setting.area, OrganisationKind.ICS, ods_code="ICS1")
    reader = make_user(ics, Role.ICS_READER)
    html = _page(client, reader, login)
    assert "Enhanced access" not in html
    assert "Nothing needs you" in html
