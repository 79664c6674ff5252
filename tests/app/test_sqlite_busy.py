"""On SQLite one request writes at a time. A request that waits too long for another's write
gets a page asking to try again, and nothing it sent is kept."""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from flask_migrate import upgrade

from portal import create_app
from portal.accounts.models import Role, SignInDelay
from portal.extensions import db
from tests.conftest import _testing_settings, fetch_csrf_token
from tests.factories import make_area, make_organisation, make_user


def test_a_write_that_waits_too_long_is_refused_with_a_page_and_nothing_kept(tmp_path):
    database = tmp_path / "busy.sqlite3"
    url = f"sqlite:///{database}"
    app = create_app(
        {
            **_testing_settings(),
            "DATABASE_URL": url,
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLITE_BUSY_TIMEOUT_SECONDS": 0.2,
            "OUTBOX_DIR": str(tmp_path / "outbox"),
            "UPLOAD_DIR": str(tmp_path / "uploads"),
        }
    )
    with app.app_context():
        upgrade()
        user = make_user(make_organisation(make_area()), Role.GP_PARTNER)
        email = user.email
        db.session.commit()
    client = app.test_client()
    token = fetch_csrf_token(client)
    other_writer = sqlite3.connect(database, isolation_level=None)
    other_writer.execute("BEGIN IMMEDIATE")
    try:
        response = client.post(
            "/accounts/login",
            data={"email": email, "password": "a wrong guess", "csrf_token": token},
        )
    finally:
        other_writer.execute("ROLLBACK")
        other_writer.close()

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    page = response.get_data(as_text=True)
    assert "The portal is busy" in page
    assert "Nothing you sent was saved" in page
    with app.app_context():
        assert (
            db.session.execute(sa.select(sa.func.count()).select_from(SignInDelay)).scalar_one()
            == 0
        )
        db.engine.dispose()
