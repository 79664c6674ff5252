"""How an audit entry's hash is made and how a chain is checked, with no database import.

An entry's hash is SHA-256 over the previous entry's hash and the entry's own content in
canonical JSON (sorted keys, no spaces, UTF-8). The first entry's previous hash is 64 zeros.
A chain is intact when the sequence numbers run 1, 2, 3, ... without a gap, each entry names
its predecessor's hash, and each hash recomputes from the stored content.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64


def canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(previous_hash: str, content: dict[str, Any]) -> str:
    return hashlib.sha256(previous_hash.encode("ascii") + canonical(content)).hexdigest()


@dataclass(frozen=True)
class ChainedEntry:
    sequence: int
    previous_hash: str
    entry_hash: str
    content: dict[str, Any]


@dataclass(frozen=True)
class ChainFault:
    sequence: int
    reason: str

    def __str__(self) -> str:
        return f"entry {self.sequence}: {self.reason}"


def first_fault(entries: Iterable[ChainedEntry]) -> ChainFault | None:
    """Return the first entry at which the chain breaks, or None if it is intact."""
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
        if entry_hash(entry.previous_hash, entry.content) != entry.entry_hash:
            return ChainFault(entry.sequence, "was altered: its content does not match its hash")
        expected_sequence += 1
        expected_previous = entry.entry_hash
    return None
