"""Members' Markdown comes out inert against two public lists of real XSS payloads.

The lists are copies of ../shared/data/xss (MIT licensed, see tests/data/xss/MANIFEST.txt).
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from portal.markdown import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    ALLOWED_URL_SCHEMES,
    render_markdown,
)

PAYLOADS = Path(__file__).resolve().parent.parent / "data" / "xss"


class ElementAudit(HTMLParser):
    """Collects every real element and attribute a browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name not in ALLOWED_ATTRIBUTES.get(tag, set()) and name != "rel":
                self.problems.append(f"attribute {name} on <{tag}>")
            if name == "href" and value:
                scheme = urlsplit(value.strip()).scheme.lower()
                if scheme and scheme not in ALLOWED_URL_SCHEMES:
                    self.problems.append(f"href scheme {scheme}")


def dangerous_parts(html: str) -> list[str]:
    audit = ElementAudit()
    audit.feed(html)
    audit.close()
    return audit.problems


def _payloads(name: str) -> list[str]:
    return (PAYLOADS / name).read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize(
    "name", ["PayloadsAllTheThings-RSNAKE_XSS.txt", "payloadbox-xss-payload-list.txt"]
)
def test_every_payload_comes_out_inert(name):
    payloads = _payloads(name)
    assert len(payloads) > 50
    for payload in payloads:
        for wrapped in (payload, f"[click]({payload})"):
            html = str(render_markdown(wrapped))
            assert dangerous_parts(html) == [], (payload, html)


def test_ordinary_markdown_keeps_its_meaning():
    html = str(
        render_markdown(
            "# Title\n\nSome **bold** and a [link](https://example.org).\n\n- one\n- two"
        )
    )
    assert "<h2>Title</h2>" in html
    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">link</a>' in html
    assert "<li>one</li>" in html


@pytest.mark.parametrize(
    "source",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        '<a href="javascript&colon;alert(1)">x</a>',
        '<img src=x onerror="alert(1)">',
        "<iframe src=https://evil.example></iframe>",
        "<script>alert(1)</script>",
        '<p onclick="alert(1)">hi</p>',
    ],
)
def test_named_attacks_are_removed(source):
    html = str(render_markdown(source))
    assert dangerous_parts(html) == [], html
    assert "<script" not in html.lower()
    assert "<iframe" not in html.lower()
