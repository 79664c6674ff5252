"""Who sees what: every role against every tier, on every page of a draft, and on the
proposals pages. A draft one may not read is 404 everywhere; an action on a draft one can read
but may not take is 403."""

from __future__ import annotations

import pytest

from portal.tiers import Tier
from tests.factories import make_world
from tests.positions.conftest import POSITIONS_WORLD, draft, record_proposal, sign_in

ROLES = ["officer", "admin", "partner", "manager", "director", "federation", "reader", "outsider"]
GROUP = {"officer", "admin", "partner", "manager", "director", "federation"}
# Who may read an unpublished draft of each tier.
READERS = {
    Tier.LMC: {"officer", "admin"},
    Tier.GROUP: GROUP,
    Tier.ICS: GROUP,
    Tier.PUBLIC: GROUP,
}
# Who may change a draft's text: its lead (here the officer who wrote it) and officers.
LEADS = {"officer", "admin"}


@pytest.fixture(scope="module")
def table(app):
    """One world and one draft of each tier for the whole table (read-only tests)."""
    from portal.extensions import db
    from tests.conftest import _empty_all_tables

    with app.app_context():
        world = make_world(**POSITIONS_WORLD)
        proposal = record_proposal(world)
        drafts = {
            tier: draft(world, "officer", tier=tier, title=f"{tier.value} draft", proposal=proposal)
            for tier in Tier
        }
        ids = {tier: position.id for tier, position in drafts.items()}
        people = {name: user.id for name, user in world.people.items()}
        yield world.area.slug, ids, people, proposal.id
        db.session.remove()
        _empty_all_tables()


def _client(app, people, role):
    from portal.accounts.models import User
    from portal.extensions import db

    client = app.test_client()
    with app.app_context():
        user = db.session.get(User, people[role])
        sign_in(client, user)
    return client


CASES = [(role, tier) for role in ROLES for tier in Tier]


@pytest.mark.parametrize(("role", "tier"), CASES, ids=[f"{r}-{t.value}" for r, t in CASES])
def test_draft_pages_by_role_and_tier(app, table, role, tier):
    slug, ids, people, _ = table
    client = _client(app, people, role)
    base = f"/areas/{slug}/positions/{ids[tier]}"
    readable = role in READERS[tier]
    for page in ("", "/history", "/history?from=1&to=1"):
        response = client.get(base + page)
        assert response.status_code == (200 if readable else 404), (page, response.status_code)
        if not readable:
            assert f"{tier.value} draft" not in response.get_data(as_text=True)
    edit = client.get(base + "/edit")
    expected = 404 if not readable else (200 if role in LEADS else 403)
    assert edit.status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_the_list_shows_exactly_the_drafts_the_role_may_read(app, table, role):
    slug, _, people, _ = table
    client = _client(app, people, role)
    response = client.get(f"/areas/{slug}/positions")
    if role not in GROUP:
        assert response.status_code == 404
        return
    page = response.get_data(as_text=True)
    shown = {tier for tier in Tier if f"{tier.value} draft" in page}
    assert shown == {tier for tier in Tier if role in READERS[tier]}


@pytest.mark.parametrize("role", ROLES)
def test_proposals_pages_by_role(app, table, role):
    slug, _, people, proposal_id = table
    client = _client(app, people, role)
    pages = [f"/areas/{slug}/proposals", f"/areas/{slug}/proposals/{proposal_id}"]
    for url in pages:
        assert client.get(url).status_code == (200 if role in GROUP else 404)
    new = client.get(f"/areas/{slug}/proposals/new").status_code
    assert new == (200 if role in {"officer", "admin"} else 403 if role in GROUP else 404)
    detail = client.get(pages[1]).get_data(as_text=True)
    if role in GROUP:
        for tier in Tier:
            assert (f"{tier.value} draft" in detail) == (role in READERS[tier])


def test_signed_out_visitors_are_sent_to_sign_in(app, table):
    slug, ids, _, proposal_id = table
    client = app.test_client()
    for url in (
        f"/areas/{slug}/proposals",
        f"/areas/{slug}/proposals/{proposal_id}",
        f"/areas/{slug}/positions",
        f"/areas/{slug}/positions/{ids[Tier.PUBLIC]}",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login" in response.headers["Location"]
