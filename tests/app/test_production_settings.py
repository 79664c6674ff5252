"""Production refuses every unsafe setting at start-up, naming each one."""

from __future__ import annotations

import secrets

import pytest

from config import (
    ConfigurationError,
    check_production_settings,
    estimated_entropy_bits,
    load_settings,
    production_problems,
)
from portal import create_app

SAFE = {
    "PORTAL_ENV": "production",
    "PORTAL_SECRET_KEY": secrets.token_urlsafe(48),
    "PORTAL_AUDIT_KEY": secrets.token_urlsafe(48),
    "PORTAL_EXTERNAL_URL": "https://voice.example.org",
    "PORTAL_REDIS_URL": "redis://127.0.0.1:6379/15",
    "PORTAL_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
}


def _problems(**changes: str) -> list[str]:
    return production_problems(load_settings(environ={**SAFE, **changes}))


def test_safe_production_settings_have_no_problem():
    assert _problems() == []


@pytest.mark.parametrize(
    "key",
    [
        "a" * 32,
        "a" * 64,
        "changeme" * 4,
        "changeme" * 8,
        "abababababababababababababababababab",
        "0123456789" * 4,
        "testing-secret-key-not-for-any-real-deployment",
        "short-key",
        "",
    ],
)
def test_a_well_known_short_or_low_entropy_key_is_refused(key):
    for name in ("SECRET_KEY", "AUDIT_KEY"):
        problems = _problems(**{f"PORTAL_{name}": key})
        assert any(problem.startswith(f"PORTAL_{name} ") for problem in problems), problems


def test_random_keys_of_the_usual_shapes_are_accepted():
    for key in (secrets.token_urlsafe(32), secrets.token_hex(32), secrets.token_urlsafe(48)):
        assert estimated_entropy_bits(key) >= 128, key
        assert _problems(PORTAL_SECRET_KEY=key) == []


def test_the_entropy_estimate_counts_distinct_characters_not_length():
    assert estimated_entropy_bits("a" * 32) == 0
    assert estimated_entropy_bits("changeme" * 4) < 25
    assert estimated_entropy_bits("changeme" * 8) == estimated_entropy_bits("changeme" * 4)
    assert estimated_entropy_bits("Kq3-vX9_mT2pL7wR4nZ8sB1yH6cF0dJ5gA") > 128


def test_unknown_portal_variables_are_kept_as_text():
    settings = load_settings("development", environ={"PORTAL_TEST_DATABASE_URL": "sqlite://"})
    assert settings["TEST_DATABASE_URL"] == "sqlite://"


def test_debug_is_refused_whether_set_by_the_portal_or_by_flask(monkeypatch):
    assert any("debug" in problem for problem in _problems(PORTAL_DEBUG="1"))
    assert _problems(PORTAL_DEBUG="0") == []
    for name, value in SAFE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(ConfigurationError, match="debug mode must be off"):
        create_app()
    monkeypatch.delenv("FLASK_DEBUG")
    assert create_app().debug is False


@pytest.mark.parametrize(
    "flag",
    [
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "REMEMBER_COOKIE_SECURE",
        "REMEMBER_COOKIE_HTTPONLY",
        "STRICT_TRANSPORT_SECURITY",
    ],
)
def test_secure_cookie_and_transport_flags_cannot_be_turned_off(flag):
    assert _problems(**{f"PORTAL_{flag}": "0"}) == [f"PORTAL_{flag} must be on in production"]


def test_same_site_cookies_cannot_be_relaxed():
    assert _problems(PORTAL_SESSION_COOKIE_SAMESITE="None") == [
        "PORTAL_SESSION_COOKIE_SAMESITE must be Lax or Strict in production"
    ]


@pytest.mark.parametrize("url", ["", "http://voice.example.org", "voice.example.org", "https://"])
def test_an_https_external_url_is_required(url):
    problems = _problems(PORTAL_EXTERNAL_URL=url)
    assert len(problems) == 1, problems
    assert problems[0].startswith("PORTAL_EXTERNAL_URL must be")


def test_the_audit_key_and_redis_are_required_and_the_two_keys_differ():
    environ = {k: v for k, v in SAFE.items() if k not in ("PORTAL_AUDIT_KEY", "PORTAL_REDIS_URL")}
    problems = production_problems(load_settings(environ=environ))
    assert [p.split()[0] for p in problems] == ["PORTAL_AUDIT_KEY", "PORTAL_REDIS_URL"]
    same = _problems(PORTAL_AUDIT_KEY=SAFE["PORTAL_SECRET_KEY"])
    assert same == ["PORTAL_AUDIT_KEY must differ from PORTAL_SECRET_KEY"]


def test_every_problem_is_named_in_the_refusal():
    settings = load_settings(
        environ={"PORTAL_ENV": "production", "PORTAL_SESSION_COOKIE_SECURE": "0"}
    )
    with pytest.raises(ConfigurationError) as refusal:
        check_production_settings(settings)
    message = str(refusal.value)
    for name in ("SECRET_KEY", "AUDIT_KEY", "DATABASE_URL", "EXTERNAL_URL", "REDIS_URL"):
        assert f"PORTAL_{name}" in message
    assert "PORTAL_SESSION_COOKIE_SECURE must be on" in message


def test_the_embedded_default_keeps_its_keys_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    app = create_app({"SECRET_KEY": None, "AUDIT_KEY": None})
    from pathlib import Path

    instance = Path(app.instance_path)
    assert app.config["AUDIT_KEY"] == (instance / "audit_key").read_text().strip()
    assert app.config["SECRET_KEY"] == (instance / "secret_key").read_text().strip()
    assert app.config["AUDIT_KEY"] != app.config["SECRET_KEY"]
    assert (instance / "audit_key").stat().st_mode & 0o077 == 0
