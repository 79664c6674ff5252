"""What may be typed into an agreement: the length limits and the one check every agreements
service puts a typed text through (trimmed, required unless said otherwise, not too long), with
a message that can be shown.
"""

from __future__ import annotations

from portal.errors import DomainError
from portal.markdown import MAXIMUM_SOURCE_LENGTH

MAX_TITLE = 200
MAX_TEXT = 20_000
MAX_REASON = 2_000


def checked_text(value: str, what: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(f"Enter {what}")
    if len(value) > limit:
        raise DomainError(f"{what[0].upper()}{what[1:]} must be {limit:,} characters or fewer")
    return value


def checked_procedure(source: str) -> str:
    return checked_text(source, "the agreed procedure", limit=MAXIMUM_SOURCE_LENGTH)
