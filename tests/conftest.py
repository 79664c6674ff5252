"""Fixtures shared by the whole suite.

The suite runs against SQLite by default and against PostgreSQL when
``PORTAL_TEST_DATABASE_URL`` names one (``make test`` runs both). With ``CI=true`` an
unreachable PostgreSQL fails the run; elsewhere the PostgreSQL run says it was skipped.
"""

from __future__ import annotations

import contextvars
import os
import re
import secrets
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, has_app_context
from flask.testing import FlaskClient

from portal import create_app
from portal.extensions import db as database_extension


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own app context, as in production.

    Flask reuses an app context that is already pushed, so without this the test's own
    context (and its ``g`` and database session) would leak into every request. The test's
    own transaction ends before each request, so the request is not blocked by it and the
    test's next read starts afresh and sees what the request committed. Each response is
    closed as a server would close it, which sends the email it queued.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            database_extension.session.commit()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        # A server closes each response once sent, which is when the portal sends its email.
        response.make_sequence()
        response.close()
        return response


TEST_DATABASE_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
# Tests that need Redis (rate limits shared by workers) use this database and flush only it.
TEST_REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CSRF_FIELD = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def _postgresql_reachable(url: str) -> str | None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("select 1"))
    except sa.exc.OperationalError as error:
        return str(error).splitlines()[0]
    finally:
        engine.dispose()
    return None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: end-to-end test in a real Chromium")
    config.addinivalue_line("markers", "postgresql_only: needs PostgreSQL to mean anything")
    if TEST_DATABASE_URL.startswith("postgresql"):
        problem = _postgresql_reachable(TEST_DATABASE_URL)
        if problem:
            if os.environ.get("CI") == "true":
                pytest.exit(f"PostgreSQL is required in CI and is not reachable: {problem}", 1)
            pytest.exit(f"PostgreSQL run SKIPPED: server not reachable ({problem})", 0)


def pytest_report_header(config: pytest.Config) -> str:
    backend = "postgresql" if TEST_DATABASE_URL.startswith("postgresql") else "sqlite"
    return f"portal database backend: {backend}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """SQLite in a temporary file, or a PostgreSQL database made for this run alone.

    Each PostgreSQL run creates its own database next to the one named in
    ``PORTAL_TEST_DATABASE_URL`` and drops it afterwards, so runs side by side never meet.
    """
    if not TEST_DATABASE_URL.startswith("postgresql"):
        yield TEST_DATABASE_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    server = sa.create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    name = f"portal_test_{os.getpid()}_{secrets.token_hex(4)}"
    with server.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            sa.engine.make_url(TEST_DATABASE_URL)
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    application = create_app(
        {
            **_testing_settings(),
            "DATABASE_URL": database_url,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "OUTBOX_DIR": str(tmp_path_factory.mktemp("outbox")),
            "UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")),
        }
    )
    application.test_client_class = IsolatedClient
    with application.app_context():
        _reset_schema()
        from flask_migrate import upgrade

        upgrade()
    yield application
    with application.app_context():
        database_extension.engine.dispose()


def _testing_settings() -> dict[str, Any]:
    from config import load_settings

    return load_settings("testing")


def _reset_schema() -> None:
    """A database left by an earlier run (SQLite file named in the environment) starts empty."""
    engine = database_extension.engine
    existing = sa.MetaData()
    existing.reflect(bind=engine)
    existing.drop_all(bind=engine)


def _empty_all_tables() -> None:
    engine = database_extension.engine
    tables = [table.name for table in database_extension.metadata.sorted_tables]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            # Table names come from the models' own metadata, never from input.
            connection.execute(sa.text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                connection.execute(sa.text(f'DELETE FROM "{name}"'))  # noqa: S608


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The test Redis database, emptied before and after the test.

    Redis runs on these machines and in CI: an unreachable one fails in CI and skips elsewhere.
    """
    import redis

    connection = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required in CI and is not reachable: {error}", pytrace=False)
        pytest.skip(f"Redis not reachable at {TEST_REDIS_URL}: {error}")
    connection.flushdb()
    try:
        yield TEST_REDIS_URL
    finally:
        connection.flushdb()
        connection.close()


@pytest.fixture
def db(app: Flask) -> Iterator[Any]:
    """An app context with an empty database; everything written is removed afterwards."""
    with app.app_context():
        yield database_extension
        database_extension.session.rollback()
        database_extension.session.remove()
        _empty_all_tables()


@pytest.fixture
def client(app: Flask, db: Any) -> FlaskClient:
    return app.test_client()


def csrf_token_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def fetch_csrf_token(client: FlaskClient, url: str = "/accounts/login") -> str:
    response = client.get(url)
    return csrf_token_from(response.get_data(as_text=True))


SECOND_STEP = "/accounts/login/code"


def sign_in_with_form(
    client: FlaskClient, email: str, password: str | None = None, *, next_path: str | None = None
) -> Any:
    """Sign in through the real forms: the password, then (for an account with a second
    factor) a fresh code from its authenticator secret. Returns the last response."""
    from tests.factories import DEFAULT_PASSWORD, fresh_totp_code

    response = client.post(
        "/accounts/login",
        data={
            "email": email,
            "password": password or DEFAULT_PASSWORD,
            "next": next_path or "",
            "csrf_token": fetch_csrf_token(client),
        },
    )
    if response.status_code == 302 and response.headers["Location"] == SECOND_STEP:
        response = client.post(
            SECOND_STEP,
            data={
                "code": fresh_totp_code(email),
                "csrf_token": fetch_csrf_token(client, SECOND_STEP),
            },
        )
    return response


@pytest.fixture
def login(client: FlaskClient):
    """Sign a user in through the real form: ``login(user)`` (password from the factory)."""

    def sign_in(user: Any, password: str | None = None) -> Any:
        response = sign_in_with_form(client, user.email, password)
        assert response.status_code == 302, response.get_data(as_text=True)
        assert not response.headers["Location"].startswith("/accounts/login")
        return response

    return sign_in


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ReceivedEmail(EmailMessage):
    """A received email whose ``get_content()`` is its plain-text part, the canonical wording
    (the HTML alternative is rendered from it); ``get_body(("html",))`` reads the other."""

    def get_content(self, *args: Any, **kwargs: Any) -> Any:
        if self.is_multipart():
            plain = self.get_body(("plain",))
            assert plain is not None, "a multipart email without a plain-text part"
            return plain.get_content(*args, **kwargs)
        return super().get_content(*args, **kwargs)


class RecordingHandler:
    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.received = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        from email import message_from_bytes
        from email.policy import default

        message = message_from_bytes(envelope.content, _class=ReceivedEmail, policy=default)
        self.messages.append(message)
        self.received.set()
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(app: Flask) -> Iterator[RecordingHandler]:
    """A real SMTP server (aiosmtpd) on loopback; the app sends to it during the test."""
    from aiosmtpd.controller import Controller

    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    previous = {key: app.config.get(key) for key in ("SMTP_HOST", "SMTP_PORT")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    try:
        yield handler
    finally:
        app.config.update(previous)
        controller.stop()


REPO_ROOT = Path(__file__).resolve().parent.parent
