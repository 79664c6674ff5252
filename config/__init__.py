"""Settings for the portal.

Each environment is a class below; ``load_settings`` starts from one of them and then applies
every ``PORTAL_<NAME>`` environment variable over it, so a deployment never edits code.
"""

from __future__ import annotations

import math
import os
import string
from typing import Any, ClassVar
from urllib.parse import urlsplit

ENVIRONMENT_VARIABLE_PREFIX = "PORTAL_"
# Keys seen in tutorials, templates and this project's own history: refused whatever their length.
WELL_KNOWN_SECRET_KEYS = frozenset(
    {
        "",
        "dev",
        "change-me",
        "changeme",
        "changeme" * 4,
        "secret",
        "secret-key",
        "secretkey",
        "development",
        "super-secret",
        "supersecret",
        "your-secret-key",
        "you-will-never-guess",
        "replace-me",
        "testing-secret-key-not-for-any-real-deployment",
        "a" * 32,
        "x" * 32,
        "0" * 32,
        "0123456789abcdef" * 2,
    }
)
MINIMUM_SECRET_KEY_LENGTH = 32
MAIL_DELIVERY_CHOICES = ("worker", "request")
# Flask's own switches, absent from the classes below, read as true or false (PORTAL_DEBUG=0).
BOOLEAN_FLASK_SETTINGS = frozenset({"DEBUG", "TESTING"})
MINIMUM_KEY_ENTROPY_BITS = 128


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
    # Absolute base of every link in emails, feeds and the API (https://portal.example.nhs.uk).
    # Required in production; the request's Host header is never used for a link, and a
    # request naming any other host is refused with 400 (Flask's TRUSTED_HOSTS).
    EXTERNAL_URL: str | None = None
    # Key of the audit chain's HMAC; kept outside the database (required in production).
    AUDIT_KEY: str | None = None
    # A process chains the audit entries its commits wrote at most this often, so that under
    # load one chaining takes many commits' entries (portal/audit/chaining.py); 0 chains each
    # commit's own at once.
    AUDIT_CHAIN_DELAY_MS = 100
    # Redis for what every instance and worker shares (rate limits); without it, limits are
    # per process.
    REDIS_URL: str | None = None
    RATELIMIT_ENABLED = True
    # Reverse proxies of our own in front of the portal (nginx: 1), whose X-Forwarded-For
    # names the client address the rate limits count by. 0 trusts no such header.
    TRUSTED_PROXIES = 0
    # More host names a request may name besides EXTERNAL_URL's (comma-separated).
    TRUSTED_HOSTS: str | None = None
    # Where proposal documents were kept before they moved into the database: read only by the
    # migration that moves them (default: instance/uploads).
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
    # scrypt cost of a scrutineer's passphrase key (2**17 with r = 8: 128 MiB, OWASP's figure).
    SCRUTINY_SCRYPT_COST = 2**17
    STRICT_TRANSPORT_SECURITY = True
    # One JSON object a log line, with the request's id (see portal/logs.py).
    LOG_JSON = True
    # Retention (portal/retention.py, stated on the privacy notice at /privacy): a vote's
    # ballots, receipts' links and ballot record are kept this many days after it closes
    # (trade-union ballots: a year), and a deactivated member's name, address and sign-in
    # details this many days after deactivation.
    RETENTION_BALLOT_DAYS = 365
    RETENTION_FORMER_MEMBER_DAYS = 90


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
    AUDIT_KEY = "testing-audit-key-not-for-any-real-deployment"
    # Each commit's entries chained before the request answers: tests read the chain at once.
    AUDIT_CHAIN_DELAY_MS = 0
    # Links in the suite's emails and feeds; the live server for browser tests is on 127.0.0.1.
    EXTERNAL_URL = "http://localhost"
    TRUSTED_HOSTS = "localhost,127.0.0.1"
    # The suite signs in hundreds of times from one address; the rate-limit tests turn it on.
    RATELIMIT_ENABLED = False
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    STRICT_TRANSPORT_SECURITY = False
    # Cheap hashing keeps the suite fast; the parameters are still argon2id.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    ARGON2_PARALLELISM = 1
    SCRUTINY_SCRYPT_COST = 2**10


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
            default = False if key in BOOLEAN_FLASK_SETTINGS else None
            settings[key] = _coerce(raw, settings.get(key, default))
        except ConfigurationError as error:
            raise ConfigurationError(f"{variable}: {error}") from error
    if settings["MAIL_DELIVERY"] not in MAIL_DELIVERY_CHOICES:
        raise ConfigurationError(
            f"PORTAL_MAIL_DELIVERY must be one of {', '.join(MAIL_DELIVERY_CHOICES)}, "
            f"not {settings['MAIL_DELIVERY']!r}"
        )
    return settings


