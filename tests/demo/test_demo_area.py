"""The demo area loads the real QNC practices and one person per role, matching the README."""

from __future__ import annotations

import re

import pyotp
import pytest
import sqlalchemy as sa

from portal.accounts.models import Role, User
from portal.demo.loader import (
    DEMO_PASSWORD,
    DEMO_PEOPLE,
    DEMO_TOTP_SECRETS,
    DemoRefused,
    load_demo_area,
)
from portal.organisations.models import Area, Organisation, OrganisationKind
from tests.conftest import REPO_ROOT, fetch_csrf_token


def _count(db, kind):
    return db.session.execute(
        sa.select(sa.func.count(Organisation.id)).where(Organisation.kind == kind)
    ).scalar_one()


def test_demo_area_has_real_practices_and_every_role(db):
    load_demo_area()
    db.session.commit()
    assert _count(db, OrganisationKind.PRACTICE) == 141
    assert _count(db, OrganisationKind.PCN) == 25
    horsefair = db.session.execute(
        sa.select(Organisation).where(Organisation.ods_code == "M83001")
    ).scalar_one()
    assert horsefair.list_size > 1000
    assert horsefair.current_pcn.ods_code == "U16318"
    roles = {
        membership.role
        for user in db.session.execute(sa.select(User)).scalars()
        for membership in user.memberships
    }
    assert roles == set(Role)


def test_loading_twice_is_refused_or_skipped(db):
    load_demo_area()
    db.session.commit()
    assert "already loaded" in load_demo_area(if_empty=True)
    with pytest.raises(DemoRefused):
        load_demo_area()
    assert db.session.execute(sa.select(sa.func.count(Area.id))).scalar_one() == 1


def test_demo_never_loads_in_production(app, db):
    previous = app.config["ENV_NAME"]
    app.config["ENV_NAME"] = "production"
    try:
        with pytest.raises(DemoRefused, match="never go into production"):
            load_demo_area()
    finally:
        app.config["ENV_NAME"] = previous


def test_every_demo_person_in_the_readme_can_sign_in(app, db):
    """With the password and, for the officer and administrator, a code from the README's
    authenticator secret, as a newcomer with an authenticator app would."""
    load_demo_area()
    db.session.commit()
    readme = (REPO_ROOT / "README.md").read_text()
    rows = re.findall(
        r"^\| (\w+) \| (.+?) \| (\S+@\S+) \| (.+?) \| (\S+) \|$", readme, re.MULTILINE
    )
    assert {(role, email) for role, _, email, _, _ in rows} == {
        (person.role.value, person.email) for person in DEMO_PEOPLE
    }
    secrets = {email: secret for _, _, email, _, secret in rows if secret != "—"}
    assert secrets == DEMO_TOTP_SECRETS
    for role, _, email, password, secret in rows:
        assert password == DEMO_PASSWORD
        browser = app.test_client()
        response = browser.post(
            "/accounts/login",
            data={"email": email, "password": password, "csrf_token": fetch_csrf_token(browser)},
        )
        assert response.status_code == 302, email
        if role in {"area_admin", "lmc_officer"}:
            assert response.headers["Location"] == "/accounts/login/code"
            response = browser.post(
                "/accounts/login/code",
                data={
                    "code": pyotp.TOTP(secret).now(),
                    "csrf_token": fetch_csrf_token(browser, "/accounts/login/code"),
                },
            )
            assert response.status_code == 302, email
        assert browser.get("/accounts/profile").status_code == 200, email


def test_demo_ships_a_counted_vote_and_an_open_one(db):
    import json

    from portal.voting import rules as counting
    from portal.voting.models import Vote, VoteState

    load_demo_area()
    db.session.commit()
    votes = {vote.title: vote for vote in db.session.execute(sa.select(Vote)).scalars()}
    closed = votes["Enhanced access from PCN hubs"]
    open_vote = votes["Estates strategy: which option do we back?"]
    assert (closed.state, open_vote.state) == (VoteState.CLOSED, VoteState.OPEN)
    assert counting.recount(json.loads(closed.ballot_record)) == closed.result
    assert closed.result["eligible_members"] == 141
    assert len(open_vote.electorate) == 141 + 25


def test_the_demo_secret_ballot_publishes_nothing_that_unmasks_anyone(db):
    """The attacker, written apart from the portal's own, against what the demo publishes."""
    from portal.voting import secrecy
    from portal.voting.demo import SECRET_BALLOTS, SECRET_RULES
    from portal.voting.models import Ballot, Vote, VoteState
    from tests.voting.test_secrecy_attacker import _independent_unmasked

    load_demo_area()
    db.session.commit()
    vote = db.session.execute(
        sa.select(Vote).where(Vote.title == "Respiratory hubs in practices")
    ).scalar_one()
    assert vote.state is VoteState.CLOSED
    assert db.session.execute(sa.select(Ballot).where(Ballot.vote_id == vote.id)).first() is None
    voted = [m for m in vote.electorate if m.voted]
    assert len(voted) == len(SECRET_BALLOTS) >= 8
    assert {m.kind for m in voted} == {"practice", "pcn", "federation", "lmc"}

    # Rebuild the ballots the demo cast (the portal forgot them) and attack what was published.
    kinds = ("practice", "pcn", "federation", "lmc")
    by_kind = {kind: [m for m in vote.electorate if m.kind == kind] for kind in kinds}
    ballots = [
        {"voter": by_kind[kind][position].ods_code, "choice": choice}
        for kind, position, choice in SECRET_BALLOTS
    ]
    record = {
        "format": "gp-collective-voice/ballot-record@1",
        "vote": {"title": vote.title, "kind": "motion", "options": ["for", "against", "abstain"]},
        "rules": SECRET_RULES,
        "electorate": [
            {"id": m.ods_code, "kind": m.kind, "list_size": m.list_size or 0}
            for m in vote.electorate
        ],
        "ballots": ballots,
    }
    level = next(lv for lv in secrecy.LEVELS if lv.name == vote.published["level"])
    assert _independent_unmasked(record, level) == []
    # The LMC and the federation, alone in their blocks, would be given away by full figures.
    assert set(_independent_unmasked(record, secrecy.LEVELS[0])) & {
        by_kind["lmc"][0].ods_code,
        by_kind["federation"][0].ods_code,
    }
