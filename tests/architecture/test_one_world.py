"""One test world: areas with their organisations and people are built by ``make_world`` in
``tests/factories.py`` and nowhere else.

Every module under ``tests/`` is parsed (nothing is imported). Outside ``tests/factories.py``,
no class may create an area, and no function named like a world (world, setting, scene,
set-up, area, areas, area_with..., people) may create one: each suite describes its world as
data (``Org`` and ``Person``) and hands it to ``make_world``. A test that needs one bare area
for one check (an import, a sign-in) still calls ``make_area`` inside the test itself.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
FACTORIES = TESTS / "factories.py"
WORLDLY = re.compile(r"world|setting|scene|setup|area_with|^_?areas?$|^_?people$", re.IGNORECASE)
AREA_MAKERS = {"make_area", "Area"}


def _called_name(call: ast.Call) -> str:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return ""


def creates_an_area(node: ast.AST) -> bool:
    return any(
        isinstance(inner, ast.Call) and _called_name(inner) in AREA_MAKERS
        for inner in ast.walk(node)
    )


def world_builders(source: str) -> list[str]:
    """The classes, and the functions named like a world, in ``source`` that create an area."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef) and creates_an_area(node):
            found.append(f"class {node.name}")
        elif (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and WORLDLY.search(node.name)
            and creates_an_area(node)
        ):
            found.append(f"def {node.name}")
    return found


def test_no_module_but_the_factories_builds_a_world() -> None:
    offenders = [
        f"{path.relative_to(TESTS)}: {builder}"
        for path in sorted(TESTS.rglob("*.py"))
        if path != FACTORIES
        for builder in world_builders(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], (
        "build the world with tests.factories.make_world (Org and Person) instead of: "
        + ", ".join(offenders)
    )


def test_the_check_finds_a_world_built_by_hand() -> None:
    """The check itself can fail: each shape the suites once used is caught."""
    by_class = "class World:\n    def __init__(self):\n        self.area = make_area()\n"
    by_fixture = "def world(db):\n    area = make_area(slug='x')\n    return area\n"
    by_setting = "def _setting():\n    return {'area': Area(slug='x', name='X')}\n"
    calls_the_builder = "def world(db):\n    return make_world(**LAYOUT)\n"
    by_area_with = "def area_with_everyone(db):\n    return make_area(slug='x'), {}\n"
    one_bare_area = "def test_import(db):\n    area = make_area()\n"
    assert world_builders(by_class) == ["class World"]
    assert world_builders(by_fixture) == ["def world"]
    assert world_builders(by_setting) == ["def _setting"]
    assert world_builders(by_area_with) == ["def area_with_everyone"]
    assert world_builders(calls_the_builder) == []
    assert world_builders(one_bare_area) == []
