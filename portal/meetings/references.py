"""What an agenda item may link to, as typed: "vote 12", "need 4", "proposal 3", "draft 2",
"mandate 5", "agreement 1", or an address (a path on this portal or an https:// link).

No Flask or database import. The meetings domain never reads another domain's tables: a typed
reference is kept as typed and shown as a link to that domain's own page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

KINDS = ("proposal", "draft", "need", "vote", "mandate", "agreement")
_TYPED = re.compile(r"(?i)\s*(proposal|draft|need|vote|mandate|agreement)\s*#?\s*(\d{1,9})\s*")


@dataclass(frozen=True)
class Reference:
    kind: str | None  # one of KINDS, or None for an address
    number: int | None
    address: str | None

    @property
    def text(self) -> str:
        if self.kind is not None:
            return f"{self.kind.capitalize()} {self.number}"
        return self.address or ""

    @property
    def stored(self) -> str:
        return f"{self.kind} {self.number}" if self.kind is not None else self.address or ""


class BadReference(ValueError):
    """The typed reference is neither a known kind with a number nor an acceptable address."""


def parse_reference(text: str) -> Reference:
    match = _TYPED.fullmatch(text)
    if match:
        return Reference(match.group(1).lower(), int(match.group(2)), None)
    text = text.strip()
    parts = urlsplit(text)
    if text.startswith("/") and not text.startswith("//") and not parts.scheme:
        return Reference(None, None, text)
    if parts.scheme == "https" and parts.netloc:
        return Reference(None, None, text)
    raise BadReference(
        "Link to a proposal, draft, need, vote, mandate or agreement as, for example, "
        "'vote 12', or give an address starting with / or https://"
    )
