"""The design system's stylesheet cut down to what the portal's pages can use: a rule goes only
when no page can match it, the public pages block on a smaller sheet than the rest, and nothing a
public page shows loses a rule of the design system."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest
import tinycss2

from portal import stylesheets
from portal.positions.models import Tier
from tests.conftest import REPO_ROOT
from tests.factories import make_world
from tests.statements.helpers import STATEMENTS_WORLD, publish_statement

VENDOR = REPO_ROOT / "portal" / "static" / "vendor" / "nhsuk"
FULL = VENDOR / "nhsuk-frontend.min.css"
TEMPLATES = Path(str(files("nhsuk_frontend_jinja") / "templates" / "nhsuk"))
CLASS_ATTRIBUTE = re.compile(r'class="([^"]*)"')


def _cut(css: str, *texts: str, scripts: tuple[str, ...] = ()) -> str:
    return stylesheets.cut_down(css, stylesheets.Vocabulary(texts, scripts))


def test_a_rule_stays_only_if_a_page_can_match_it():
    css = (
        ".nhsuk-tag{color:red}.nhsuk-tabs{color:blue}"
        ".nhsuk-tag .nhsuk-tabs__item,.nhsuk-tag:hover{margin:0}"
        "body{margin:0}[hidden]{display:none}"
        "@media (min-width:40em){.nhsuk-tabs{padding:0}.nhsuk-tag{padding:1px}}"
        ".nhsuk-tag:not(.nhsuk-tag--white){border:0}"
    )
    cut = _cut(css, '<strong class="nhsuk-tag">Published</strong>')
    assert ".nhsuk-tag{color:red}" in cut
    assert ".nhsuk-tabs{" not in cut
    # Of a rule's selectors, only those that can match stay.
    assert ".nhsuk-tag:hover{margin:0}" in cut
    assert "nhsuk-tabs__item" not in cut
    assert "body{margin:0}" in cut
    assert "[hidden]{display:none}" in cut
    assert "@media (min-width:40em){.nhsuk-tag{padding:1px}}" in cut
    # A class in a condition is not required.
    assert ".nhsuk-tag:not(.nhsuk-tag--white){border:0}" in cut


def test_a_media_query_left_empty_goes():
    cut = _cut("@media print{.nhsuk-tabs{display:none}}p{margin:0}", "<p>text</p>")
    assert cut == "p{margin:0}"


def test_a_class_finished_at_run_time_keeps_every_class_it_can_become():
    css = ".nhsuk-tag--green{color:green}.nhsuk-tag--red{color:red}.nhsuk-tagline{color:blue}"
    cut = _cut(css, '<strong class="nhsuk-tag nhsuk-tag--{{ colour }}">')
    assert ".nhsuk-tag--green{" in cut
    assert ".nhsuk-tag--red{" in cut
    assert "nhsuk-tagline" not in cut


def test_the_design_system_script_adds_classes_only_to_components_a_page_has():
    css = ".nhsuk-header__menu--visible{display:block}.nhsuk-tabs__panel--hidden{display:none}"
    script = 'e.classList.add("nhsuk-header__menu--visible");t.add("nhsuk-tabs__panel--hidden")'
    cut = _cut(css, '<header class="nhsuk-header">', scripts=(script,))
    assert ".nhsuk-header__menu--visible{" in cut
    assert "nhsuk-tabs" not in cut


def test_webfonts_show_text_at_once():
    css = "@font-face{font-family:Frutiger W01;font-display:fallback;src:url(a.woff2)}"
    assert "font-display:swap" in _cut(css)
    assert "font-display:swap" in _cut("@font-face{font-family:F;src:url(a.woff2)}")


@pytest.fixture(scope="module")
def built_sheets() -> dict[str, str]:
    if not FULL.exists():
        pytest.fail("the assets are not built: run `python scripts/build_assets.py`")
    css = FULL.read_text(encoding="utf-8")
    vocabularies = stylesheets.sheets(
        REPO_ROOT / "portal", TEMPLATES, VENDOR / "nhsuk-frontend.min.js"
    )
    return {sheet: stylesheets.cut_down(css, words) for sheet, words in vocabularies.items()}


def _classes_with_rules(css: str) -> set[str]:
    rules = tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True)
    return set(re.findall(r"\.([A-Za-z0-9_-]+)", tinycss2.serialize(rules)))


def test_the_public_pages_block_on_a_smaller_sheet(built_sheets):
    full = len(FULL.read_text(encoding="utf-8"))
    assert len(built_sheets["portal"]) < 0.7 * full
    assert len(built_sheets["public"]) < len(built_sheets["portal"])


def test_no_class_of_a_public_page_loses_its_rules(client, db):
    statement = publish_statement(make_world(**STATEMENTS_WORLD), tier=Tier.PUBLIC)
    styled = _classes_with_rules(FULL.read_text(encoding="utf-8"))
    # The public sheet as the build wrote it, which is what the pages link.
    kept = _classes_with_rules(
        (VENDOR / stylesheets.sheet_name("public")).read_text(encoding="utf-8")
    )
    for path in ("/", "/accounts/login", "/statements", f"/statements/{statement.reference}"):
        page = client.get(path)
        assert page.status_code == 200, path
        html = page.get_data(as_text=True)
        assert re.search(r'href="/static/vendor/nhsuk/nhsuk-public\.min\.[0-9a-f]{12}\.css"', html)
        used = {name for value in CLASS_ATTRIBUTE.findall(html) for name in value.split()}
        lost = sorted(name for name in used & styled if name not in kept)
        assert not lost, (path, lost)
