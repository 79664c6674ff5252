"""Emailed links come from PORTAL_EXTERNAL_URL, and a request for any other host is refused."""

from __future__ import annotations

import re

import pytest

from portal.accounts.models import Role
from tests.conftest import fetch_csrf_token
from tests.factories import make_area, make_organisation, make_user

RESET_LINK = re.compile(r"\S+/accounts/password-reset/[A-Za-z0-9_-]+")


def _ask_for_reset(client, email: str, host: str):
    # The form is fetched from the portal's own address; only the POST names the other host.
    token = fetch_csrf_token(client, "/accounts/password-reset")
    client.set_cookie(
        client.get_cookie("gpcv_session").key,
        client.get_cookie("gpcv_session").value,
        domain=host.split(":")[0],
    )
    return client.post(
        "/accounts/password-reset",
        data={"email": email, "csrf_token": token},
        headers={"Host": host},
    )


def test_a_reset_asked_for_with_a_foreign_host_is_refused_and_mails_nothing(
    client, db, smtp_server
):
    make_user(make_organisation(make_area()), Role.GP_PARTNER, email="forgetful@example.nhs.uk")
    response = _ask_for_reset(client, "forgetful@example.nhs.uk", "evil.example")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This is not an address of the portal. Use http://localhost/ instead." in page
    assert 'class="nhsuk-header' in page
    assert not smtp_server.received.wait(1)


@pytest.mark.parametrize("host", ["evil.example", "localhost.evil.example", "evil.example:80"])
def test_every_page_refuses_a_foreign_host_with_a_page_not_a_500(client, db, host):
    for path in ("/", "/accounts/login", "/receipts", "/api/v1/statements", "/no/such/page"):
        response = client.get(path, headers={"Host": host})
        assert response.status_code == 400, path


def test_emailed_links_use_the_external_url_even_on_another_trusted_host(
    app, client, db, smtp_server, monkeypatch
):
    """A second trusted name (a health-check address, say) still mails the public address."""
    monkeypatch.setitem(app.config, "EXTERNAL_URL", "https://voice.example.org")
    trusted = ["voice.example.org", "localhost", "127.0.0.1"]
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", trusted)
    make_user(make_organisation(make_area()), Role.GP_PARTNER, email="forgetful@example.nhs.uk")
    response = _ask_for_reset(client, "forgetful@example.nhs.uk", "127.0.0.1:8080")
    assert response.status_code == 200
    assert smtp_server.received.wait(5)
    link = RESET_LINK.search(smtp_server.messages[0].get_content())
    assert link, smtp_server.messages[0].get_content()
    assert link.group(0).startswith("https://voice.example.org/accounts/password-reset/")


def test_trusted_hosts_come_from_the_external_url():
    from portal import create_app

    app = create_app({"EXTERNAL_URL": "https://voice.example.org", "TRUSTED_HOSTS": None})
    assert app.config["TRUSTED_HOSTS"] == ["voice.example.org"]
    page = app.test_client().get("/accounts/login", headers={"Host": "voice.example.org"})
    assert page.status_code == 200
    assert app.test_client().get("/", headers={"Host": "localhost"}).status_code == 400
