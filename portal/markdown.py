"""Markdown for members' text, rendered then sanitised with an allow-list.

Python-Markdown passes raw HTML through (``<script>``, ``onerror=``, ``javascript:`` links), so
its output goes through nh3 (the Ammonia sanitiser): only the tags and attributes below survive,
links may only be http, https or mailto, and no inline style or event handler is kept. Headings
start at level 2 because the page's own title is the level 1 heading.
"""

from __future__ import annotations

import markdown as markdown_library
import nh3
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote",
        "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6", "a",
        "table", "thead", "tbody", "tr", "th", "td", "abbr", "del", "sup", "sub",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Tags whose content is thrown away with them, not shown as text.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template"})
MAXIMUM_SOURCE_LENGTH = 200_000

#: The hint under every field written in Markdown, saying what ``render_markdown`` keeps.
MARKDOWN_HINT = (
    "You can use Markdown: a blank line between paragraphs, *italic*, **bold**, ## for a "
    "heading, lists starting with - and [links](https://example.org). Images and raw HTML "
    "are not kept."
)


def _demote_headings(source_html: str) -> str:
    for level in range(5, 0, -1):
        source_html = source_html.replace(f"<h{level}>", f"<h{level + 1}>")
        source_html = source_html.replace(f"</h{level}>", f"</h{level + 1}>")
    return source_html


def render_markdown(source: str | None) -> Markup:
    """Safe HTML for ``source``; the result can go into a template unescaped."""
    if not source:
        return Markup("")
    html = markdown_library.markdown(
        source[:MAXIMUM_SOURCE_LENGTH], extensions=["tables", "sane_lists"], output_format="html"
    )
    cleaned = nh3.clean(
        _demote_headings(html),
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return Markup(cleaned)  # noqa: S704  (sanitised by nh3 with the allow-list above)


def markdown_paragraphs(source: str | None) -> list[str]:
    """The source split into paragraphs (blank-line separated), for comments and amendments
    that point at one paragraph."""
    if not source:
        return []
    blocks = [block.strip() for block in source.replace("\r\n", "\n").split("\n\n")]
    return [block for block in blocks if block]
