"""Drafting: revisions with author and time, concurrent edits refused with nothing lost, the
history with changes marked, comments, amendments, the lead, and Markdown that cannot run."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from portal.audit.models import AuditEntry
from portal.database import utcnow
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.positions import amendments, drafting, services
from portal.positions.models import AmendmentState, Position, Revision, Tier
from tests.positions.conftest import (
    BODY,
    counts,
    csrf,
    draft,
    marked,
    record_proposal,
    sign_in,
)

XSS = (
    "<script>alert('body')</script>\n\n"
    '<img src=x onerror="alert(1)"> and <a href="javascript:alert(2)">link</a>\n\n'
    "[click me](javascript:alert(3)) <iframe src=https://evil.example></iframe>"
)


def _actions(position: Position) -> list[str]:
    return list(
        db.session.execute(
            sa.select(AuditEntry.action)
            .where(AuditEntry.subject_type == "Position", AuditEntry.subject_id == str(position.id))
            .order_by(AuditEntry.sequence)
        ).scalars()
    )


def _save(world, who, position, base, body, title="Our response on PCN hubs"):
    revision = drafting.save_revision(
        world.people[who],
        position,
        base_number=base,
        title=title,
        body_markdown=body,
        now=utcnow(),
    )
    db.session.commit()
    return revision


# --- Revisions ---------------------------------------------------------------------------------


def test_a_draft_starts_at_revision_1_led_by_its_author(world):
    proposal = record_proposal(world)
    position = draft(world, proposal=proposal)
    assert position.lead_id == world.people["partner"].id
    assert [(r.number, r.author_id) for r in position.revisions] == [
        (1, world.people["partner"].id)
    ]
    assert position.proposal_id == proposal.id
    assert _actions(position) == ["position.created"]


def test_every_save_is_a_new_revision_with_author_and_time(world):
    position = draft(world)
    _save(world, "officer", position, 1, BODY + "\n\nA fourth paragraph.")
    _save(world, "partner", position, 2, BODY, title="A new title")
    db.session.refresh(position)
    assert [r.number for r in position.revisions] == [1, 2, 3]
    assert [r.author.name for r in position.revisions] == [
        "Pat Partner",
        "Lou Officer",
        "Pat Partner",
    ]
    assert all(r.created_at is not None for r in position.revisions)
    assert position.title == "A new title"
    assert position.revisions[0].body_markdown == BODY
    assert _actions(position) == ["position.created", "position.revised", "position.revised"]


def test_only_the_lead_and_officers_change_the_text(world):
    position = draft(world)
    with pytest.raises(NotPermitted):
        _save(world, "partner2", position, 1, "Changed")


def test_saving_the_same_text_again_is_refused(world):
    position = draft(world)
    with pytest.raises(DomainError, match="Nothing has changed"):
        _save(world, "partner", position, 1, BODY)


def test_a_stale_edit_is_refused_with_the_other_revision(world):
    position = draft(world)
    _save(world, "officer", position, 1, BODY + "\n\nOfficer's paragraph.")
    with pytest.raises(drafting.EditConflict) as refused:
        _save(world, "partner", position, 1, BODY + "\n\nPartner's paragraph.")
    db.session.rollback()
    assert refused.value.base.number == 1
    assert refused.value.latest.number == 2
    assert "Lou Officer saved revision 2" in refused.value.message
    assert [r.number for r in db.session.get(Position, position.id).revisions] == [1, 2]


def test_a_race_for_the_same_number_is_caught_by_the_unique_constraint(world):
    """Two saves that both read revision 1 as the latest: the database refuses the second."""
    position = draft(world)
    officer_id = world.people["officer"].id
    assert position.latest.number == 1  # loaded: this session now believes 1 is the latest
    # End this session's read (SQLite's WAL would refuse a write from an older snapshot) but
    # keep what it loaded, as a request that read the draft a moment ago would have it.
    session = db.session()
    session.expire_on_commit = False
    session.commit()
    session.expire_on_commit = True
    with db.engine.begin() as other:
        other.execute(
            sa.insert(Revision).values(
                position_id=position.id,
                number=2,
                title="Theirs",
                body_markdown="Their text.",
                author_id=officer_id,
                created_at=utcnow(),
            )
        )
    with pytest.raises(drafting.EditConflict) as refused:
        drafting.save_revision(
            world.people["partner"],
            position,
            base_number=1,
            title="Mine",
            body_markdown="My text.",
            now=utcnow(),
        )
    assert refused.value.latest.number == 2
    assert refused.value.latest.body_markdown == "Their text."
    db.session.rollback()


def test_concurrent_edit_in_the_browser_shows_their_changes_and_keeps_my_text(app, world):
    position = draft(world)
    partner, officer = app.test_client(), app.test_client()
    sign_in(partner, world.people["partner"])
    sign_in(officer, world.people["officer"])
    url = world.url(f"positions/{position.id}/edit")
    assert 'name="base_revision" type="hidden" value="1"' in partner.get(url).get_data(True)
    officer.get(url)
    theirs = BODY.replace("one enhanced access hub", "two enhanced access hubs")
    response = officer.post(
        url,
        data={
            "csrf_token": csrf(officer),
            "base_revision": "1",
            "title": "Our response on PCN hubs",
            "body_markdown": theirs,
        },
    )
    assert response.status_code == 302
    mine = BODY + "\n\nMy careful new paragraph about weekend cover."
    response = partner.post(
        url,
        data={
            "csrf_token": csrf(partner),
            "base_revision": "1",
            "title": "Our response on PCN hubs",
            "body_markdown": mine,
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Lou Officer saved revision 2 while you were editing" in page
    assert 'id="their-changes"' in page
    assert marked(page, "del") == ["one", "hub"]
    assert marked(page, "ins") == ["two", "hubs"]
    assert "My careful new paragraph about weekend cover." in page  # still in the form
    assert 'name="base_revision" type="hidden" value="2"' in page
    assert [r.number for r in db.session.get(Position, position.id).revisions] == [1, 2]
    # Saving again, now from revision 2, goes through.
    response = partner.post(
        url,
        data={
            "csrf_token": csrf(partner),
            "base_revision": "2",
            "title": "Our response on PCN hubs",
            "body_markdown": mine,
        },
    )
    assert response.status_code == 302
    position = db.session.get(Position, position.id)
    assert position.latest.number == 3
    assert position.latest.body_markdown == mine


def test_the_history_marks_the_changes_between_any_two_revisions(client, world):
    position = draft(world)
    _save(world, "partner", position, 1, BODY.replace("Funding must", "Funding should"))
    _save(world, "partner", position, 2, BODY + "\n\nNew closing paragraph.", title="Renamed")
    sign_in(client, world.people["manager"])
    page = client.get(world.url(f"positions/{position.id}/history")).get_data(as_text=True)
    assert "Revision 2 and revision 3" in page
    assert marked(page, "ins") == ["Renamed", "must", "New closing paragraph."]
    assert 'id="title-change"' in page
    page = client.get(world.url(f"positions/{position.id}/history?from=1&to=2")).get_data(True)
    assert marked(page, "del") == ["must"]
    assert marked(page, "ins") == ["should"]
    page = client.get(world.url(f"positions/{position.id}/history?from=3&to=1")).get_data(True)
    assert "Revision 3 and revision 1" in page
    response = client.get(world.url(f"positions/{position.id}/history?from=1&to=9"))
    assert response.status_code == 404


# --- Markdown that cannot run ------------------------------------------------------------------


def test_script_in_a_draft_a_comment_an_amendment_or_a_proposal_is_inert(client, world):
    proposal = record_proposal(world, summary_markdown=XSS)
    position = draft(world, body=XSS, proposal=proposal)
    drafting.add_comment(
        world.people["partner2"], position, body_markdown=XSS, paragraph_index=0, now=utcnow()
    )
    amendments.propose_amendment(
        world.people["partner2"],
        position,
        paragraph_index=1,
        replacement_markdown=XSS,
        reason=XSS,
        now=utcnow(),
    )
    _save(world, "partner", position, 1, XSS + "\n\n<svg onload=alert(4)>")
    db.session.commit()
    sign_in(client, world.people["partner"])
    for url in (
        f"positions/{position.id}",
        f"positions/{position.id}/history",
        f"positions/{position.id}/edit",
        f"proposals/{proposal.id}",
        "positions",
    ):
        page = client.get(world.url(url)).get_data(as_text=True)
        assert "<script>alert" not in page, url
        assert "<img src=x" not in page, url
        assert "<iframe" not in page, url
        assert "<svg" not in page, url
        assert 'href="javascript:' not in page, url
        assert not re.search(r"<[^>]+\sonerror=", page), url
        assert not re.search(r"<[^>]+\sonload=", page), url


# --- Comments ----------------------------------------------------------------------------------


def test_members_comment_on_the_whole_or_on_one_paragraph(client, world):
    position = draft(world)
    sign_in(client, world.people["director"])
    token = csrf(client)
    url = world.url(f"positions/{position.id}/comments")
    whole = {"csrf_token": token, "comment_paragraph": "", "comment_body": "Good overall."}
    assert client.post(url, data=whole).status_code == 302
    second = {"csrf_token": token, "comment_paragraph": "1", "comment_body": "Say PCNs too."}
    assert client.post(url, data=second).status_code == 302
    comments = services.position_comments(position)
    assert [(c.paragraph_index, c.body_markdown) for c in comments] == [
        (None, "Good overall."),
        (1, "Say PCNs too."),
    ]
    assert comments[0].organisation.name == "Alpha PCN"
    page = client.get(world.url(f"positions/{position.id}")).get_data(as_text=True)
    assert "on paragraph 2 of revision 1" in page
    assert "on the whole draft of revision 1" in page


def test_a_comment_on_a_paragraph_that_does_not_exist_is_refused(client, world):
    position = draft(world)
    sign_in(client, world.people["director"])
    before = counts()
    response = client.post(
        world.url(f"positions/{position.id}/comments"),
        data={"csrf_token": csrf(client), "comment_paragraph": "7", "comment_body": "Hm."},
    )
    assert response.status_code == 200
    assert "Choose a paragraph from the list" in response.get_data(as_text=True)
    assert counts() == before


def test_the_lead_or_an_officer_resolves_comments_nobody_else(client, world):
    position = draft(world)
    comment = drafting.add_comment(
        world.people["partner2"], position, body_markdown="Hm.", paragraph_index=None, now=utcnow()
    )
    db.session.commit()
    url = world.url(f"positions/{position.id}/comments/{comment.id}/resolve")
    sign_in(client, world.people["partner2"])
    assert client.post(url, data={"csrf_token": csrf(client)}).status_code == 403
    with pytest.raises(NotPermitted):
        drafting.resolve_comment(world.people["manager"], position, comment, utcnow())
    db.session.rollback()
    drafting.resolve_comment(world.people["officer"], position, comment, utcnow())
    db.session.commit()
    assert comment.resolved_by_id == world.people["officer"].id
    with pytest.raises(Conflict):
        drafting.resolve_comment(world.people["partner"], position, comment, utcnow())


def test_a_post_without_its_csrf_token_is_refused(client, world):
    position = draft(world)
    sign_in(client, world.people["partner2"])
    before = counts()
    response = client.post(
        world.url(f"positions/{position.id}/comments"),
        data={"comment_paragraph": "", "comment_body": "Sneaky"},
    )
    assert response.status_code == 400
    assert counts() == before


# --- Amendments --------------------------------------------------------------------------------


def _propose(world, position, index=1, text="Practices may opt out at any time.", who="partner2"):
    amendment = amendments.propose_amendment(
        world.people[who],
        position,
        paragraph_index=index,
        replacement_markdown=text,
        reason="Clearer.",
        now=utcnow(),
    )
    db.session.commit()
    return amendment


def test_a_member_proposes_an_amendment_and_the_lead_accepts_it(client, world):
    position = draft(world)
    sign_in(client, world.people["partner2"])
    response = client.post(
        world.url(f"positions/{position.id}/amendments"),
        data={
            "csrf_token": csrf(client),
            "amendment_paragraph": "1",
            "replacement": "Practices may opt out at any time.",
            "reason": "Clearer.",
        },
    )
    assert response.status_code == 302
    amendment = services.position_amendments(position)[0]
    assert amendment.state is AmendmentState.PROPOSED
    accept = world.url(f"positions/{position.id}/amendments/{amendment.id}/accept")
    assert client.post(accept, data={"csrf_token": csrf(client)}).status_code == 403

    lead = client.application.test_client()
    sign_in(lead, world.people["partner"])
    assert lead.post(accept, data={"csrf_token": csrf(lead)}).status_code == 302
    db.session.refresh(amendment)
    position = db.session.get(Position, position.id)
    assert amendment.state is AmendmentState.ACCEPTED
    assert position.latest.number == 2
    assert amendment.resulting_revision_id == position.latest.id
    assert position.latest.author_id == world.people["partner"].id
    assert position.latest.body_markdown == (
        "The ICB proposes one enhanced access hub per PCN.\n\n"
        "Practices may opt out at any time.\n\n"
        "Funding must follow the patients."
    )
    assert "position.amendment_accepted" in _actions(position)


def test_rejecting_needs_a_reason(client, world):
    position = draft(world)
    amendment = _propose(world, position)
    sign_in(client, world.people["partner"])
    url = world.url(f"positions/{position.id}/amendments/{amendment.id}/reject")
    response = client.post(url, data={"csrf_token": csrf(client), "rejection_reason": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Give the reason for rejecting the amendment" in page
    assert f'href="#rejection-reason-{amendment.id}"' in page
    db.session.refresh(amendment)
    assert amendment.state is AmendmentState.PROPOSED
    response = client.post(
        url, data={"csrf_token": csrf(client), "rejection_reason": "Says too little."}
    )
    assert response.status_code == 302
    db.session.refresh(amendment)
    assert amendment.state is AmendmentState.REJECTED
    assert amendment.decision_reason == "Says too little."
    with pytest.raises(DomainError):
        amendments.reject_amendment(world.people["partner"], position, amendment, "", utcnow())


def test_an_amendment_applies_to_a_later_revision_when_its_paragraph_is_unchanged(world):
    position = draft(world)
    amendment = _propose(world, position, index=1)
    _save(world, "partner", position, 1, "A new opening.\n\n" + BODY)
    amendments.accept_amendment(world.people["partner"], position, amendment, utcnow())
    db.session.commit()
    assert position.latest.body_markdown.split("\n\n") == [
        "A new opening.",
        "The ICB proposes one enhanced access hub per PCN.",
        "Practices may opt out at any time.",
        "Funding must follow the patients.",
    ]


def test_an_amendment_to_a_paragraph_that_has_since_changed_is_refused(world):
    position = draft(world)
    amendment = _propose(world, position, index=1)
    _save(world, "partner", position, 1, BODY.replace("opt out", "decline"))
    with pytest.raises(Conflict, match="has changed since"):
        amendments.accept_amendment(world.people["partner"], position, amendment, utcnow())
    db.session.rollback()


def test_an_amendment_must_change_something_and_give_a_reason(world):
    position = draft(world)
    with pytest.raises(DomainError, match="same as the paragraph"):
        _propose(world, position, index=2, text="Funding must follow the patients.")
    with pytest.raises(DomainError, match="reason"):
        amendments.propose_amendment(
            world.people["partner2"],
            position,
            paragraph_index=0,
            replacement_markdown="Other text.",
            reason="  ",
            now=utcnow(),
        )


# --- The lead ----------------------------------------------------------------------------------


def test_an_officer_reassigns_the_lead(client, world):
    position = draft(world)
    url = world.url(f"positions/{position.id}/lead")
    sign_in(client, world.people["partner"])
    token = csrf(client)
    assert client.post(url, data={"csrf_token": token, "lead": "1"}).status_code == 403
    officer = client.application.test_client()
    sign_in(officer, world.people["officer"])
    new_lead = world.people["partner2"]
    response = officer.post(url, data={"csrf_token": csrf(officer), "lead": str(new_lead.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Position, position.id).lead_id == new_lead.id
    assert "position.lead_changed" in _actions(position)


def test_nobody_leads_a_draft_they_cannot_read(world):
    position = draft(world, "officer", tier=Tier.LMC)
    with pytest.raises(DomainError, match="cannot read"):
        drafting.reassign_lead(world.people["officer"], position, world.people["partner"])
    leads = drafting.possible_leads(position)
    assert {user.name for user in leads} == {"Lou Officer", "Ada Admin"}
