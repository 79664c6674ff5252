"""The public front door: the anonymous home page shows every area's latest public
statements and links to the list, the feed and the API; each area has a public page."""

from __future__ import annotations

from datetime import timedelta

from portal.database import utcnow
from portal.tiers import Tier
from tests.factories import make_world
from tests.statements.helpers import STATEMENTS_WORLD, publish_statement


def test_the_front_door_shows_each_areas_latest_public_statements_only(client, db) -> None:
    north = make_world(**STATEMENTS_WORLD)
    south = make_world(
        **{**STATEMENTS_WORLD, "slug": "south-staffs", "name": "South Staffordshire"}
    )
    now = utcnow()
    for days, title in enumerate(["First", "Second", "Third", "Fourth"]):
        publish_statement(north, title=f"North {title}", now=now - timedelta(days=10 - days))
    publish_statement(north, title="North group only", tier=Tier.GROUP)
    publish_statement(south, title="South hubs")

    html = client.get("/").get_data(as_text=True)
    assert "North Staffordshire" in html
    assert "South Staffordshire" in html
    assert "North Fourth" in html
    assert "North Second" in html
    assert "North First" not in html  # three per area
    assert "South hubs" in html
    assert "group only" not in html
    assert "All 4 public statements of North Staffordshire" in html
    assert 'href="/statements"' in html
    assert 'href="/statements.atom"' in html
    assert 'href="/api/v1/statements"' in html
    assert 'href="/api/v1/openapi.json"' in html
    assert 'href="/public/areas/north-staffs"' in html


def test_an_areas_public_page_lists_its_public_statements(client, db) -> None:
    north = make_world(**STATEMENTS_WORLD)
    publish_statement(north, title="North hubs")
    publish_statement(north, title="North group only", tier=Tier.GROUP)
    page = client.get("/public/areas/north-staffs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Public statements of North Staffordshire" in html
    assert "North hubs" in html
    assert "group only" not in html
    assert 'href="/statements.atom?area=north-staffs"' in html


def test_an_area_without_public_statements_answers_404(client, db) -> None:
    north = make_world(**STATEMENTS_WORLD)
    publish_statement(north, title="North group only", tier=Tier.GROUP)
    assert client.get("/public/areas/north-staffs").status_code == 404
    assert client.get("/public/areas/nowhere").status_code == 404
    assert "No area has published a public statement yet" in client.get("/").get_data(as_text=True)
