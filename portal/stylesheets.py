"""The NHS.UK design system's stylesheet cut down to the rules the portal's pages can use.

``nhsuk-frontend.min.css`` holds every component of the design system (about 270 KB), and a
stylesheet blocks a page's first paint until it has arrived and been parsed. The portal uses a
fraction of it, so ``scripts/build_assets.py`` writes cut-down copies beside it: the same rules,
in the same order, less those that can match nothing the pages of that copy ever show.

- ``nhsuk-portal.min.css`` serves every page: it is cut to what any template of the portal can
  show.
- ``nhsuk-public.min.css`` serves the pages anyone may open without signing in (home, sign-in,
  the statements and a statement, an area's public page), which say so with
  ``{% set design_sheet = "public" %}``: it is cut to what those templates, and the templates
  and NHS.UK macros they extend, include or import (followed all the way down), can show.

What a page can show is read, not guessed: the words of those templates, of the portal's Python
(classes chosen in code, such as a tag's colour) and scripts, and of the NHS.UK page template
and macros. The design system's own script adds classes as a page runs; those count only for a
component the templates have (``nhsuk-tabs__panel--hidden`` only where there is
``nhsuk-tabs``). A selector stays when every class it names is one of those words, or begins
with a word a template finishes at run time (``nhsuk-tag--{{ colour }}`` keeps every
``nhsuk-tag--`` class); a rule stays when any of its selectors stays. Classes inside ``:not()``,
``:is()``, ``:where()`` and ``:has()`` are not required, so a doubtful rule is kept rather than
dropped. Selectors naming no class (``body``, ``[hidden]``, ``a:focus``) always stay, as do
``@font-face`` and every at-rule that holds no style rules. ``tests/app/test_stylesheets.py``
checks that no class on a public page loses a rule it has in the full sheet.

The webfonts are declared ``font-display: swap`` (the design system says ``fallback``, which
hides text for up to 100 ms while they load): text shows at once in the fallback font.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import tinycss2
from tinycss2 import ast

# A word as a class name in a template, a script or Python code can spell it.
WORD = re.compile(r"[A-Za-z0-9_-]+")
# A word a template completes at run time: "nhsuk-tag--{{ ..." or "nhsuk-u-margin-" ~ size.
OPEN_WORD = re.compile(r"([A-Za-z0-9_-]+-)(?=\{\{|\{%|['\"]\s*[~+])")
CLASS = re.compile(r"\.((?:[A-Za-z0-9_-]|\\.)+)")
# Pseudo-classes whose argument is a condition, not something that must be on the page.
CONDITIONAL = re.compile(r":(?:not|is|where|has)\(")
# A template another one extends, includes or imports.
REFERENCE = re.compile(r"\{%-?\s*(?:extends|include|import|from)\s+[\"']([^\"']+)[\"']")
# A page's choice of a cut-down sheet: {% set design_sheet = "public" %}.
CHOSEN_SHEET = re.compile(r"\{%-?\s*set\s+design_sheet\s*=\s*[\"']([a-z]+)[\"']")
DEFAULT_SHEET = "portal"
FINGERPRINTED_SCRIPT = re.compile(r"\.[0-9a-f]{12}\.js$")
# At-rules holding style rules to be cut down; any other at-rule is kept whole.
NESTING = frozenset({"media", "supports", "container", "layer"})
# Shorter open words ("nhsuk-") would keep nearly everything and are written only in comments.
SHORTEST_OPEN_WORD = len("nhsuk-x-")


class Vocabulary:
    """The class names the portal can use: whole words, and words finished at run time.

    ``scripts`` (the design system's script, which sets up every component there is) add a
    class only to a component the pages have: ``nhsuk-tabs__panel--hidden`` counts only if
    ``nhsuk-tabs`` is a word of ``texts``.
    """

    def __init__(self, texts: Iterable[str], scripts: Iterable[str] = ()) -> None:
        self.words: set[str] = set()
        openings: set[str] = set()
        for text in texts:
            self.words.update(WORD.findall(text))
            openings.update(
                word for word in OPEN_WORD.findall(text) if len(word) >= SHORTEST_OPEN_WORD
            )
        self.openings = tuple(sorted(openings))
        for script in scripts:
            self.words.update(
                word for word in WORD.findall(script) if _component(word) in self.words
            )

    def knows(self, name: str) -> bool:
        return name in self.words or name.startswith(self.openings)


def _component(name: str) -> str:
    """The block of a BEM class name: ``nhsuk-tabs`` of ``nhsuk-tabs__list-item--selected``."""
    return name.split("__")[0].split("--")[0]


def _unescape(name: str) -> str:
    return re.sub(r"\\(.)", r"\1", name)


def _required_classes(selector: str) -> list[str]:
    """The classes an element must have for ``selector`` to match, conditions left out."""
    required = []
    position = 0
    for found in CONDITIONAL.finditer(selector):
        if found.start() < position:
            continue
        required.append(selector[position : found.start()])
        depth, index = 1, found.end()
        while index < len(selector) and depth:
            depth += {"(": 1, ")": -1}.get(selector[index], 0)
            index += 1
        position = index
    required.append(selector[position:])
    return [_unescape(name) for part in required for name in CLASS.findall(part)]


def _split_selectors(prelude: list[ast.Node]) -> list[str]:
    """The selectors of a rule's prelude, split at its top-level commas."""
    selectors: list[str] = []
    current: list[ast.Node] = []
    for token in prelude:
        if isinstance(token, ast.LiteralToken) and token.value == ",":
            selectors.append(tinycss2.serialize(current).strip())
            current = []
        else:
            current.append(token)
    selectors.append(tinycss2.serialize(current).strip())
    return [selector for selector in selectors if selector]


def _cut(rules: list[ast.Node], vocabulary: Vocabulary) -> str:
    kept = []
    for rule in rules:
        if isinstance(rule, ast.QualifiedRule):
            selectors = [
                selector
                for selector in _split_selectors(rule.prelude)
                if all(vocabulary.knows(name) for name in _required_classes(selector))
            ]
            if selectors:
                kept.append(f"{','.join(selectors)}{{{tinycss2.serialize(rule.content)}}}")
        elif isinstance(rule, ast.AtRule) and rule.lower_at_keyword in NESTING and rule.content:
            inner = _cut(_parse(tinycss2.serialize(rule.content)), vocabulary)
            if inner:
                kept.append(f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}{{{inner}}}")
        elif isinstance(rule, ast.AtRule) and rule.lower_at_keyword == "font-face":
            body = tinycss2.serialize(rule.content or [])
            body = re.sub(r"font-display\s*:\s*[a-z]+", "font-display:swap", body)
            if "font-display" not in body:
                body = f"font-display:swap;{body}"
            kept.append(f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}{{{body}}}")
        elif isinstance(rule, ast.AtRule):
            kept.append(rule.serialize())
    return "".join(kept)


def _parse(css: str) -> list[ast.Node]:
    return tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True)