def estimated_entropy_bits(key: str) -> float:
    """A cautious estimate of a key's randomness, in bits.

    Each character of the key's shortest repeating unit (all of it, unless the key is one
    piece said over and over) is credited with log2 of the smaller of two alphabets: the
    character classes it uses (lower case, upper case, digits, others) and the distinct
    characters it actually contains. So ``'a' * 32`` is worth nothing, ``'changeme' * 8``
    about 22 bits and ``secrets.token_urlsafe(32)`` about 200.
    """
    if not key:
        return 0.0
    period = next(p for p in range(1, len(key) + 1) if key == (key[:p] * len(key))[: len(key)])
    classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits)
    pool = sum(len(chars) for chars in classes if any(c in chars for c in key))
    if any(not any(c in chars for chars in classes) for c in key):
        pool += 33
    alphabet = min(pool, len(set(key)))
    return period * math.log2(alphabet) if alphabet > 1 else 0.0


def _key_problem(name: str, key: str | None) -> str | None:
    key = key or ""
    advice = 'for example: python -c "import secrets; print(secrets.token_urlsafe(48))"'
    if key.lower() in WELL_KNOWN_SECRET_KEYS or key in WELL_KNOWN_SECRET_KEYS:
        return f"PORTAL_{name} is missing or a well-known value; set a random one ({advice})"
    if len(key) < MINIMUM_SECRET_KEY_LENGTH:
        return (
            f"PORTAL_{name} must be a random value of at least {MINIMUM_SECRET_KEY_LENGTH} "
            f"characters in production ({advice})"
        )
    if estimated_entropy_bits(key) < MINIMUM_KEY_ENTROPY_BITS:
        return (
            f"PORTAL_{name} is too predictable (about {estimated_entropy_bits(key):.0f} bits, "
            f"at least {MINIMUM_KEY_ENTROPY_BITS} needed); set a random one ({advice})"
        )
    return None


def production_problems(settings: dict[str, Any]) -> list[str]:
    """Every reason these settings are unsafe for production (empty when they are fine)."""
    problems = [
        problem
        for problem in (
            _key_problem("SECRET_KEY", settings.get("SECRET_KEY")),
            _key_problem("AUDIT_KEY", settings.get("AUDIT_KEY")),
        )
        if problem
    ]
    if settings.get("AUDIT_KEY") and settings.get("AUDIT_KEY") == settings.get("SECRET_KEY"):
        problems.append("PORTAL_AUDIT_KEY must differ from PORTAL_SECRET_KEY")
    if not settings.get("DATABASE_URL"):
        problems.append("PORTAL_DATABASE_URL must be set in production")
    if settings.get("DEBUG"):
        problems.append("debug mode must be off in production (unset FLASK_DEBUG/PORTAL_DEBUG)")
    if settings.get("TESTING"):
        problems.append("PORTAL_TESTING must be off in production")
    for flag in (
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "REMEMBER_COOKIE_SECURE",
        "REMEMBER_COOKIE_HTTPONLY",
        "STRICT_TRANSPORT_SECURITY",
    ):
        if not settings.get(flag):
            problems.append(f"PORTAL_{flag} must be on in production")
    for flag in ("SESSION_COOKIE_SAMESITE", "REMEMBER_COOKIE_SAMESITE"):
        if settings.get(flag) not in ("Lax", "Strict"):
            problems.append(f"PORTAL_{flag} must be Lax or Strict in production")
    external = urlsplit(settings.get("EXTERNAL_URL") or "")
    if external.scheme != "https" or not external.hostname:
        problems.append(
            "PORTAL_EXTERNAL_URL must be the portal's https address in production "
            "(for example https://voice.example-lmc.org.uk); emailed links are built from it"
        )
    if not settings.get("REDIS_URL"):
        problems.append(
            "PORTAL_REDIS_URL must be set in production so that every worker shares the "
            "rate limits (for example redis://127.0.0.1:6379/0)"
        )
    return problems


def check_production_settings(settings: dict[str, Any]) -> None:
    """Refuse to run a production portal with any unsafe setting, naming every one."""
    if settings.get("ENV_NAME") != "production":
        return
    problems = production_problems(settings)
    if problems:
        raise ConfigurationError("unsafe settings for production:\n- " + "\n- ".join(problems))
