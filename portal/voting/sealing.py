"""Sealing a secret ballot's full record so that only its scrutineers can open it.

Pure logic on bytes (no Flask, no database), with the ``cryptography`` package.

A secret ballot closes on its own, in the worker, when nobody's passphrase is at hand, so the
record cannot be encrypted under a key derived from a passphrase at that moment. Each
scrutineer therefore holds a key pair:

- When appointed, a scrutineer sets a passphrase. An X25519 key pair is made; its private key
  is encrypted with AES-256-GCM under a key derived from the passphrase with scrypt (a random
  16-byte salt, the cost kept beside it). Only the public key, the encrypted private key, the
  salt and the cost are stored: the passphrase never is.
- At close the record is encrypted with AES-256-GCM under a random 256-bit data key, and the
  data key is wrapped for each scrutineer: an ephemeral X25519 key agreed with the
  scrutineer's public key, HKDF-SHA256 to a wrapping key, AES-256-GCM. The data key is then
  forgotten.
- To open it, the scrutineer's passphrase unlocks the private key, which unwraps the data key,
  which decrypts the record.

So the database alone (a copy of it, a backup, whoever reads it next year) holds nothing that
links an organisation to a choice. Every encryption is bound to the vote by its associated
data, so a sealed record cannot be passed off as another vote's.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

# scrypt cost: 2**17 with r = 8 uses 128 MiB per derivation, OWASP's recommendation. Tests pass
# a lower cost; the cost used is stored with each key, so raising it later breaks no key.
SCRYPT_COST = 2**17
SCRYPT_BLOCK = 8
SALT_BYTES = 16
NONCE_BYTES = 12
KEY_BYTES = 32
MINIMUM_PASSPHRASE = 12


class WrongPassphrase(ValueError):
    """The passphrase does not unlock this scrutineer's key."""


@dataclass(frozen=True)
class ScrutineerKey:
    """What is stored for one scrutineer once the passphrase is set."""

    public_key: bytes
    sealed_private_key: bytes  # nonce + AES-GCM ciphertext
    salt: bytes
    cost: int


def _passphrase_key(passphrase: str, salt: bytes, cost: int) -> bytes:
    kdf = Scrypt(salt=salt, length=KEY_BYTES, n=cost, r=SCRYPT_BLOCK, p=1)
    return kdf.derive(passphrase.encode("utf-8"))


def _encrypt(key: bytes, plaintext: bytes, context: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, context)


def _decrypt(key: bytes, sealed: bytes, context: bytes) -> bytes:
    return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context)


def make_key(passphrase: str, context: bytes, *, cost: int = SCRYPT_COST) -> ScrutineerKey:
    """A new key pair whose private half only ``passphrase`` unlocks."""
    if len(passphrase) < MINIMUM_PASSPHRASE:
        raise ValueError(f"A passphrase needs at least {MINIMUM_PASSPHRASE} characters")
    private = X25519PrivateKey.generate()
    salt = secrets.token_bytes(SALT_BYTES)
    raw_private = private.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    sealed = _encrypt(_passphrase_key(passphrase, salt, cost), raw_private, context)
    return ScrutineerKey(public, sealed, salt, cost)


def unlock(passphrase: str, key: ScrutineerKey, context: bytes) -> X25519PrivateKey:
    """The scrutineer's private key; ``WrongPassphrase`` if the passphrase is not theirs."""
    try:
        raw = _decrypt(
            _passphrase_key(passphrase, key.salt, key.cost), key.sealed_private_key, context
        )
    except InvalidTag:
        raise WrongPassphrase("That passphrase does not open this record") from None
    return X25519PrivateKey.from_private_bytes(raw)


def _wrapping_key(shared: bytes, context: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=b"wrap:" + context
    ).derive(shared)


def seal(plaintext: bytes, public_keys: list[bytes], context: bytes) -> tuple[bytes, list[bytes]]:
    """The sealed record and, for each public key in order, its wrapped data key."""
    data_key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
    sealed = _encrypt(data_key, plaintext, context)
    wrapped = []
    for public in public_keys:
        ephemeral = X25519PrivateKey.generate()
        shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public))
        ephemeral_public = ephemeral.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        wrapped.append(
            ephemeral_public + _encrypt(_wrapping_key(shared, context), data_key, context)
        )
    return sealed, wrapped


def open_sealed(sealed: bytes, wrapped: bytes, private: X25519PrivateKey, context: bytes) -> bytes:
    """The record, opened with one scrutineer's unlocked private key."""
    ephemeral_public, wrapped_key = wrapped[:KEY_BYTES], wrapped[KEY_BYTES:]
    shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
    data_key = _decrypt(_wrapping_key(shared, context), wrapped_key, context)
    return _decrypt(data_key, sealed, context)


def open_with_passphrase(
    passphrase: str,
    key: ScrutineerKey,
    wrapped: bytes,
    sealed: bytes,
    key_context: bytes,
    record_context: bytes,
) -> bytes:
    """The sealed copy, opened by one scrutineer: ``WrongPassphrase`` if it is not theirs."""
    return open_sealed(sealed, wrapped, unlock(passphrase, key, key_context), record_context)
