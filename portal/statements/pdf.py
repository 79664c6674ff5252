"""A statement as a PDF letter from the group, made with WeasyPrint.

The letter is HTML from ``statements/letter.html`` and the print stylesheet
``statements/print.css`` (both in this package's templates). Nothing in it is fetched: the
stylesheet is handed over as text, there is no base URL, and the URL fetcher refuses every
address but ``data:``, so a statement (whose body is already sanitised Markdown) can never make
the server read a local file or call an internal address.

The PDF is PDF/UA-1 (tagged for screen readers) and gives the statement's permanent web
address, its reference and the full result wording, so it can be cited.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template
from weasyprint import CSS, HTML, URLFetcher

STYLESHEET = "statements/print.css"
ALLOWED_PROTOCOLS = frozenset({"data"})
PDF_VARIANT = "pdf/ua-1"


class RefusedFetch(ValueError):
    """The PDF asked for something outside itself."""


class NoFetching(URLFetcher):
    """A URL fetcher for WeasyPrint that fetches nothing but ``data:`` URLs."""

    def __init__(self) -> None:
        super().__init__(
            timeout=1,
            allowed_protocols=set(ALLOWED_PROTOCOLS),
            allow_redirects=False,
            fail_on_errors=False,
        )

    def fetch(self, url: str, headers: Any = None) -> Any:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme not in ALLOWED_PROTOCOLS:
            raise RefusedFetch(f"a statement's PDF fetches nothing: refused {url[:80]!r}")
        return super().fetch(url, headers)


def _stylesheet() -> str:
    """The print stylesheet's text, read through the app's template loader (not rendered)."""
    environment = current_app.jinja_env
    assert environment.loader is not None
    source, _filename, _uptodate = environment.loader.get_source(environment, STYLESHEET)
    return source


def render_statement(context: dict[str, Any]) -> bytes:
    """The statement's letter as PDF bytes. ``context`` is the statement page's context."""
    html = render_template("statements/letter.html", **context)
    fetcher = NoFetching()
    document = HTML(string=html, base_url=None, url_fetcher=fetcher)
    # PDF/UA-1: tagged, with its language and title, so a screen reader can read the letter.
    return document.write_pdf(
        stylesheets=[CSS(string=_stylesheet(), url_fetcher=fetcher)], pdf_variant=PDF_VARIANT
    )
