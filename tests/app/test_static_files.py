"""Static files: fingerprinted names in every page, brotli and gzip copies chosen by the
browser's Accept-Encoding, a year's immutable caching for what is fingerprinted."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
import pytest

from portal import create_app, static_files
from tests.conftest import IsolatedClient

YEAR_IMMUTABLE = "public, max-age=31536000, immutable"


def test_build_fingerprints_and_compresses(tmp_path: Path):
    (tmp_path / "site.css").write_text("body { color: #212b32; }\n" * 40)
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "lib.js").write_text("export const answer = 42;\n" * 40)
    names = static_files.build(tmp_path)
    assert set(names) == {"site.css", "vendor/lib.js"}
    built = tmp_path / names["site.css"]
    assert re.fullmatch(r"site\.[0-9a-f]{12}\.css", built.name)
    assert built.read_bytes() == (tmp_path / "site.css").read_bytes()
    assert gzip.decompress((tmp_path / f"{names['site.css']}.gz").read_bytes()) == (
        built.read_bytes()
    )
    assert brotli.decompress((tmp_path / f"{names['site.css']}.br").read_bytes()) == (
        built.read_bytes()
    )

    # A changed file gets a new name; the old one and its copies are gone.
    (tmp_path / "site.css").write_text("body { color: #005eb8; }\n" * 40)
    again = static_files.build(tmp_path)
    assert again["site.css"] != names["site.css"]
    assert not built.exists()
    assert not (tmp_path / f"{names['site.css']}.br").exists()
    assert again["vendor/lib.js"] == names["vendor/lib.js"]


@pytest.fixture(scope="module")
def built_app(app):
    """The portal built as ``make install`` builds it, on the suite's settings."""
    static_files.build(Path(app.static_folder))
    served = create_app({key: value for key, value in app.config.items() if key.isupper()})
    served.test_client_class = IsolatedClient
    return served


def _stylesheets(html: str) -> list[str]:
    return re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)


def test_pages_name_the_fingerprinted_files(built_app, db):
    page = built_app.test_client().get("/").get_data(as_text=True)
    sheets = _stylesheets(page)
    assert sheets
    for href in sheets:
        assert static_files.FINGERPRINTED.search(href), href
    script = re.search(r'<script type="module" nonce="[^"]+" src="([^"]+)"', page).group(1)
    assert static_files.FINGERPRINTED.search(script)


@pytest.mark.parametrize(("encoding", "decode"), [("br", brotli.decompress), ("gzip", None)])
def test_a_fingerprinted_file_is_compressed_and_kept_for_a_year(built_app, db, encoding, decode):
    client = built_app.test_client()
    href = _stylesheets(client.get("/").get_data(as_text=True))[0]
    plain = client.get(href)
    assert plain.status_code == 200
    assert plain.headers["Cache-Control"] == YEAR_IMMUTABLE
    assert plain.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Encoding" not in plain.headers
    packed = client.get(href, headers={"Accept-Encoding": f"{encoding}, identity"})
    assert packed.headers["Content-Encoding"] == encoding
    assert packed.headers["Cache-Control"] == YEAR_IMMUTABLE
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert len(packed.data) < len(plain.data) / 3
    assert (decode or gzip.decompress)(packed.data) == plain.data


def test_a_plain_name_is_served_but_not_kept(built_app, db):
    response = built_app.test_client().get("/static/portal.css")
    assert response.status_code == 200
    assert "immutable" not in response.headers["Cache-Control"]
    assert "max-age=60" in response.headers["Cache-Control"]
