"""Static files: fingerprinted names, gzip and brotli copies, served by WhiteNoise.

``build`` (run by ``scripts/build_assets.py``, so by ``make install`` and ``make run``) copies
each stylesheet and script under ``portal/static`` to a name carrying a digest of its content
(``portal.css`` to ``portal.1a2b3c4d5e6f.css``), beside the original so relative references
(``portal.js`` imports ``./vendor/...``) still resolve, writes gzip and brotli copies of every
text file and a manifest of the names. ``init_app`` makes ``url_for('static', filename=...)``
give the fingerprinted name, so templates are unchanged, and puts WhiteNoise in front of the
portal: a fingerprinted file never changes, so it is kept for a year and marked immutable;
WhiteNoise chooses the brotli or gzip copy by the request's ``Accept-Encoding``. This holds under
``flask run`` (``make run``) and gunicorn alike, since both call the app's ``wsgi_app``.

Without a build (the manifest missing) the plain names are served, for a minute at a time.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

from flask import Flask

MANIFEST = "manifest.json"
YEAR = 365 * 24 * 3600
FINGERPRINTED = re.compile(r"\.[0-9a-f]{12}\.[a-z0-9]+$")
FINGERPRINT_SUFFIXES = (".css", ".js")
COMPRESSED_SUFFIXES = (".gz", ".br")
# nhsuk-frontend's images and icons are served at /assets by portal.main.views.
NOT_BUILT = ("vendor/nhsuk/assets/",)


def _sources(static: Path) -> list[Path]:
    return [
        path
        for path in sorted(static.rglob("*"))
        if path.is_file()
        and path.suffix in FINGERPRINT_SUFFIXES
        and not FINGERPRINTED.search(path.name)
        and not path.relative_to(static).as_posix().startswith(NOT_BUILT)
    ]


def _remove_earlier_build(static: Path) -> None:
    for path in static.rglob("*"):
        name = path.name.removesuffix(".gz").removesuffix(".br")
        built = FINGERPRINTED.search(name) or path.suffix in COMPRESSED_SUFFIXES
        if path.is_file() and built:
            path.unlink()


def build(static: Path) -> dict[str, str]:
    """Fingerprint and compress ``static``'s files; return and write the manifest."""
    from whitenoise.compress import Compressor

    _remove_earlier_build(static)
    manifest: dict[str, str] = {}
    for source in _sources(static):
        digest = hashlib.sha256(source.read_bytes()).hexdigest()[:12]
        target = source.with_name(f"{source.stem}.{digest}{source.suffix}")
        shutil.copyfile(source, target)
        manifest[source.relative_to(static).as_posix()] = target.relative_to(static).as_posix()
    compressor = Compressor(quiet=True)
    for path in sorted(static.rglob("*")):
        relative = path.relative_to(static).as_posix()
        wanted = path.is_file() and path.name != MANIFEST and not relative.startswith(NOT_BUILT)
        if wanted and compressor.should_compress(path.name):
            list(compressor.compress(str(path)))
    (static / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def _manifest(static: Path) -> dict[str, str]:
    path = static / MANIFEST
    if not path.is_file():
        return {}
    names = json.loads(path.read_text())
    # A name whose file has gone (a half-finished build) falls back to the plain one.
    return {plain: built for plain, built in names.items() if (static / built).is_file()}


def _headers(headers: Any, _path: str, url: str) -> None:
    headers["X-Content-Type-Options"] = "nosniff"
    if FINGERPRINTED.search(url):
        # WhiteNoise's own choice is ten years; a year is what HTTP caches are asked to honour.
        headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"


def init_app(app: Flask) -> None:
    from whitenoise import WhiteNoise

    static = Path(app.static_folder or "")
    names = _manifest(static)

    @app.url_defaults
    def _fingerprinted(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and values.get("filename") in names:
            values["filename"] = names[values["filename"]]

    prefix = (app.static_url_path or "/static").rstrip("/") + "/"
    app.wsgi_app = WhiteNoise(  # type: ignore[method-assign]
        app.wsgi_app,
        root=str(static),
        prefix=prefix,
        # A file changed while the development server runs is served as it now is.
        autorefresh=bool(app.debug),
        max_age=60,
        immutable_file_test=lambda _path, url: bool(FINGERPRINTED.search(url)),
        add_headers_function=_headers,
    )
