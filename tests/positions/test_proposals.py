"""Recording ICS proposals through the form, and the list by deadline with days left and the
state of the group's response."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import sqlalchemy as sa

from portal.audit.models import AuditEntry
from portal.database import utcnow
from portal.extensions import db
from portal.positions import services, workflow
from portal.positions.models import PositionState, Proposal
from portal.templating import LONDON
from tests.positions.conftest import counts, csrf, draft, pdf_bytes, record_proposal, sign_in


def _today():
    return utcnow().astimezone(LONDON).date()


def _form(client, **changes):
    deadline = _today() + timedelta(days=6)
    data = {
        "csrf_token": csrf(client),
        "title": "Phlebotomy transfer",
        "ics_reference": "PCCC-14",
        "owning_body": "Primary care commissioning committee",
        "summary_markdown": "Move phlebotomy **to practices**.",
        "source_links": "https://example.org/paper\n\n  https://example.org/annex  ",
        "deadline_day": str(deadline.day),
        "deadline_month": str(deadline.month),
        "deadline_year": str(deadline.year),
    }
    data.update(changes)
    return data


def test_an_officer_records_a_proposal_with_a_deadline_and_links(client, world):
    sign_in(client, world.people["officer"])
    data = _form(client, documents=[(io.BytesIO(pdf_bytes()), "paper.pdf", "application/pdf")])
    response = client.post(
        world.url("proposals/new"), data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    proposal = db.session.execute(sa.select(Proposal)).scalar_one()
    assert proposal.response_deadline == _today() + timedelta(days=6)
    assert proposal.source_links == ["https://example.org/paper", "https://example.org/annex"]
    assert proposal.created_by_id == world.people["officer"].id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<strong>to practices</strong>" in page
    assert "6 days left" in page
    assert "paper.pdf" in page
    actions = db.session.execute(
        sa.select(AuditEntry.action).where(AuditEntry.action.startswith("proposal."))
    ).scalars()
    assert sorted(actions) == ["proposal.created", "proposal.document_added"]


def test_links_must_be_web_addresses_and_dates_real(client, world):
    sign_in(client, world.people["officer"])
    before = counts()
    response = client.post(
        world.url("proposals/new"),
        data=_form(
            client, source_links="javascript:alert(1)", deadline_day="31", deadline_month="2"
        ),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter each link as a web address starting https://" in page
    assert "The response deadline must be a real date" in page
    assert counts() == before


def test_the_list_is_by_deadline_with_days_left_and_the_response_state(client, world):
    today = _today()
    later = record_proposal(world, title="Later one", response_deadline=today + timedelta(days=30))
    record_proposal(world, title="Undated one")
    soon = record_proposal(world, title="Soon one", response_deadline=today + timedelta(days=1))
    record_proposal(world, title="Late one", response_deadline=today - timedelta(days=2))
    record_proposal(world, title="Today one", response_deadline=today)
    draft(world, proposal=soon)
    position = draft(world, "officer", proposal=later)
    workflow.open_consultation(
        world.people["officer"], position, utcnow() + timedelta(days=3), utcnow()
    )
    db.session.commit()
    sign_in(client, world.people["manager"])
    page = client.get(world.url("proposals")).get_data(as_text=True)
    order = [page.index(title) for title in ("Late one", "Today one", "Soon one", "Later one")]
    assert order == sorted(order)
    assert page.index("Later one") < page.index("Undated one")
    assert "Deadline passed 2 days ago" in page
    assert "Due today" in page
    assert "1 day left" in page
    assert "30 days left" in page
    assert "No deadline" in page
    rows = page.split("<tr")
    soon_row = next(row for row in rows if "Soon one" in row)
    later_row = next(row for row in rows if "Later one" in row)
    undated_row = next(row for row in rows if "Undated one" in row)
    assert "Drafting" in soon_row
    assert "Consultation" in later_row
    assert "No draft" in undated_row


def test_the_furthest_draft_speaks_for_the_group(world):
    proposal = record_proposal(world)
    first = draft(world, proposal=proposal)
    draft(world, "officer", proposal=proposal)
    assert services.response_state(world.people["partner"], proposal) == "drafting"
    first.state = PositionState.AGREED
    db.session.commit()
    assert services.response_state(world.people["partner"], proposal) == "agreed"


def test_a_partner_drafts_a_response_from_the_proposal(client, world):
    proposal = record_proposal(world)
    sign_in(client, world.people["partner"])
    page = client.get(world.url(f"proposals/{proposal.id}")).get_data(as_text=True)
    assert f"positions/new?proposal={proposal.id}" in page
    form = client.get(world.url(f"positions/new?proposal={proposal.id}")).get_data(as_text=True)
    assert re.search(rf'<option value="{proposal.id}" selected\s*>', form)
    response = client.post(
        world.url("positions/new"),
        data={
            "csrf_token": csrf(client),
            "proposal": str(proposal.id),
            "title": "Our answer",
            "body_markdown": "We agree.\n\nWith conditions.",
            "tier": "group",
        },
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Paragraph 2" in page
    assert "Pat Partner" in page
