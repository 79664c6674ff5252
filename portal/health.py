"""Health checks for a load balancer or an orchestrator.

``/healthz`` says the process is up and answers without touching anything else, so a slow
database never gets a healthy instance restarted. ``/readyz`` says the instance can serve: the
database answers and, when the portal is set up with Redis, Redis answers too. Neither needs
signing in, writes anything or reveals more than which dependency is down.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, jsonify

from portal.extensions import db

blueprint = Blueprint("health", __name__)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/healthz")
def healthz() -> Response:
    return _no_store(jsonify(status="ok"))


def _database_answers() -> bool:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        current_app.logger.exception("readiness: the database did not answer")
        db.session.rollback()
        return False
    return True


def _redis_answers(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        return bool(client.ping())
    except redis.RedisError:
        current_app.logger.exception("readiness: Redis did not answer")
        return False
    finally:
        client.close()


@blueprint.get("/readyz")
def readyz() -> Response:
    checks = {"database": "ok" if _database_answers() else "down"}
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        checks["redis"] = "ok" if _redis_answers(redis_url) else "down"
    ready = all(state == "ok" for state in checks.values())
    response = jsonify(status="ok" if ready else "unavailable", checks=checks)
    response.status_code = 200 if ready else 503
    return _no_store(response)
