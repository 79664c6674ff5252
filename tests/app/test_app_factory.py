"""Settings, start-up without the database, security headers and the migrations' schema."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from config import ConfigurationError, check_production_settings, load_settings
from portal import create_app


def test_production_refuses_to_start_without_a_real_secret_key():
    for secret in (None, "", "dev", "changeme", "short-key"):
        environ = {"PORTAL_ENV": "production", "PORTAL_DATABASE_URL": "sqlite://"}
        if secret is not None:
            environ["PORTAL_SECRET_KEY"] = secret
        with pytest.raises(ConfigurationError, match="PORTAL_SECRET_KEY"):
            check_production_settings(load_settings(environ=environ))


def test_production_starts_with_a_real_key_and_database(monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PORTAL_SECRET_KEY", "Kq3-vX9_mT2pL7wR4nZ8sB1yH6cF0dJ5gA")
    monkeypatch.setenv("PORTAL_AUDIT_KEY", "u8Nf2Rk-Xw5Qz1Lp9Tb4Hc7Vy0Gm3Js6D_e")
    monkeypatch.setenv("PORTAL_EXTERNAL_URL", "https://voice.example.org")
    monkeypatch.setenv("PORTAL_REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setenv("PORTAL_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://nobody")


def test_portal_prefixed_environment_variables_override_settings():
    settings = load_settings(
        "development",
        environ={"PORTAL_SMTP_PORT": "2525", "PORTAL_SMTP_STARTTLS": "yes", "OTHER": "x"},
    )
    assert settings["SMTP_PORT"] == 2525
    assert settings["SMTP_STARTTLS"] is True
    with pytest.raises(ConfigurationError, match="PORTAL_SMTP_PORT"):
        load_settings("development", environ={"PORTAL_SMTP_PORT": "lots"})
    with pytest.raises(ConfigurationError, match="PORTAL_ENV"):
        load_settings(environ={"PORTAL_ENV": "staging"})


def test_create_app_touches_no_database(tmp_path):
    """An unreachable server must not stop the app starting: nothing connects at start-up."""
    app = create_app(
        {
            "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        }
    )
    assert app.url_map.bind("localhost").match("/accounts/login")[0] == "accounts.login"


def test_security_headers_on_every_page(client):
    response = client.get("/accounts/login")
    headers = response.headers
    assert "nonce-" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cache-Control"] == "no-store"
    nonce = headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    html = response.get_data(as_text=True)
    assert html.count(f'nonce="{nonce}"') >= 2
    assert "<script>" not in html


def test_unknown_page_gets_the_nhs_style_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_every_page_has_a_skip_link_and_one_main(client):
    html = client.get("/accounts/login").get_data(as_text=True)
    assert 'href="#maincontent"' in html
    assert html.count('id="maincontent"') == 1
    assert html.count("<h1") == 1


def test_migrations_produce_exactly_the_models_schema(app, db):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []
