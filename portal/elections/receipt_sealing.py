"""A secret election's receipt: the ranking it proves, readable only with the receipt code.

Pure logic on bytes (no Flask, no database), with the ``cryptography`` package.

A receipt lets a voter check, with the code they were given, which candidates their ballot
ranked and whether a later ballot of theirs replaced it. The portal keeps only a hash of the
code, so in a secret election it keeps the ranking only encrypted under the code itself: the
code has 80 random bits, so HKDF-SHA256 of it is a key nobody can guess, and AES-256-GCM
binds the ciphertext to its election. The ranking is padded to the length of the longest
ranking the election allows, so the ciphertext's length says nothing about whom it ranked.
Whoever reads the database (a copy of it, a backup) holds no ranking it can read, and the
receipt still shows the voter exactly what it shows today.
"""

from __future__ import annotations

import json
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
KEY_BYTES = 32


def _key(election_id: int, normalised_code: str) -> bytes:
    info = f"gp-collective-voice/election/{election_id}/receipt".encode()
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(
        normalised_code.encode()
    )


def _context(election_id: int) -> bytes:
    return f"gp-collective-voice/election/{election_id}/receipt-ranking".encode()


def seal_ranking(
    election_id: int, normalised_code: str, names: list[str], every_name: list[str]
) -> bytes:
    """``names`` (the ranking, first preference first) sealed under the code, padded to the
    length of a ranking of ``every_name``."""
    plain = json.dumps(names).encode()
    longest = len(json.dumps(every_name).encode())
    padded = plain + b" " * max(0, longest - len(plain))
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(_key(election_id, normalised_code)).encrypt(
        nonce, padded, _context(election_id)
    )


def open_ranking(election_id: int, normalised_code: str, sealed: bytes) -> list[str] | None:
    """The ranking sealed under this code, or None when the code does not open it."""
    try:
        plain = AESGCM(_key(election_id, normalised_code)).decrypt(
            sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _context(election_id)
        )
    except InvalidTag:
        return None
    names: list[str] = json.loads(plain)
    return names
