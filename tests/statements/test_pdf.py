"""The statement as a PDF letter: what it says, the reference on every page, and that making it
fetches nothing from anywhere.

The text is read with ``pdftotext`` (poppler-utils) when it is installed, else with pypdf when
that is installed. Without either, the checks fall back to the PDF's own metadata and link
addresses (inflated from its streams), which also hold the reference.
"""

from __future__ import annotations

import http.server
import re
import shutil
import subprocess
import threading
import zlib
from collections.abc import Iterator
from typing import ClassVar

import pytest

from portal.database import utcnow
from portal.statements import pdf
from portal.statements.services import record_response, withdraw
from portal.tiers import Tier
from tests.statements.helpers import publish_statement

PDFTOTEXT = shutil.which("pdftotext")
# The data may itself end in a carriage return, so only the final line feed is left out.
STREAM = re.compile(rb"(?<!end)stream\r?\n(.*?)\nendstream", re.DOTALL)


def _pypdf_available() -> bool:
    try:
        import pypdf  # noqa: F401
    except ImportError:
        return False
    return True


def pages_text(data: bytes) -> list[str] | None:
    """The text of each page, or None when no text extractor is installed."""
    if PDFTOTEXT:
        text = subprocess.run(
            [PDFTOTEXT, "-layout", "-", "-"], input=data, capture_output=True, check=True
        ).stdout.decode()
        return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")
    if _pypdf_available():
        import io

        import pypdf

        return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]
    return None


def inflated(data: bytes) -> bytes:
    """Every stream of the PDF, decompressed: its metadata, link addresses and page contents."""
    parts = [data]
    for stream in STREAM.findall(data):
        try:
            # A decompressor object ignores what follows the compressed data (a CR of CRLF).
            parts.append(zlib.decompressobj().decompress(stream))
        except zlib.error:
            continue
    return b"\n".join(parts)


def _pdf(client, statement) -> bytes:
    response = client.get(f"/statements/{statement.reference}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    return response.data


def test_the_letter_has_the_statement_and_its_reference_on_every_page(client, db, setting):
    long_body = "\n\n".join(
        f"Paragraph {n}: the group asks that enhanced access hubs keep practices' right to opt "
        "out of staffing them, and that the funding follows the registered list." * 2
        for n in range(1, 40)
    )
    statement = publish_statement(setting, title="Enhanced access hubs", body=long_body)
    record_response(setting.ics_reader, statement, "We accepted both conditions.", utcnow())
    db.session.commit()
    data = _pdf(client, statement)
    assert statement.reference.encode() in inflated(data)  # metadata title and links
    pages = pages_text(data)
    if pages is None:
        pytest.skip("neither pdftotext nor pypdf is installed: checked the metadata only")
    assert len(pages) >= 2
    for number, page in enumerate(pages, 1):
        assert f"Statement {statement.reference}" in page, f"no reference on page {number}"
        assert f"Page {number} of {len(pages)}" in page
    text = re.sub(r"\s+", " ", " ".join(pages))
    assert "The GP leadership group of North Staffordshire" in text
    assert "Enhanced access hubs" in text
    assert "Riverside Surgery" in text  # a signatory
    assert statement.provenance.split(";")[0] in text
    assert "Responses: you said, we did" in text
    assert "We accepted both conditions." in text


def test_a_withdrawn_statement_says_so_in_its_letter(client, db, setting):
    statement = publish_statement(setting)
    withdraw(setting.officer, statement, "The ICB withdrew its proposal", utcnow())
    db.session.commit()
    pages = pages_text(_pdf(client, statement))
    if pages is None:
        pytest.skip("neither pdftotext nor pypdf is installed")
    text = re.sub(r"\s+", " ", " ".join(pages))
    assert "This statement has been withdrawn. The ICB withdrew its proposal" in text


HOSTILE_MARKDOWN = """Before.

<script>alert('script')</script>
<iframe src="http://127.0.0.1:1/frame"></iframe>
<img src="x" onerror="alert('img')">
<a href="#" onclick="alert('click')">click me</a>

[a javascript link](javascript:alert('js'))
[a data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)
![an image](http://127.0.0.1:1/tracker.png)

After."""


def test_hostile_markdown_comes_out_inert_in_the_letter(client, db, setting):
    statement = publish_statement(setting, body=HOSTILE_MARKDOWN)
    data = _pdf(client, statement)
    everything = inflated(data)
    for fragment in (b"javascript:", b"data:text/html", b"alert(", b"/JavaScript", b"/JS "):
        assert fragment not in everything, fragment
    pages = pages_text(data)
    if pages is not None:
        text = " ".join(pages)
        assert "Before." in text
        assert "After." in text
        assert "a javascript link" in text


def test_the_url_fetcher_refuses_everything_but_data():
    fetcher = pdf.NoFetching()
    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1/",
        "https://example.org/logo.png",
        "ftp://example.org/x",
        "FILE:///etc/hostname",
        "relative/path.css",
    ):
        with pytest.raises(ValueError, match=r"fetches nothing|disallowed"):
            fetcher.fetch(url)
    response = fetcher.fetch("data:text/plain;base64,aGVsbG8=")
    assert response.read() == b"hello"


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def listening_server() -> Iterator[str]:
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_rendering_fetches_no_url_and_no_local_file(app, listening_server, tmp_path):
    """Even if hostile HTML reached the letter, WeasyPrint would fetch nothing with it."""
    from weasyprint import CSS, HTML

    secret = tmp_path / "secret.css"
    secret.write_text("body { color: blue }")
    html = f"""<html><head>
        <link rel="stylesheet" href="{listening_server}/linked.css">
        <style>@import url("{listening_server}/imported.css");
        body {{ background: url("{listening_server}/background.png") }}</style>
        <link rel="stylesheet" href="file://{secret}">
        </head><body><img src="{listening_server}/image.png"><img src="file:///etc/passwd">
        <p>Text</p></body></html>"""
    fetcher = pdf.NoFetching()
    with app.app_context():
        data = HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf(
            stylesheets=[
                CSS(string=f'@import url("{listening_server}/x.css");', url_fetcher=fetcher)
            ]
        )
    assert data.startswith(b"%PDF-")
    assert _Recorder.requests == []


