"""Who reads which statement, everywhere a statement can be read.

Every kind of reader against a statement of every tier, on every surface: the page, the index,
a search, the Atom feed, the API's list and detail, and the PDF. A statement above the reader's
tier is 404 where it is asked for by reference, and missing from every list.
"""

from __future__ import annotations

import re

import feedparser
import pytest

from portal.accounts.models import Role
from portal.statements import pdf
from portal.tiers import Tier
from tests.factories import make_world
from tests.statements.helpers import STATEMENTS_WORLD, decided_vote, publish_statement, reader_in

L, G, ICS, P = Tier.LMC, Tier.GROUP, Tier.ICS, Tier.PUBLIC
READABLE = {
    Role.GP_PARTNER: {G, ICS, P},
    Role.PRACTICE_MANAGER: {G, ICS, P},
    Role.PCN_CLINICAL_DIRECTOR: {G, ICS, P},
    Role.FEDERATION_DIRECTOR: {G, ICS, P},
    Role.LMC_OFFICER: {L, G, ICS, P},
    Role.AREA_ADMIN: {L, G, ICS, P},
    Role.ICS_READER: {ICS, P},
    "other_area_member": {P},
    "anonymous": {P},
}
# A word only in each statement's title, and one word in all of their bodies.
TITLE_WORDS = {L: "Aardvark", G: "Badger", ICS: "Cormorant", P: "Dormouse"}
REFERENCE = re.compile(r"GPV-\d{4}-\d{3}")


def _references(text: str) -> set[str]:
    return set(REFERENCE.findall(text))


@pytest.fixture
def no_pdf_rendering(monkeypatch):
    """The PDF's access check is under test here; its rendering has its own tests."""
    monkeypatch.setattr(pdf, "render_statement", lambda context: b"%PDF-1.7 stub")


@pytest.mark.parametrize("reader", list(READABLE), ids=lambda r: getattr(r, "value", r))
def test_tier_table(client, login, db, reader, no_pdf_rendering):
    setting = make_world(**STATEMENTS_WORLD)
    vote = decided_vote(setting)
    statements = {
        tier: publish_statement(
            setting, vote, tier=tier, title=f"{TITLE_WORDS[tier]} position", body="Enhanced hubs."
        )
        for tier in Tier
    }
    user = reader_in(setting, reader)
    if user is not None:
        login(user)
    readable = {statements[tier].reference for tier in READABLE[reader]}
    hidden = {s.reference for s in statements.values()} - readable

    for tier, statement in statements.items():
        ref = statement.reference
        expected = 200 if tier in READABLE[reader] else 404
        assert client.get(f"/statements/{ref}").status_code == expected, ("page", tier)
        assert client.get(f"/statements/{ref}.pdf").status_code == expected, ("pdf", tier)
        assert client.get(f"/api/v1/statements/{ref}").status_code == expected, ("api", tier)
        found = client.get(f"/statements?q={TITLE_WORDS[tier].lower()}").get_data(as_text=True)
        assert _references(found) == ({ref} if tier in READABLE[reader] else set()), tier

    assert _references(client.get("/statements").get_data(as_text=True)) == readable
    assert _references(client.get("/statements?q=HUBS").get_data(as_text=True)) == readable

    feed = feedparser.parse(client.get("/statements.atom").data)
    assert feed.bozo == 0
    assert {entry.id.rsplit("/", 1)[1] for entry in feed.entries} == readable

    listing = client.get("/api/v1/statements?per_page=100").get_json()
    assert {item["reference"] for item in listing["items"]} == readable
    assert listing["total"] == len(readable)

    for surface in (
        client.get("/statements").get_data(as_text=True),
        client.get("/statements.atom").get_data(as_text=True),
        client.get("/api/v1/statements").get_data(as_text=True),
    ):
        assert not _references(surface) & hidden
        for tier in Tier:
            if tier not in READABLE[reader]:
                assert TITLE_WORDS[tier] not in surface
