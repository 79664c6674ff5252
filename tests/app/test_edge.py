"""The edge (portal/edge.py) on its own, in front of a small Flask app: what it keeps, what it
never keeps, and when it hands a request to Flask. The statements' own use of it, with the
portal, is tested in tests/statements/test_edge.py."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from flask import Flask, Response

from portal import edge


@pytest.fixture
def small() -> tuple[Flask, dict[str, Any], Counter[str]]:
    app = Flask(__name__)
    stamps: dict[str, Any] = {"pages": 1}
    runs: Counter[str] = Counter()
    edge.add_layer(app, "pages", lambda: stamps["pages"])
    edge.add_layer(app, "unsure", lambda: None)
    answers = {
        "plain": lambda: Response("hello"),
        "cookie": lambda: _with(Response("hello"), ("Set-Cookie", "who=you")),
        "vary": lambda: _with(Response("hello"), ("Vary", "Accept-Encoding")),
        "missing": lambda: Response("no", status=404),
        "limited": lambda: _with(
            Response("hello"), ("X-RateLimit-Remaining", "5"), ("Retry-After", "3")
        ),
    }

    @app.route("/<name>", methods=["GET", "POST"])
    def page(name: str) -> Response:
        runs[name] += 1
        edge.keep("unsure" if name == "unsure" else "pages", stamps["pages"])
        return answers.get(name, answers["plain"])()

    return app, stamps, runs


def _with(response: Response, *headers: tuple[str, str]) -> Response:
    for name, value in headers:
        response.headers[name] = value
    return response


def test_a_kept_response_is_answered_until_its_stamp_moves(small):
    app, stamps, runs = small
    client = app.test_client()
    first, second = client.get("/plain"), client.get("/plain")
    assert runs["plain"] == 1
    assert second.data == first.data == b"hello"
    assert "Content-Security-Policy" not in second.headers
    assert second.headers["X-Request-ID"]
    stamps["pages"] = 2
    client.get("/plain")
    assert runs["plain"] == 2
    client.post("/plain")
    assert runs["plain"] == 3


@pytest.mark.parametrize("name", ["cookie", "vary", "missing", "unsure"])
def test_what_is_not_the_same_for_everyone_is_never_kept(small, name):
    app, _stamps, runs = small
    client = app.test_client()
    client.get(f"/{name}")
    client.get(f"/{name}")
    assert runs[name] == 2


def test_one_clients_rate_limit_counters_are_never_shown_to_another(small):
    app, _stamps, runs = small
    client = app.test_client()
    assert client.get("/limited").headers["X-RateLimit-Remaining"] == "5"
    kept = client.get("/limited")
    assert runs["limited"] == 1
    assert "X-RateLimit-Remaining" not in kept.headers
    assert "Retry-After" not in kept.headers


def test_the_least_recently_answered_address_goes_first(small, monkeypatch):
    app, _stamps, runs = small
    monkeypatch.setattr(edge, "KEPT_ADDRESSES", 2)
    client = app.test_client()
    for query in ("a=1", "a=2", "a=3"):
        client.get(f"/plain?{query}")
    client.get("/plain?a=3")
    assert runs["plain"] == 3
    client.get("/plain?a=1")
    assert runs["plain"] == 4
