"""Imports run one way: the shared core imports no domain, and a domain imports only the core and
the domains below it in ``DOMAINS``.

Every module under ``portal/`` is parsed (nothing is imported), and every ``import`` counts,
including those under ``if TYPE_CHECKING:`` and inside functions: a type a module names is a
domain it knows about. The composition roots wire everything together and may import anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PORTAL = Path(__file__).resolve().parents[2] / "portal"

# Modules any domain may use; each imports only other core modules. The audit log is here
# because every service writes an entry in its own transaction; its page is a domain below.
CORE = (
    "portal.audit",
    "portal.backup",
    "portal.database",
    "portal.edge",
    "portal.email_kinds",
    "portal.errors",
    "portal.extensions",
    "portal.figures",
    "portal.form_filters",
    "portal.health",
    "portal.http",
    "portal.logs",
    "portal.mail",
    "portal.markdown",
    "portal.names",
    "portal.navigation",
    "portal.outbox",
    "portal.page_parts",
    "portal.queue",
    "portal.ratelimits",
    "portal.spreadsheets",
    "portal.static_files",
    "portal.stylesheets",
    "portal.templating",
    "portal.times",
    "portal.timewords",
    "portal.urls",
)

# The domains, lowest first: each may import those before it, never one after it.
DOMAINS = (
    "portal.organisations",  # areas, organisations, PCN membership, roles, the area check
    "portal.tiers",  # who may read each confidentiality tier: positions, statements, needs
    "portal.accounts",  # people, their memberships, sign-in
    "portal.audit.views",  # the area's audit log page
    "portal.voting",
    "portal.positions",
    "portal.needs",
    "portal.statements",
    "portal.elections",
    "portal.notifications",  # email preferences and digests, the outbox page
    "portal.meetings",
    "portal.mandates",  # who may commit practices, granted by a vote
    "portal.agreements",  # shared ways of working that practices sign up to
    "portal.trust",
    "portal.admin",
    "portal.retention",  # removes what a period ends: ballot links, former members
    "portal.main",  # the home page, search and "what needs you", across every domain
)

# These build the app, its commands, the worker and the demo from every part, so they import
# from anywhere and nothing imports them.
ROOTS = (
    "portal",
    "portal.commands",
    "portal.demo",
    "portal.models",
    "portal.worker",
)

UNITS = CORE + DOMAINS + ROOTS


def module_name(path: Path) -> str:
    parts = path.relative_to(PORTAL.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit_of(module: str) -> str | None:
    """The longest declared unit ``module`` belongs to (``portal.audit.views`` before
    ``portal.audit``), or None for one nobody declared. ``portal`` alone is the app factory."""
    matches = [
        unit
        for unit in UNITS
        if module == unit or (unit != "portal" and module.startswith(unit + "."))
    ]
    return max(matches, key=len) if matches else None


def imported_modules(path: Path, module: str) -> set[str]:
    """Every ``portal`` module ``path`` imports, with ``from portal import x`` read as
    ``portal.x`` and relative imports resolved."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            if source != "portal":
                found.add(source)
            found.update(f"{source}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "portal" or name.startswith("portal.")}


def rank(unit: str) -> int:
    return DOMAINS.index(unit) if unit in DOMAINS else -1


def offence(importer_unit: str, imported: str) -> str | None:
    """Why importing ``imported`` from ``importer_unit`` runs the wrong way, or None."""
    target = unit_of(imported)
    if target is None or target == importer_unit or importer_unit in ROOTS:
        return None
    if target in ROOTS:
        return f"imports the composition root {target}"
    if importer_unit in CORE and target not in CORE:
        return f"is core but imports the domain {target}"
    if importer_unit in DOMAINS and target in DOMAINS and rank(target) > rank(importer_unit):
        return f"imports {target}, a domain above {importer_unit}"
    return None


def upward_imports() -> dict[tuple[str, str], str]:
    """Every import running the wrong way, keyed by (importing module, imported unit)."""
    found: dict[tuple[str, str], str] = {}
    for path in sorted(PORTAL.rglob("*.py")):
        module = module_name(path)
        importer_unit = unit_of(module)
        assert importer_unit is not None, f"{module} belongs to no declared unit: declare it"
        for imported in imported_modules(path, module):
            why = offence(importer_unit, imported)
            if why is not None:
                found[(module, unit_of(imported) or imported)] = why
    return found


def test_every_import_runs_down_the_declared_order() -> None:
    wrong = upward_imports()
    assert not wrong, "\n".join(f"{module} {why}" for (module, _), why in sorted(wrong.items()))


def test_every_unit_is_declared_once() -> None:
    assert len(set(UNITS)) == len(UNITS)
    for path in PORTAL.rglob("*.py"):
        assert unit_of(module_name(path)) is not None, path


@pytest.mark.parametrize(
    ("importer", "imported", "wrong"),
    [
        ("portal.templating", "portal.voting.permissions", True),
        ("portal.organisations", "portal.accounts.models", True),
        ("portal.positions", "portal.statements", True),
        ("portal.accounts", "portal.organisations.models", False),
        ("portal.audit.views", "portal.organisations.permissions", False),
        ("portal.audit", "portal.audit.views", True),
        ("portal.main", "portal.voting", False),
        ("portal.voting", "portal.commands", True),
        ("portal", "portal.voting.views", False),
    ],
)
def test_the_rule_itself(importer: str, imported: str, wrong: bool) -> None:
    assert (offence(importer, imported) is not None) is wrong
