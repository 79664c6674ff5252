"""No public page's queries grow with the data: one page of each public URL pattern, counted
as a visitor who is not signed in, with one area and then with a second, larger one.

Each page is counted as first rendered (the statements' response cache emptied before each
request), since a held response costs one query whatever the data (tests/statements).
"""

from __future__ import annotations

import pytest

from portal.extensions import db as database
from portal.positions.models import Tier
from portal.statements import caching
from tests.factories import World, make_world
from tests.statements.helpers import STATEMENTS_WORLD, publish_statement
from tests.statements.test_caching import counted_queries

# What each page may issue at most, on SQLite and PostgreSQL alike.
LIMIT = 25


def _public_urls(setting: World, reference: str) -> list[str]:
    return [
        "/",
        "/accounts/login",
        f"/public/areas/{setting.area.slug}",
        "/statements",
        "/statements?q=hub",
        f"/statements/{reference}",
        "/statements.atom",
        "/api/v1/statements",
        f"/api/v1/statements/{reference}",
        "/api/v1/openapi.json",
    ]


def _counts(app, client, urls: list[str]) -> dict[str, int]:
    counts = {}
    for url in urls:
        app.extensions[caching.EXTENSION]["store"] = caching._MemoryStore()
        with counted_queries() as seen:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[url] = len(seen)
    return counts


@pytest.mark.usefixtures("db")
def test_public_pages_issue_a_fixed_number_of_queries(app, client):
    first = make_world(**STATEMENTS_WORLD)
    reference = publish_statement(first, tier=Tier.PUBLIC).reference
    urls = _public_urls(first, reference)
    small = _counts(app, client, urls)

    # A second area, with more practices' signatures and more statements of every tier.
    second = make_world(
        **{**STATEMENTS_WORLD, "slug": "south-staffs", "name": "South Staffordshire"}
    )
    for tier in (Tier.PUBLIC, Tier.PUBLIC, Tier.ICS, Tier.GROUP):
        publish_statement(second, tier=tier, title=f"{tier.value} position")
    publish_statement(first, tier=Tier.PUBLIC, title="A later position")
    database.session.commit()
    large = _counts(app, client, urls)

    for url in urls:
        assert small[url] <= LIMIT, (url, small[url])
        assert large[url] <= small[url], (url, small[url], large[url])
