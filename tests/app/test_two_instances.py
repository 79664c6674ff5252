"""Two gunicorn instances (4 workers each) on one PostgreSQL and one Redis behave as one portal:
signed in on one is signed in on the other, a rate limit counts across both, a ballot chosen
on one, confirmed on the other, is what both show, and a document uploaded through one is
served by both from the database.

Slow (two real servers start), so marked ``slow``; it is part of the suite and of ``make test``
(on PostgreSQL, where several instances mean something), and takes well under a minute.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from portal.database import utcnow
from portal.positions.models import ProposalDocument
from portal.voting.models import Ballot, Vote
from tests.concurrency import postgresql_only
from tests.conftest import free_port
from tests.factories import DEFAULT_PASSWORD, World, fresh_totp_code, make_world
from tests.instances import Browser, Gunicorn, portal_environment
from tests.positions.conftest import POSITIONS_WORLD, pdf_bytes
from tests.voting.helpers import WEIGHTED_WORLD, open_weighted_vote

pytestmark = [pytest.mark.slow, postgresql_only]

# Password reset requests: 10 a minute from one address (portal/ratelimits.py).
RESET_REQUESTS_PER_MINUTE = 10


@pytest.fixture
def instances(
    database_url: str, redis_url: str, db: Any, tmp_path: Path
) -> Iterator[tuple[Gunicorn, Gunicorn]]:
    environment = portal_environment(database_url, redis_url)
    # Each instance its own (empty) upload folder, as on two machines: a document can only
    # reach both through the database.
    started = [
        Gunicorn(
            free_port(),
            {**environment, "PORTAL_UPLOAD_DIR": str(tmp_path / f"uploads-{name}")},
            tmp_path,
            name=name,
        ).start()
        for name in "AB"
    ]
    try:
        for instance in started:
            instance.wait_until_serving()
        yield started[0], started[1]
    finally:
        for instance in started:
            instance.stop()


@pytest.fixture
def setting(db: Any) -> World:
    return make_world(**WEIGHTED_WORLD)


def test_two_instances_are_one_portal(
    instances: tuple[Gunicorn, Gunicorn], setting: World, db: Any, tmp_path: Path
) -> None:
    a, b = instances
    vote = open_weighted_vote(setting, db)
    partner = setting.partners[0]
    area = setting.area.slug
    db.session.commit()
    assert len(a.worker_pids()) == len(b.worker_pids()) == 4

    # Signed in on A, signed in on B: the session lives in the database, its cookie is signed
    # with the key both share.
    browser = Browser()
    signed_in = browser.sign_in(a.base, partner.email, DEFAULT_PASSWORD)
    assert signed_in.status == 302, signed_in.text
    assert not signed_in.location.endswith("/accounts/login")
    profile = browser.get(f"{b.base}/accounts/profile")
    assert profile.status == 200
    assert html.escape(partner.name) in profile.text
    assert Browser().get(f"{b.base}/accounts/profile").status == 302  # a stranger is not

    # A ballot chosen on A, checked and confirmed on B, is the one A then shows.
    cast_page = f"/areas/{area}/votes/{vote.id}/cast/A10001"
    chosen = browser.post(
        f"{a.base}{cast_page}",
        {"choice": "for", "csrf_token": browser.get(f"{a.base}{cast_page}").csrf_token()},
    )
    assert chosen.status == 302, chosen.text
    check = browser.get(f"{b.base}{cast_page}/check")
    assert check.status == 200
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', check.text)
    assert token is not None
    confirmed = browser.post(
        f"{b.base}{cast_page}/confirm",
        {"token": token.group(1), "csrf_token": check.csrf_token()},
    )
    assert confirmed.status == 302, confirmed.text
    receipt = browser.get(f"{a.base}{cast_page}/receipt")
    assert receipt.status == 200
    assert "Ballot cast" in receipt.text
    again = browser.get(f"{a.base}{cast_page}")
    assert "has already voted" in again.text
    db.session.expire_all()
    ballots = db.session.scalars(sa.select(Ballot).where(Ballot.vote_id == vote.id)).all()
    assert [(ballot.choice, ballot.version) for ballot in ballots] == [("for", 1)]
    assert db.session.get(Vote, vote.id).closes_at > utcnow()

    # The rate limit counts requests to both instances together, in Redis.
    stranger = Browser()
    form = stranger.get(f"{a.base}/accounts/password-reset").csrf_token()
    answers: Counter[int] = Counter()
    for number in range(RESET_REQUESTS_PER_MINUTE + 4):
        instance = (a, b)[number % 2]
        answers[
            stranger.post(
                f"{instance.base}/accounts/password-reset",
                {"email": "nobody@example.nhs.uk", "csrf_token": form},
            ).status
        ] += 1
    assert answers == {200: RESET_REQUESTS_PER_MINUTE, 429: 4}

    # A document uploaded through one instance is served, byte for byte, by both.
    world = make_world(**POSITIONS_WORLD)
    officer_email = world.people["officer"].email
    officer = Browser()
    signed_in = officer.sign_in(
        a.base, officer_email, DEFAULT_PASSWORD, code=fresh_totp_code(officer_email)
    )
    assert signed_in.status == 302, signed_in.text
    new_proposal = officer.get(f"{a.base}{world.url('proposals/new')}")
    assert new_proposal.status == 200
    created = officer.post_multipart(
        f"{a.base}{world.url('proposals/new')}",
        {
            "csrf_token": new_proposal.csrf_token(),
            "title": "Estates strategy",
            "owning_body": "ICB estates team",
            "ics_reference": "EST-7",
            "summary_markdown": "Three options.",
            "source_links": "",
            "deadline_day": "",
            "deadline_month": "",
            "deadline_year": "",
        },
        files={"documents": ("paper.pdf", "application/pdf", pdf_bytes())},
    )
    assert created.status == 302, created.text
    db.session.expire_all()
    document = db.session.scalars(sa.select(ProposalDocument)).one()
    path = world.url(f"proposals/{document.proposal_id}/documents/{document.id}")
    for instance in (b, a):
        downloaded = officer.get(f"{instance.base}{path}")
        assert downloaded.status == 200
        assert downloaded.content == pdf_bytes()
    assert not any((tmp_path / f"uploads-{name}").exists() for name in "AB")
