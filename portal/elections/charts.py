"""The results chart, drawn on the server: each candidate's first preferences and votes at
the last stage, as bars against the quota. Pure arithmetic on the stored count report."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

WIDTH = 640
LABEL_WIDTH = 190
BAR_SPACE = 380
ROW = 52
BAR = 18
LABEL_LENGTH = 24


def count_chart(result: dict[str, Any]) -> dict[str, Any] | None:
    stages = result.get("stages") or []
    if not stages:
        return None
    first, last = stages[0]["votes"], stages[-1]["votes"]
    quota = Decimal(result["quota"])
    peak = max([quota, *map(Decimal, first.values()), *map(Decimal, last.values())])
    scale = Decimal(BAR_SPACE) / peak if peak > 0 else Decimal(0)

    def width(value: str) -> Decimal:
        return (Decimal(value) * scale).quantize(Decimal("0.1"))

    rows = []
    for index, name in enumerate(first):
        top = 10 + index * ROW
        label = name if len(name) <= LABEL_LENGTH else name[: LABEL_LENGTH - 1] + "…"
        rows.append(
            {
                "name": name,
                "label": label,
                "y": top,
                "text_y": top + BAR + 2,
                "first": width(first[name]),
                "first_votes": first[name],
                "last": width(last[name]),
                "last_votes": last[name],
                "elected": name in result.get("elected", []),
            }
        )
    quota_x = LABEL_WIDTH + (quota * scale).quantize(Decimal("0.1"))
    return {
        "width": WIDTH,
        "height": 30 + len(rows) * ROW,
        "label_width": LABEL_WIDTH,
        "bar": BAR,
        "rows": rows,
        "quota_x": quota_x,
        "quota": result["quota"],
    }