def test_an_unknown_or_unreadable_statement_has_no_pdf(client, db, setting):
    statement = publish_statement(setting, tier=Tier.LMC)
    assert client.get(f"/statements/{statement.reference}.pdf").status_code == 404
    assert client.get("/statements/GPV-2026-999.pdf").status_code == 404
    assert client.get("/statements/..%2Fetc%2Fpasswd.pdf").status_code == 404


def _structure_roles(node, roles: set[str]) -> None:
    """Every structure element type (``/S``) under a PDF structure tree node."""
    node = node.get_object()
    if isinstance(node, list):
        for child in node:
            _structure_roles(child, roles)
        return
    if not hasattr(node, "get"):
        return
    if "/S" in node:
        roles.add(str(node["/S"]))
    kids = node.get("/K")
    if kids is not None:
        _structure_roles(kids, roles)


def test_the_letter_is_a_tagged_citable_pdf(client, db, setting):
    import io

    import pypdf

    statement = publish_statement(setting, title="Enhanced access hubs")
    reader = pypdf.PdfReader(io.BytesIO(_pdf(client, statement)))
    root = reader.trailer["/Root"]
    # Tagged (PDF/UA): marked content, a structure tree with headings, lists and a table.
    assert bool(root["/MarkInfo"]["/Marked"])
    assert str(root["/Lang"]) == "en-GB"
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data()
    roles: set[str] = set()
    _structure_roles(root["/StructTreeRoot"], roles)
    assert {"/H1", "/H2", "/P", "/L", "/LI", "/Table"} <= roles, roles
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
    # Citable: its reference, its permanent web address and the full result wording.
    assert statement.reference in text
    assert f"http://localhost/statements/{statement.reference}" in text
    assert re.sub(r"\s+", " ", statement.provenance) in text
    assert "3 organisations for (75.0 % of the weight), 1 against (25.0 %)" in text
