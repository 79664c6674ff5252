"""WTForms filters shared by every domain's forms."""

from __future__ import annotations

from typing import Any


def strip_whitespace(value: Any) -> Any:
    """Leading and trailing spaces are never meant: "  Hill Surgery " is "Hill Surgery"."""
    return value.strip() if isinstance(value, str) else value
