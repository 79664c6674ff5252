"""How an audit entry's hash is made and how a chain is checked, with no database import.

An entry's hash is HMAC-SHA256, keyed by the portal's audit key (``PORTAL_AUDIT_KEY``, kept
outside the database), over the previous entry's hash and the entry's own content in
canonical JSON (sorted keys, no spaces, UTF-8). The first entry's previous hash is 64 zeros.
Someone who can write to the database but does not hold the key cannot recompute the hashes
after changing an entry.

A chain is intact when the sequence numbers run 1, 2, 3, ... without a gap, each entry names
its predecessor's hash, and each hash recomputes from the stored content. Deleting the last
entries leaves such a chain, and so does re-hashing with a stolen key: a *checkpoint* (the
number of entries and the last hash, as published on a statement or result page or written to
a file by ``audit-checkpoint``) catches both, because the chain must still reach that entry
with that hash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64


def canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(key: bytes, previous_hash: str, content: dict[str, Any]) -> str:
    message = previous_hash.encode("ascii") + canonical(content)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainedEntry:
    sequence: int
    previous_hash: str
    entry_hash: str
    content: dict[str, Any]


@dataclass(frozen=True)
class ChainHead:
    """How long the chain was and how it ended, at some moment worth remembering."""

    entries: int
    hash: str

    def __str__(self) -> str:
        return f"{self.entries} entries, last hash {self.hash}"

    def as_dict(self) -> dict[str, Any]:
        return {"entries": self.entries, "hash": self.hash}

    @classmethod
    def from_dict(cls, data: Any) -> ChainHead:
        """Read a checkpoint file's content; ValueError says what is wrong with it."""
        if not isinstance(data, dict):
            raise ValueError("a checkpoint is a JSON object with 'entries' and 'hash'")
        entries, head_hash = data.get("entries"), data.get("hash")
        if not isinstance(entries, int) or isinstance(entries, bool) or entries < 0:
            raise ValueError("'entries' must be a whole number of 0 or more")
        if not isinstance(head_hash, str) or len(head_hash) != 64:
            raise ValueError("'hash' must be 64 hexadecimal characters")
        return cls(entries, head_hash.lower())


@dataclass(frozen=True)
class ChainFault:
    sequence: int
    reason: str

    def __str__(self) -> str:
        return f"entry {self.sequence}: {self.reason}"


def first_fault(
    entries: Iterable[ChainedEntry], key: bytes, checkpoints: Iterable[ChainHead] = ()
) -> ChainFault | None:
    """Return the first entry at which the chain breaks, or None if it is intact.

    Each checkpoint must be met on the way: the chain has at least that many entries and
    the entry at that position has that hash.
    """
    expected: dict[int, str] = {}
    for checkpoint in checkpoints:
        if checkpoint.entries:
            expected[checkpoint.entries] = checkpoint.hash
    expected_sequence = 1
    expected_previous = GENESIS_HASH
    for entry in entries:
        if entry.sequence != expected_sequence:
            if entry.sequence > expected_sequence:
                reason = f"entries {expected_sequence} to {entry.sequence - 1} are missing"
            else:
                reason = "is out of order"
            return ChainFault(entry.sequence, reason)
        if entry.previous_hash != expected_previous:
            return ChainFault(
                entry.sequence, "does not follow the entry before it (removed or reordered)"
            )
        if not hmac.compare_digest(
            entry_hash(key, entry.previous_hash, entry.content), entry.entry_hash
        ):
            return ChainFault(entry.sequence, "was altered: its content does not match its hash")
        if entry.sequence in expected and expected.pop(entry.sequence) != entry.entry_hash:
            return ChainFault(
                entry.sequence,
                "differs from the checkpoint kept for it (the chain was rewritten from here "
                "or earlier)",
            )
        expected_sequence += 1
        expected_previous = entry.entry_hash
    if expected:
        last = expected_sequence - 1
        return ChainFault(
            min(expected),
            f"is missing: a checkpoint says the chain reached entry {max(expected)}, "
            f"but it ends at entry {last} (its last entries were removed)",
        )
    return None
