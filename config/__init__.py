"""Settings for the portal.

Each environment is a class below; ``load_settings`` starts from one of them and then applies
every ``PORTAL_<NAME>`` environment variable over it, so a deployment never edits code.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

ENVIRONMENT_VARIABLE_PREFIX = "PORTAL_"
INSECURE_SECRET_KEYS = frozenset({"", "dev", "change-me", "changeme", "secret", "development"})
MINIMUM_SECRET_KEY_LENGTH = 32
MAIL_DELIVERY_CHOICES = ("worker", "request")


class Defaults:
    ENV_NAME = "defaults"
    SECRET_KEY: str | None = None
    DATABASE_URL: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, Any]] = {"pool_pre_ping": True}
    # How long a SQLite request waits for another one's write before it gives up and the
    # person is asked to try again (PostgreSQL writers wait on row locks instead).
    SQLITE_BUSY_TIMEOUT_SECONDS = 10
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "gpcv_session"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 8 * 60 * 60
    WTF_CSRF_TIME_LIMIT = 8 * 60 * 60
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    # Mail: with no SMTP host, messages go to the outbox folder in the instance folder.
    SMTP_HOST: str | None = None
    SMTP_PORT = 25
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS = False
    SMTP_TIMEOUT = 10
    MAIL_FROM = "GP Collective Voice <no-reply@gp-collective-voice.invalid>"
    OUTBOX_DIR: str | None = None
    # "worker": requests only record email and `flask worker` sends it (production);
    # "request": the request that committed also sends its own at once (no worker needed).
    MAIL_DELIVERY = "worker"
    # Absolute base of links in emails (invitations, resets); falls back to the request's host.
    EXTERNAL_URL: str | None = None
    # Redis (e.g. redis://127.0.0.1:6379/0) for what several instances must share; none on the
    # embedded default.
    REDIS_URL: str | None = None
    # Proposal documents live here, outside the web root (default: instance/uploads).
    UPLOAD_DIR: str | None = None
    PROPOSAL_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
    INVITATION_LIFETIME_HOURS = 72
    PASSWORD_RESET_LIFETIME_MINUTES = 60
    # Signed-in sessions: idle limits (officers and administrators, everyone else), absolute
    # limit, and how recent a password-and-code check must be before a sensitive change.
    SESSION_IDLE_MINUTES_OFFICER = 30
    SESSION_IDLE_MINUTES = 120
    SESSION_ABSOLUTE_HOURS = 12
    REAUTHENTICATION_MINUTES = 10
    KNOWN_BROWSER_COOKIE_NAME = "gpcv_known_browser"
    KNOWN_BROWSER_DAYS = 365
    MINIMUM_PASSWORD_LENGTH = 12
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    ARGON2_PARALLELISM = 4
    STRICT_TRANSPORT_SECURITY = True
    # One JSON object a log line, with the request's id (see portal/logs.py).
    LOG_JSON = True


class Development(Defaults):
    ENV_NAME = "development"
    MAIL_DELIVERY = "request"
    LOG_JSON = False
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    STRICT_TRANSPORT_SECURITY = False


class Testing(Defaults):
    ENV_NAME = "testing"
    MAIL_DELIVERY = "request"
    LOG_JSON = False
    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-any-real-deployment"  # noqa: S105
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    STRICT_TRANSPORT_SECURITY = False
    # Cheap hashing keeps the suite fast; the parameters are still argon2id.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    ARGON2_PARALLELISM = 1


class Production(Defaults):
    ENV_NAME = "production"


ENVIRONMENTS: dict[str, type[Defaults]] = {
    "development": Development,
    "testing": Testing,
    "production": Production,
}


class ConfigurationError(RuntimeError):
    """The settings would make an unsafe or broken portal; it refuses to start."""


def _coerce(raw: str, current: Any) -> Any:
    if isinstance(current, bool):
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigurationError(f"expected true or false, got {raw!r}")
    if isinstance(current, int):
        try:
            return int(raw)
        except ValueError as error:
            raise ConfigurationError(f"expected a whole number, got {raw!r}") from error
    return raw


def load_settings(
    environment: str | None = None, environ: dict[str, str] | None = None
) -> dict[str, Any]:
    """Return the settings for ``environment`` with ``PORTAL_*`` variables applied over them."""
    environ = dict(os.environ if environ is None else environ)
    name = environment or environ.get("PORTAL_ENV", "development")
    if name not in ENVIRONMENTS:
        raise ConfigurationError(
            f"PORTAL_ENV={name!r} is not one of {', '.join(sorted(ENVIRONMENTS))}"
        )
    base = ENVIRONMENTS[name]
    settings = {key: getattr(base, key) for key in dir(base) if key.isupper()}
    for variable, raw in environ.items():
        if not variable.startswith(ENVIRONMENT_VARIABLE_PREFIX) or variable == "PORTAL_ENV":
            continue
        key = variable[len(ENVIRONMENT_VARIABLE_PREFIX) :]
        try:
            settings[key] = _coerce(raw, settings.get(key))
        except ConfigurationError as error:
            raise ConfigurationError(f"{variable}: {error}") from error
    if settings["MAIL_DELIVERY"] not in MAIL_DELIVERY_CHOICES:
        raise ConfigurationError(
            f"PORTAL_MAIL_DELIVERY must be one of {', '.join(MAIL_DELIVERY_CHOICES)}, "
            f"not {settings['MAIL_DELIVERY']!r}"
        )
    return settings


def check_production_settings(settings: dict[str, Any]) -> None:
    """Refuse to run a production portal with a guessable secret key or no database."""
    if settings.get("ENV_NAME") != "production":
        return
    secret_key = settings.get("SECRET_KEY") or ""
    if secret_key.lower() in INSECURE_SECRET_KEYS or len(secret_key) < MINIMUM_SECRET_KEY_LENGTH:
        raise ConfigurationError(
            "PORTAL_SECRET_KEY must be set to a random value of at least "
            f"{MINIMUM_SECRET_KEY_LENGTH} characters in production "
            '(for example: python -c "import secrets; print(secrets.token_urlsafe(48))")'
        )
    if not settings.get("DATABASE_URL"):
        raise ConfigurationError("PORTAL_DATABASE_URL must be set in production")
