"""The Atom feed: parsed by feedparser as a feed reader would, and checked against the elements
RFC 4287 requires, with hostile titles and bodies escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import feedparser

from portal.database import utcnow
from portal.statements import services
from portal.tiers import Tier
from tests.factories import make_world
from tests.statements.helpers import STATEMENTS_WORLD, add_proposal, decided_vote, publish_statement

ATOM = "{http://www.w3.org/2005/Atom}"


def _feed(client, url: str = "/statements.atom"):
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return response.data, parsed


def test_entries_match_the_statements(client, db, setting):
    vote = decided_vote(setting)
    proposal = add_proposal(setting)
    first = publish_statement(
        setting, vote, now=datetime(2026, 3, 3, 10, tzinfo=UTC), title="First", proposal=proposal
    )
    second = publish_statement(
        setting, vote, now=datetime(2026, 4, 1, 9, tzinfo=UTC), title="Second"
    )
    _raw, feed = _feed(client)
    assert feed.feed.title.startswith("Statements of GP leadership groups")
    assert feed.feed.id.startswith("tag:localhost,2026:statements")
    assert feed.feed.updated == "2026-04-01T09:00:00Z"
    assert feed.feed.author == "GP Collective Voice"
    assert {link.rel: link.href for link in feed.feed.links}["self"] == (
        "http://localhost/statements.atom"
    )
    assert [entry.title for entry in feed.entries] == [
        f"{second.reference}: Second",
        f"{first.reference}: First",
    ]
    entry = feed.entries[1]
    assert entry.id == f"tag:localhost,2026-03-03:statement/{first.reference}"
    assert entry.published == "2026-03-03T10:00:00Z"
    assert entry.updated == "2026-03-03T10:00:00Z"
    assert entry.link == f"http://localhost/statements/{first.reference}"
    assert {link.type: link.href for link in entry.links}["application/pdf"] == (
        f"http://localhost/statements/{first.reference}.pdf"
    )
    assert entry.author == "GP leadership group of North Staffordshire"
    assert entry.summary == first.provenance
    assert entry.content[0].type == "text/html"
    assert "<strong>one hub</strong>" in entry.content[0].value


def test_the_feed_has_what_rfc_4287_requires(client, db, setting):
    publish_statement(setting)
    publish_statement(setting)
    raw, _feed_parsed = _feed(client)
    root = ET.fromstring(raw)  # noqa: S314  (the portal's own feed)
    assert root.tag == f"{ATOM}feed"

    def one(parent, name):
        found = parent.findall(f"{ATOM}{name}")
        assert len(found) == 1, f"{parent.tag} must have exactly one {name}"
        return found[0]

    for name in ("id", "title", "updated"):
        assert one(root, name).text
    assert root.find(f"{ATOM}author/{ATOM}name").text
    assert [link.get("rel") for link in root.findall(f"{ATOM}link")].count("self") == 1
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2
    ids = set()
    for entry in entries:
        for name in ("id", "title", "updated", "published", "summary", "content"):
            assert one(entry, name).text
        ids.add(one(entry, "id").text)
        alternates = [
            (link.get("type"), link.get("hreflang"))
            for link in entry.findall(f"{ATOM}link")
            if link.get("rel") == "alternate"
        ]
        assert len(alternates) == len(set(alternates)) >= 1  # no two alike (4.1.1)
        assert one(entry, "id").text.startswith("tag:localhost,20")
    assert len(ids) == 2


def test_an_entry_keeps_its_id_and_says_when_it_ended(client, db, setting):
    statement = publish_statement(setting, now=datetime(2026, 3, 3, tzinfo=UTC))
    _raw, before = _feed(client)
    services.withdraw(
        setting.officer, statement, "Overtaken by events", datetime(2026, 5, 1, tzinfo=UTC)
    )
    db.session.commit()
    _raw, after = _feed(client)
    assert after.entries[0].id == before.entries[0].id
    assert after.entries[0].updated == "2026-05-01T00:00:00Z"
    assert after.entries[0].title.endswith("(withdrawn)")
    assert after.entries[0].summary.startswith("Withdrawn: Overtaken by events")


def test_the_configured_address_mints_the_ids(app, client, db, setting):
    statement = publish_statement(setting, now=datetime(2026, 3, 3, tzinfo=UTC))
    previous = app.config["EXTERNAL_URL"]
    app.config["EXTERNAL_URL"] = "https://voice.example.org"
    try:
        _raw, feed = _feed(client)
    finally:
        app.config["EXTERNAL_URL"] = previous
    assert feed.entries[0].id == f"tag:voice.example.org,2026-03-03:statement/{statement.reference}"
    assert feed.entries[0].link == f"https://voice.example.org/statements/{statement.reference}"


def test_hostile_text_is_escaped(client, db, setting):
    title = 'Hubs <b>& "quotes"</b> ]]> \x0b end'
    body = "<script>alert(1)</script>\n\n[x](javascript:alert(2)) & <b>bold</b> \x0c ok"
    publish_statement(setting, title=title, body=body)
    raw, feed = _feed(client)
    assert b"<script>" not in raw
    assert b"<b>" not in raw
    entry = feed.entries[0]
    assert entry.title.endswith('Hubs <b>& "quotes"</b> ]]>  end')
    content = entry.content[0].value
    assert "<script" not in content
    assert "javascript:" not in content
    assert "alert(1)" not in content
    ET.fromstring(raw)  # noqa: S314  (well-formed despite the control characters)


def test_signed_in_readers_get_their_tiers_and_feed_readers_the_public_ones(
    client, login, db, setting
):
    public = publish_statement(setting, tier=Tier.PUBLIC)
    ics = publish_statement(setting, tier=Tier.ICS)
    _raw, anonymous = _feed(client)
    assert [e.id.rsplit("/", 1)[1] for e in anonymous.entries] == [public.reference]
    login(setting.ics_reader)
    _raw, signed_in = _feed(client)
    assert [e.id.rsplit("/", 1)[1] for e in signed_in.entries] == [ics.reference, public.reference]


def test_the_feed_can_be_filtered_to_one_area(client, db, setting):

    ours = publish_statement(setting)
    elsewhere = make_world(**{**STATEMENTS_WORLD, "slug": "elsewhere", "name": "Elsewhere"})
    theirs = publish_statement(elsewhere, now=utcnow())
    _raw, everything = _feed(client)
    assert {e.id.rsplit("/", 1)[1] for e in everything.entries} == {
        ours.reference,
        theirs.reference,
    }
    _raw, one_area = _feed(client, "/statements.atom?area=elsewhere")
    assert [e.id.rsplit("/", 1)[1] for e in one_area.entries] == [theirs.reference]
    assert one_area.feed.id.endswith(":statements/elsewhere")
    assert client.get("/statements.atom?from=yesterday").status_code == 400


def test_an_empty_feed_is_still_valid(client, db):
    _raw, feed = _feed(client)
    assert feed.entries == []
    assert feed.feed.updated
