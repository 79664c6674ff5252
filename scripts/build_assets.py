"""Copy the NHS.UK design system's compiled files from node_modules into the portal's static folder.

Run after ``npm ci``: ``python scripts/build_assets.py``. The result,
``portal/static/vendor/nhsuk/``, is not committed. Running it again gives the same folder.
The design system's stylesheet is then cut down to the rules the portal's pages can use
(``portal/stylesheets.py``), and every stylesheet and script gets its fingerprinted name and
compressed copies (``portal/static_files.py``), none of them committed either.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_ROOT = REPO_ROOT / "node_modules" / "nhsuk-frontend"
SOURCE = PACKAGE_ROOT / "dist" / "nhsuk"
DESTINATION = REPO_ROOT / "portal" / "static" / "vendor" / "nhsuk"
FILES = (
    "nhsuk-frontend.min.css",
    "nhsuk-frontend.min.css.map",
    "nhsuk-frontend.min.js",
    "nhsuk-frontend.min.js.map",
)
FOLDERS = ("assets",)


class AssetsMissingError(Exception):
    pass


def pinned_version() -> str:
    package = json.loads((REPO_ROOT / "package.json").read_text())
    return package["dependencies"]["nhsuk-frontend"]


def installed_version() -> str:
    manifest = PACKAGE_ROOT / "package.json"
    if not manifest.is_file():
        raise AssetsMissingError(
            f"{PACKAGE_ROOT.relative_to(REPO_ROOT)} is not installed: run `npm ci` in {REPO_ROOT}."
        )
    return json.loads(manifest.read_text())["version"]


def check_source() -> None:
    installed, pinned = installed_version(), pinned_version()
    if installed != pinned:
        raise AssetsMissingError(
            f"nhsuk-frontend {installed} is installed but package.json pins {pinned}: "
            "run `npm ci` again."
        )
    missing = [name for name in (*FILES, *FOLDERS) if not (SOURCE / name).exists()]
    if missing:
        raise AssetsMissingError(
            f"{SOURCE.relative_to(REPO_ROOT)} lacks {', '.join(missing)}: "
            "the nhsuk-frontend package looks incomplete; run `npm ci` again."
        )


def copy_assets() -> list[Path]:
    check_source()
    DESTINATION.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in FILES:
        copied.append(Path(shutil.copy2(SOURCE / name, DESTINATION / name)))
    for name in FOLDERS:
        target = DESTINATION / name
        # Replace rather than merge, so files dropped by a newer release do not linger.
        if target.exists():
            shutil.rmtree(target)
        copied.append(Path(shutil.copytree(SOURCE / name, target)))
    return copied


def cut_down_stylesheets() -> list[Path]:
    from importlib.resources import files

    from portal import stylesheets

    templates = Path(str(files("nhsuk_frontend_jinja") / "templates" / "nhsuk"))
    css = (DESTINATION / "nhsuk-frontend.min.css").read_text(encoding="utf-8")
    script = DESTINATION / "nhsuk-frontend.min.js"
    written = []
    for sheet, vocabulary in stylesheets.sheets(REPO_ROOT / "portal", templates, script).items():
        target = DESTINATION / stylesheets.sheet_name(sheet)
        target.write_text(stylesheets.cut_down(css, vocabulary), encoding="utf-8")
        written.append(target)
    return written


def main() -> int:
    try:
        copied = copy_assets()
    except AssetsMissingError as problem:
        print(f"build_assets: {problem}", file=sys.stderr)
        return 1
    for path in copied:
        print(f"copied {path.relative_to(REPO_ROOT)}")
    sys.path.insert(0, str(REPO_ROOT))
    for path in cut_down_stylesheets():
        print(f"cut down {path.relative_to(REPO_ROOT)} ({path.stat().st_size // 1024} KB)")
    from portal.static_files import build

    names = build(REPO_ROOT / "portal" / "static")
    print(f"fingerprinted and compressed {len(names)} stylesheets and scripts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
