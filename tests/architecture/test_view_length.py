"""Views stay thin: load or 404, authorise, validate the form, call one service, respond.

A view is a function under ``portal/`` decorated with a blueprint's ``route``, ``get`` or
``post`` (and the like). Its length is the lines its body spans, from the first statement
after the docstring to the end of the last: blank lines and comments inside count, the
signature, decorators and docstring do not. Nothing is imported; every module is parsed.

``CEILING`` is how many views run over ``LIMIT`` lines today. It can only come down: when a
change shortens one, lower it to the new count (the test says so).
"""

from __future__ import annotations

import ast
from pathlib import Path

PORTAL = Path(__file__).resolve().parents[2] / "portal"
ROUTE_DECORATORS = {"route", "get", "post", "put", "patch", "delete"}
LIMIT = 20
CEILING = 0


def is_view(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(
        isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Attribute)
        and decorator.func.attr in ROUTE_DECORATORS
        for decorator in function.decorator_list
    )


def body_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = function.body
    first = body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        body = body[1:]
    if not body:
        return 0
    return (body[-1].end_lineno or body[-1].lineno) - body[0].lineno + 1


def view_lengths() -> dict[str, int]:
    """Every view's body length, keyed by ``path:function``."""
    lengths = {}
    for path in sorted(PORTAL.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and is_view(node):
                lengths[f"{path.relative_to(PORTAL.parent)}:{node.name}"] = body_lines(node)
    return lengths


def test_no_more_views_run_long_than_the_ceiling() -> None:
    long = {name: length for name, length in view_lengths().items() if length > LIMIT}
    listing = "\n".join(f"{length:4} {name}" for name, length in sorted(long.items()))
    assert len(long) <= CEILING, f"{len(long)} views over {LIMIT} lines:\n{listing}"
    assert len(long) == CEILING, f"Only {len(long)} views run over {LIMIT}: lower CEILING to it"


def test_the_count_reads_the_body_only() -> None:
    source = '''
@blueprint.get("/")
@login_required
def page() -> str:
    """Said once."""
    first = 1

    # why
    return str(first)


def helper() -> None:
    pass
'''
    views = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef) and is_view(node)
    ]
    assert [view.name for view in views] == ["page"]
    assert body_lines(views[0]) == 4