def cut_down(css: str, vocabulary: Vocabulary) -> str:
    """``css`` less every rule that can match nothing ``vocabulary`` names."""
    return _cut(_parse(css), vocabulary)


def _template_sources(portal_root: Path, nhsuk_templates: Path) -> dict[str, str]:
    """Every template the portal can render, by the name Jinja knows it by."""
    sources = {
        f"nhsuk/{path.relative_to(nhsuk_templates).as_posix()}": path.read_text(encoding="utf-8")
        for path in sorted(nhsuk_templates.rglob("*.jinja"))
    }
    for folder in sorted(portal_root.rglob("templates")):
        for path in sorted(folder.rglob("*.html")):
            sources.setdefault(
                path.relative_to(folder).as_posix(), path.read_text(encoding="utf-8")
            )
    return sources


def _closure(roots: Iterable[str], sources: dict[str, str]) -> list[str]:
    """The texts of ``roots`` and of every template they extend, include or import."""
    wanted, read = set(roots), set[str]()
    while wanted - read:
        name = sorted(wanted - read)[0]
        read.add(name)
        wanted.update(found for found in REFERENCE.findall(sources[name]) if found in sources)
    return [sources[name] for name in sorted(read)]


def sheets(portal_root: Path, nhsuk_templates: Path, nhsuk_script: Path) -> dict[str, Vocabulary]:
    """For each sheet, the class names its pages can use.

    ``portal`` serves every page; a page whose template says ``{% set design_sheet = "public" %}``
    gets the ``public`` sheet, cut down to what that template and those it uses can show.
    """
    sources = _template_sources(portal_root, nhsuk_templates)
    code = [
        path.read_text(encoding="utf-8")
        for path in sorted(portal_root.rglob("*"))
        if path.suffix in {".py", ".js"}
        and "vendor" not in path.relative_to(portal_root).parts
        and not FINGERPRINTED_SCRIPT.search(path.name)
        # This module names classes in its examples; no page shows them.
        and path.resolve() != Path(__file__).resolve()
    ]
    script = nhsuk_script.read_text(encoding="utf-8")
    own = [name for name in sources if not name.startswith("nhsuk/")]
    chosen: dict[str, list[str]] = {DEFAULT_SHEET: own}
    for name in own:
        for sheet in CHOSEN_SHEET.findall(sources[name]):
            chosen.setdefault(sheet, []).append(name)
    return {
        sheet: Vocabulary(_closure(roots, sources) + code, [script])
        for sheet, roots in chosen.items()
    }


def sheet_name(sheet: str) -> str:
    """The file of a sheet, beside the design system's own stylesheet."""
    return f"nhsuk-{sheet}.min.css"
