"""Password hashing with argon2id; parameters come from settings so tests can run cheaply."""

from __future__ import annotations

import contextlib
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from zxcvbn import zxcvbn

# zxcvbn's scores run 0 to 4; 3 is "safely unguessable" (about 10^8 guesses or more), the
# least a password guarding a practice's ballot should be.
MINIMUM_GUESSABILITY_SCORE = 3
# Words anyone guessing a portal user's password would try first.
PORTAL_WORDS = ("gp", "collective", "voice", "nhs", "practice", "surgery", "lmc", "partner")
# zxcvbn's matching grows quickly with length; the first 100 characters decide.
GUESSABILITY_CHECKED_LENGTH = 100

# Verified against for an unknown email, so it takes as long as a wrong password does.
_UNKNOWN_USER_HASH_PASSWORD = "not-a-real-password-for-timing-only"  # noqa: S105


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_COST"],
        parallelism=config["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


@cache
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    """A hash made with the same parameters as real ones, for an unknown email to verify."""
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return hasher.hash(_UNKNOWN_USER_HASH_PASSWORD)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; with no hash, verify a dummy one and say no."""
    hasher = _hasher()
    if not password_hash:
        dummy = _dummy_hash(hasher.time_cost, hasher.memory_cost, hasher.parallelism)
        with contextlib.suppress(VerificationError, InvalidHashError):
            hasher.verify(dummy, password)
        return False
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def password_problem(password: str, email: str, minimum_length: int) -> str | None:
    """Why a new password is not good enough, or None when it is."""
    if len(password) < minimum_length:
        return f"Password must be {minimum_length} characters or more"
    if len(password) > 256:
        return "Password must be 256 characters or fewer"
    if len(set(password)) < 4:
        return "Password must not repeat the same few characters"
    if email and email.split("@")[0].lower() in password.lower():
        return "Password must not contain your email address"
    return guessability_problem(password, email)


def guessability_problem(password: str, email: str = "") -> str | None:
    """zxcvbn's reason a password is among the common or easily guessed, or None."""
    user_inputs = [*PORTAL_WORDS, *([email, *email.replace("@", ".").split(".")] if email else [])]
    verdict = zxcvbn(password[:GUESSABILITY_CHECKED_LENGTH], user_inputs=user_inputs)
    if verdict["score"] >= MINIMUM_GUESSABILITY_SCORE:
        return None
    feedback = verdict["feedback"]
    advice = " ".join(
        part for part in (feedback.get("warning"), *feedback.get("suggestions", [])[:1]) if part
    )
    return "Password is too easy to guess" + (f". {advice}" if advice else "")
