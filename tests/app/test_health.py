"""Health and readiness answer without signing in, and say which dependency is down."""

from __future__ import annotations

from portal import create_app
from tests.conftest import free_port


def test_healthz_answers_without_touching_the_database(app):
    broken = create_app({**app.config, "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/x"})
    response = broken.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_ready_when_the_database_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok"}}


def test_readyz_says_the_database_is_down(app):
    unreachable = f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/x"
    broken = create_app({**app.config, "DATABASE_URL": unreachable})
    with broken.app_context():
        response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "down"}


def test_readyz_checks_redis_when_the_portal_uses_it(app, db):
    app.config["REDIS_URL"] = "redis://127.0.0.1:6379/15"
    try:
        answered = app.test_client().get("/readyz")
        app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/15"
        down = app.test_client().get("/readyz")
    finally:
        app.config["REDIS_URL"] = None
    assert answered.status_code == 200
    assert answered.get_json()["checks"] == {"database": "ok", "redis": "ok"}
    assert down.status_code == 503
    assert down.get_json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "redis": "down"},
    }
