"""The pages of issue 17's points 6 to 8 for drafts: changing or deleting one's comment
(with a check page), and the lead's consultation controls (with check pages)."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from portal.database import utcnow
from portal.extensions import db
from portal.outbox import OutboxMessage
from portal.positions import amendments, drafting, workflow
from portal.positions.models import Comment, CommentChange, PositionState
from tests.conftest import csrf_token_from
from tests.positions.conftest import draft, record_proposal, sign_in


def _comment(world, position, author: str = "partner2", at=None) -> Comment:
    comment = drafting.add_comment(
        world.people[author],
        position,
        body_markdown="First thoughts.",
        paragraph_index=None,
        now=at or utcnow(),
    )
    db.session.commit()
    return comment


def _sign_out(client) -> None:
    page = client.get("/accounts/profile").get_data(as_text=True)
    client.post("/accounts/logout", data={"csrf_token": csrf_token_from(page)})


def _post(client, url: str, data: dict | None = None):
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(url, data={**(data or {}), "csrf_token": token})


def test_the_author_changes_then_deletes_a_comment(client, world):
    position = draft(world)
    comment = _comment(world, position)
    base = world.url(f"positions/{position.id}/comments/{comment.id}")
    sign_in(client, world.people["partner2"])
    edit = client.get(f"{base}/edit").get_data(as_text=True)
    assert "First thoughts." in edit
    # An empty text is refused on its field, and nothing changes.
    refused = _post(client, f"{base}/edit", {"comment_body": "  "})
    assert refused.status_code == 200
    assert "Enter your comment" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommentChange)) == 0
    changed = _post(client, f"{base}/edit", {"comment_body": "Second thoughts."})
    assert changed.status_code == 302
    assert changed.headers["Location"].endswith(f"#comment-{comment.id}")
    db.session.refresh(comment)
    assert comment.body_markdown == "Second thoughts."

    check = client.get(f"{base}/delete").get_data(as_text=True)
    assert "Are you sure you want to delete your comment?" in check
    assert "Second thoughts." in check
    db.session.refresh(comment)
    assert comment.deleted_at is None  # the check page changes nothing
    deleted = _post(client, f"{base}/delete")
    assert deleted.status_code == 302
    db.session.refresh(comment)
    assert comment.deleted_at is not None
    assert "Your comment was deleted at" in client.get(deleted.headers["Location"]).get_data(
        as_text=True
    )


def test_someone_else_s_comment_is_403_and_a_stranger_gets_404(client, world):
    position = draft(world)
    comment = _comment(world, position)
    base = world.url(f"positions/{position.id}/comments/{comment.id}")
    sign_in(client, world.people["officer"])
    assert client.get(f"{base}/edit").status_code == 403
    assert client.get(f"{base}/delete").status_code == 403
    _sign_out(client)
    sign_in(client, world.people["reader"])
    assert client.get(f"{base}/edit").status_code == 404


def test_after_30_minutes_the_author_is_sent_back_with_the_reason(client, world):
    position = draft(world)
    comment = _comment(world, position, at=utcnow() - timedelta(minutes=31))
    sign_in(client, world.people["partner2"])
    url = world.url(f"positions/{position.id}/comments/{comment.id}/edit")
    response = client.get(url)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "only within 30 minutes" in page


def _in_consultation(world, *, proposal=None, days: int = 7):
    position = draft(world, proposal=proposal)
    now = utcnow()
    workflow.open_consultation(world.people["partner"], position, now + timedelta(days=days), now)
    db.session.commit()
    return position


def test_ending_a_consultation_early_goes_through_a_check_page(client, world):
    position = _in_consultation(world)
    url = world.url(f"positions/{position.id}/consultation/close")
    sign_in(client, world.people["partner2"])  # not the lead
    assert client.get(url).status_code == 403
    _sign_out(client)
    sign_in(client, world.people["partner"])
    check = client.get(url).get_data(as_text=True)
    assert "End the consultation now?" in check
    db.session.refresh(position)
    ends_at = position.consultation_ends_at
    assert ends_at > utcnow()  # the check page changes nothing
    done = _post(client, url)
    assert done.status_code == 302
    db.session.refresh(position)
    assert position.consultation_ends_at <= utcnow()
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "The consultation closed at" in page


def test_taking_a_consultation_back_to_drafting(client, world):
    position = _in_consultation(world)
    sign_in(client, world.people["officer"])
    url = world.url(f"positions/{position.id}/consultation/withdraw")
    assert "Take the draft back to drafting?" in client.get(url).get_data(as_text=True)
    assert _post(client, url).status_code == 302
    db.session.refresh(position)
    assert position.state is PositionState.DRAFTING


def test_a_new_end_after_the_ics_deadline_is_warned_before_it_is_saved(client, world):
    from datetime import date

    deadline = (utcnow() + timedelta(days=10)).date()
    proposal = record_proposal(world, response_deadline=deadline)
    position = _in_consultation(world, proposal=proposal)
    sign_in(client, world.people["partner"])
    url = world.url(f"positions/{position.id}/consultation/end")
    late: date = deadline + timedelta(days=3)
    fields = {"ends_day": str(late.day), "ends_month": str(late.month), "ends_year": str(late.year)}
    mail_before = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    warned = _post(client, url, fields)
    assert warned.status_code == 200
    text = warned.get_data(as_text=True)
    assert 'id="deadline-warning"' in text
    db.session.refresh(position)
    assert position.consultation_ends_at.date() < late  # not saved yet
    token = csrf_token_from(text)
    accept = text.split('name="accept_late" value="', 1)[1].split('"', 1)[0]
    saved = client.post(url, data={**fields, "csrf_token": token, "accept_late": accept})
    assert saved.status_code == 302
    db.session.refresh(position)
    assert position.consultation_ends_at.isoformat() == accept
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) > mail_before


def test_accepting_an_amendment_goes_through_a_check_page(client, world):
    position = draft(world)
    amendment = amendments.propose_amendment(
        world.people["partner2"],
        position,
        paragraph_index=1,
        replacement_markdown="Practices may opt out at any time.",
        reason="Clearer.",
        now=utcnow(),
    )
    db.session.commit()
    url = world.url(f"positions/{position.id}/amendments/{amendment.id}/accept")
    sign_in(client, world.people["partner2"])  # the proposer, not the lead
    assert client.get(url).status_code == 403
    _sign_out(client)
    sign_in(client, world.people["partner"])
    page = client.get(world.url(f"positions/{position.id}")).get_data(as_text=True)
    assert f'id="accept-amendment-{amendment.id}"' in page
    check = client.get(url).get_data(as_text=True)
    assert "Accept the amendment to paragraph 2?" in check
    assert "saves the text as revision 2" in check
    assert "<ins" in check  # the change is marked
    db.session.refresh(position)
    assert position.latest.number == 1  # the check page changes nothing
    done = client.post(url, data={"csrf_token": csrf_token_from(check)})
    assert done.status_code == 302
    db.session.refresh(position)
    assert position.latest.number == 2
    # Once accepted, the check page sends the lead back, with the reason.
    again = client.get(url)
    assert again.status_code == 302


def test_put_it_to_the_vote_appears_only_when_it_can_be_done(client, world):
    position = _in_consultation(world)
    sign_in(client, world.people["partner"])
    url = world.url(f"positions/{position.id}")
    page = client.get(url).get_data(as_text=True)
    assert 'id="consultation-controls"' in page
    assert "End the consultation now" in page
    assert 'id="vote-not-yet"' in page
    assert f'href="/areas/staffs/positions/{position.id}/vote"' not in page
    _post(client, world.url(f"positions/{position.id}/consultation/close"))
    page = client.get(url).get_data(as_text=True)
    assert f'href="/areas/staffs/positions/{position.id}/vote"' in page
    assert "End the consultation now" not in page
    drafting = draft(world, title="Another draft")
    amendments.propose_amendment(
        world.people["partner2"],
        drafting,
        paragraph_index=2,
        replacement_markdown="Funding follows patients.",
        reason="Shorter.",
        now=utcnow(),
    )
    db.session.commit()
    page = client.get(world.url(f"positions/{drafting.id}")).get_data(as_text=True)
    assert "Decide the open amendments first (to paragraph 3)" in page
    assert f'href="/areas/staffs/positions/{drafting.id}/vote"' not in page


def test_opening_a_consultation_after_the_ics_deadline_is_warned_first(client, world):
    deadline = (utcnow() + timedelta(days=5)).date()
    position = draft(world, proposal=record_proposal(world, response_deadline=deadline))
    sign_in(client, world.people["partner"])
    page_url = world.url(f"positions/{position.id}")
    late = deadline + timedelta(days=2)
    fields = {"ends_day": str(late.day), "ends_month": str(late.month), "ends_year": str(late.year)}
    token = csrf_token_from(client.get(page_url).get_data(as_text=True))
    open_url = world.url(f"positions/{position.id}/consultation")
    warned = client.post(open_url, data={**fields, "csrf_token": token})
    text = warned.get_data(as_text=True)
    assert 'id="deadline-warning"' in text
    db.session.refresh(position)
    assert position.state is PositionState.DRAFTING
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    accept = text.split('name="accept_late" value="', 1)[1].split('"', 1)[0]
    opened = client.post(open_url, data={**fields, "csrf_token": token, "accept_late": accept})
    assert opened.status_code == 302
    db.session.refresh(position)
    assert position.state is PositionState.CONSULTATION
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) > 0
    assert "They have been emailed a link" in client.get(opened.headers["Location"]).get_data(
        as_text=True
    )


def test_comment_links_beside_each_paragraph_and_the_history_for_officers(client, world):
    position = draft(world)
    page_url = world.url(f"positions/{position.id}")
    sign_in(client, world.people["partner2"])
    page = client.get(page_url).get_data(as_text=True)
    assert 'id="comment-on-paragraph-2"' in page
    chosen = client.get(f"{page_url}?paragraph=2").get_data(as_text=True)
    comment_select = chosen.split('id="comment_paragraph"', 1)[1].split("</select>", 1)[0]
    assert re.search(r'value="1"\s+selected', comment_select)
    comment = _comment(world, position)
    page = client.get(page_url).get_data(as_text=True)
    assert f'id="edit-comment-{comment.id}"' in page
    _post(
        client,
        world.url(f"positions/{position.id}/comments/{comment.id}/edit"),
        {"comment_body": "Changed."},
    )
    page = client.get(page_url).get_data(as_text=True)
    assert f'id="comment-{comment.id}-edited"' in page
    assert f'id="comment-{comment.id}-history"' not in page  # the author is no officer
    _sign_out(client)
    sign_in(client, world.people["officer"])
    page = client.get(page_url).get_data(as_text=True)
    assert f'id="comment-{comment.id}-history"' in page
    assert "First thoughts." in page
    assert f'id="edit-comment-{comment.id}"' not in page  # not the officer's comment
