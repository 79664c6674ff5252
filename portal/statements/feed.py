"""The Atom feed of statements (RFC 4287), built with ElementTree so every text is escaped.

The caller hands in only the statements the reader may read (``services.search``). Each entry's
id is a tag URI (RFC 4151) made of the portal's host name, the day of publication and the
reference, so it never changes once the portal's address is set (``PORTAL_EXTERNAL_URL``).
A feed reader usually fetches without the reader's cookies: it then gets the public feed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import current_app, request
from markupsafe import escape

from portal.markdown import render_markdown
from portal.statements.models import Statement, StatementState
from portal.times import LONDON
from portal.urls import external_url

ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"
MAX_ENTRIES = 50
FEED_TITLE = "Statements of GP leadership groups: GP Collective Voice"
# Characters XML 1.0 cannot hold at all, even escaped.
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _add(parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, name, {k: _clean(v) for k, v in attributes.items()})
    if text is not None:
        element.text = _clean(text)
    return element


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def tag_authority() -> str:
    """The host name that mints the tag URIs: the configured address's, else the request's."""
    base = current_app.config.get("EXTERNAL_URL") or request.host_url
    host = urlsplit(base).hostname or "localhost"
    return host.lower()


def entry_id(statement: Statement) -> str:
    day = statement.published_at.astimezone(LONDON).date().isoformat()
    return f"tag:{tag_authority()},{day}:statement/{statement.reference}"


def feed_id(area_slug: str | None) -> str:
    return f"tag:{tag_authority()},2026:statements" + (f"/{area_slug}" if area_slug else "")


def updated_at(statement: Statement) -> datetime:
    """When the entry last changed: publication, its ending, or the ICS's latest response."""
    moments = [statement.published_at]
    if statement.ended_at is not None:
        moments.append(statement.ended_at)
    moments.extend(response.created_at for response in statement.responses)
    return max(moments)


def _status_note(statement: Statement) -> str:
    if statement.state is StatementState.WITHDRAWN:
        return f"Withdrawn: {statement.end_reason}"
    if statement.state is StatementState.SUPERSEDED:
        return f"Superseded: {statement.end_reason}"
    return ""


def _content_html(statement: Statement) -> str:
    note = _status_note(statement)
    parts = []
    if note:
        parts.append(f"<p><strong>{_escape(note)}</strong></p>")
    parts.append(str(render_markdown(statement.body_markdown)))
    parts.append(f"<p>{_escape(statement.provenance)}</p>")
    if statement.responses:
        parts.append("<h2>The ICS's response</h2>")
        parts.extend(str(render_markdown(r.body_markdown)) for r in statement.responses)
    return "\n".join(parts)


def _escape(text: str | None) -> str:
    return str(escape(text or ""))


def build_feed(
    statements: Sequence[Statement], *, self_url: str, area_slug: str | None = None
) -> bytes:
    """The feed document, UTF-8 encoded."""
    # Plain names in the Atom namespace, declared once as the default on the root.
    feed = ET.Element("feed", {"xmlns": ATOM_NAMESPACE, "xml:lang": "en-GB"})
    _add(feed, "id", feed_id(area_slug))
    _add(feed, "title", FEED_TITLE)
    _add(
        feed,
        "subtitle",
        "What general practice in each place has agreed, with the vote behind it.",
    )
    newest = max((updated_at(s) for s in statements), default=datetime(2026, 1, 1, tzinfo=UTC))
    _add(feed, "updated", rfc3339(newest))
    author = _add(feed, "author")
    _add(author, "name", "GP Collective Voice")
    _add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=external_url("statements.index"))
    _add(feed, "generator", "GP Collective Voice")
    for statement in statements:
        page = external_url("statements.statement", reference=statement.reference)
        entry = _add(feed, "entry")
        _add(entry, "id", entry_id(statement))
        title = f"{statement.reference}: {statement.title}"
        if statement.state is not StatementState.PUBLISHED:
            title += f" ({statement.state.value})"
        _add(entry, "title", title, type="text")
        _add(entry, "updated", rfc3339(updated_at(statement)))
        _add(entry, "published", rfc3339(statement.published_at))
        _add(entry, "link", rel="alternate", type="text/html", href=page)
        _add(
            entry,
            "link",
            rel="alternate",
            type="application/pdf",
            href=external_url("statements.statement_pdf", reference=statement.reference),
        )
        entry_author = _add(entry, "author")
        _add(entry_author, "name", f"GP leadership group of {statement.area.name}")
        _add(entry, "category", term=statement.state.value, label=statement.state.value.title())
        summary = " ".join(part for part in (_status_note(statement), statement.provenance) if part)
        _add(entry, "summary", summary, type="text")
        _add(entry, "content", _content_html(statement), type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
