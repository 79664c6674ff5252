"""The second factor: time-based one-time codes (TOTP, RFC 6238) and single-use recovery codes.

A code is checked against the time step before, at and after now (30 seconds each, for clocks
that drift), and only a step later than the last one accepted counts: pyotp alone would take
the same code twice. The step is stored with a conditional update, so two requests racing
with one code cannot both succeed. Recovery codes are kept only as SHA-256 hashes: each is
80 random bits, too long to guess, so a slow hash adds nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any, cast

import pyotp
import segno
import sqlalchemy as sa
from sqlalchemy.engine import CursorResult

from portal.accounts.models import RecoveryCode, User
from portal.audit.services import record
from portal.extensions import db

ISSUER = "GP Collective Voice"
TIME_STEP_SECONDS = 30
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_code_svg(uri: str) -> str:
    """The set-up link as an inline SVG QR code (no image file, so it fits the strict CSP)."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, border=4, dark="#000", light="#fff", title="QR code for your authenticator app"
    )
    return svg.replace("<svg ", '<svg role="img" ', 1)


def time_step(moment: datetime) -> int:
    return int(moment.timestamp()) // TIME_STEP_SECONDS


def matching_step(secret: str, code: str, last_step: int | None, now: datetime) -> int | None:
    """The time step ``code`` belongs to, if it is near now and later than ``last_step``."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = time_step(now)
    for step in (current - 1, current, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.at(step * TIME_STEP_SECONDS), code):
            return step
    return None


def _recovery_hash(code: str) -> str:
    normalised = "".join(code.lower().split()).replace("-", "")
    return hashlib.sha256(normalised.encode()).hexdigest()


def _new_recovery_code() -> str:
    letters = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
    return "-".join(letters[index : index + 4] for index in range(0, 16, 4))


def accept_code(user: User, code: str, now: datetime) -> bool:
    """Whether ``code`` is a fresh TOTP code or an unused recovery code of ``user``; use it up."""
    if user.totp_secret is None:
        return False
    step = matching_step(user.totp_secret, code, user.totp_last_step, now)
    if step is not None:
        claimed = db.session.execute(
            sa.update(User)
            .where(
                User.id == user.id,
                sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step),
            )
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(user, ["totp_last_step"])
        return cast(CursorResult[Any], claimed).rowcount == 1
    used = db.session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], used).rowcount != 1:
        return False
    record(
        "account.recovery_code_used",
        "Signed in with a recovery code",
        actor=user,
        subject=user,
        details={"left": unused_recovery_codes(user)},
    )
    return True


def unused_recovery_codes(user: User) -> int:
    return db.session.execute(
        sa.select(sa.func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).scalar_one()


def enable(user: User, secret: str, code: str, now: datetime) -> list[str] | None:
    """Turn on (or replace) the second factor if ``code`` comes from ``secret``.

    Returns the ten new recovery codes, to be shown once, or None when the code is wrong.
    Earlier recovery codes stop working.
    """
    step = matching_step(secret, code, None, now)
    if step is None:
        return None
    replacing = user.totp_secret is not None
    user.totp_secret = secret
    user.totp_last_step = step
    user.second_factor_since = now
    codes = _replace_recovery_codes(user)
    record(
        "account.second_factor_replaced" if replacing else "account.second_factor_enabled",
        "Second factor replaced" if replacing else "Second factor set up",
        actor=user,
        subject=user,
    )
    db.session.flush()
    return codes


def disable(user: User) -> None:
    user.totp_secret = None
    user.totp_last_step = None
    user.second_factor_since = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    record("account.second_factor_removed", "Second factor turned off", actor=user, subject=user)
    db.session.flush()


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(c)) for c in codes)
    return codes
