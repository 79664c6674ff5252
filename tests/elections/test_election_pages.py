"""Elections through the pages: set-up, nominations, unopposed, the ranked ballot with its
check step and receipt, the count, the results and who may see and do what."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from portal.database import utcnow
from portal.elections.models import (
    Election,
    ElectionBallot,
    ElectionState,
    Nomination,
)
from portal.times import LONDON
from tests.conftest import csrf_token_from
from tests.factories import World

RECEIPT_CODE = re.compile(r'id="receipt-code">([A-Z0-9-]+)<')


def post(client, url: str, data: dict | None = None, page: str | None = None):
    token = csrf_token_from(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={**(data or {}), "csrf_token": token})


def london(moment) -> str:
    return moment.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


def set_up(client, login, world: World, seats: int = 2, **extra) -> Election:
    login(world.officer)
    now = utcnow()
    data = {
        "title": "LMC committee 2027",
        "seats": str(seats),
        "method": "scottish",
        "electorate_kind": "people",
        "roles": ["gp_partner", "salaried_gp"],
        "weighting": "equal",
        "secrecy": "secret",
        "nominations_close": london(now + timedelta(hours=1)),
        "voting_opens": london(now + timedelta(hours=1)),
        "voting_closes": london(now + timedelta(hours=2)),
        **extra,
    }
    response = post(client, "/areas/staffs/elections/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    sign_out(client)
    from portal.extensions import db

    return db.session.execute(sa.select(Election).order_by(Election.id.desc())).scalars().first()


def sign_out(client) -> None:
    client.post(
        "/accounts/logout",
        data={
            "csrf_token": csrf_token_from(client.get("/accounts/profile").get_data(as_text=True))
        },
    )


def move_to(db, election: Election, phase: str) -> None:
    """Put the election's times so that ``phase`` ('voting' or 'counting') has begun."""
    now = utcnow()
    election.nominations_open_at = now - timedelta(hours=5)
    election.nominations_close_at = now - timedelta(hours=4)
    election.voting_opens_at = now - timedelta(hours=3)
    election.voting_closes_at = (
        now + timedelta(hours=1) if phase == "voting" else now - timedelta(minutes=1)
    )
    db.session.commit()


def elector_id(election: Election, user) -> str:
    return str(next(e.id for e in election.electors if e.user_id == user.id))


def nominate(client, login, election: Election, nominator, seconder, candidate) -> None:
    page = f"/areas/staffs/elections/{election.id}"
    login(nominator)
    response = post(
        client,
        f"{page}/nominations",
        {"candidate": str(candidate.id), "elector": elector_id(election, nominator)},
        page=page,
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    sign_out(client)
    from portal.extensions import db

    nomination = db.session.execute(
        sa.select(Nomination).where(
            Nomination.candidate_id == candidate.id, Nomination.election_id == election.id
        )
    ).scalar_one()
    login(seconder)
    response = post(
        client,
        f"{page}/nominations/{nomination.id}/second",
        {"elector": elector_id(election, seconder)},
        page=page,
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    sign_out(client)
    login(candidate)
    accept = f"{page}/nominations/{nomination.id}/accept"
    response = post(
        client, accept, {"statement": f"I am **{candidate.name}**. <script>x()</script>"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    sign_out(client)


def test_an_election_from_nominations_to_result(client, login, world, db) -> None:
    election = set_up(client, login, world)
    assert {e.label for e in election.electors} == {
        "Ann Adams",
        "Bob Brown",
        "Cat Clark",
        "Dan Dale",
    }
    nominate(client, login, election, world.ann, world.cat, world.bob)
    nominate(client, login, election, world.dan, world.ann, world.cat)
    nominate(client, login, election, world.bob, world.ann, world.dan)
    page = f"/areas/staffs/elections/{election.id}"
    login(world.ann)
    html = client.get(page).get_data(as_text=True)
    assert "<strong>Bob Brown</strong>" in html
    assert "<script>x()" not in html
    sign_out(client)

    move_to(db, election, "voting")
    login(world.officer)
    assert post(client, f"{page}/close-nominations", page=page).status_code == 302
    db.session.refresh(election)
    assert election.state is ElectionState.VOTING
    sign_out(client)

    candidates = {n.candidate.name: n.id for n in election.candidates}
    ballots = {
        world.ann: {"Bob Brown": "1", "Cat Clark": "3"},  # a gap: read as 1, 2
        world.bob: {"Bob Brown": "1", "Dan Dale": "2"},
        world.cat: {"Cat Clark": "1"},
        world.dan: {"Bob Brown": "2", "Dan Dale": "1"},
    }
    elector_of = {e.user_id: e.id for e in election.electors}
    for voter, ranks in ballots.items():
        login(voter)
        ballot = f"{page}/ballot?elector={elector_of[voter.id]}"
        form = {f"rank_{candidates[name]}": rank for name, rank in ranks.items()}
        response = post(
            client, f"{page}/ballot", {**form, "elector": str(elector_of[voter.id])}, page=ballot
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        check = client.get(response.headers["Location"]).get_data(as_text=True)
        order = re.findall(
            r"<li>([^<]+)</li>", check.split('id="your-ranking"')[1].split("</ol>")[0]
        )
        assert order == sorted(ranks, key=lambda name: int(ranks[name]))
        token = csrf_token_from(check)
        ranking = re.search(r'name="ranking" type="hidden" value="([^"]+)"', check).group(1)
        receipt = client.post(
            f"{page}/ballot/confirm",
            data={"csrf_token": token, "ranking": ranking, "elector": str(elector_of[voter.id])},
        )
        assert receipt.status_code == 200
        code = RECEIPT_CODE.search(receipt.get_data(as_text=True)).group(1)
        found = post(client, f"{page}/receipt", {"code": code.lower()}).get_data(as_text=True)
        assert order[0] in found.split('id="receipt-result"')[1]
        sign_out(client)

    move_to(db, election, "counting")
    login(world.ann)
    assert client.get(f"{page}/results").status_code == 404  # not counted yet: no GET counts
    assert post(client, f"{page}/count", page=page).status_code == 403
    sign_out(client)
    login(world.officer)
    assert post(client, f"{page}/count", page=page).status_code == 302
    db.session.refresh(election)
    assert election.state is ElectionState.COUNTED
    # 4 votes, 2 seats: quota 2. Bob 2 and Dan 1 + ... elected as the count module says.
    assert election.result["quota"] == "2"
    assert election.result["elected"][0] == "Bob Brown"
    assert len(election.result["elected"]) == 2
    results = client.get(f"{page}/results").get_data(as_text=True)
    assert "Count sheet" in results
    assert "<svg" in results
    assert "4 of 4 electors voted" in results
    # A secret election with no scrutineer: nobody downloads its ballots file, officers
    # included; only its fingerprint is kept, and no ballot keeps a ranking or its voter.
    assert election.ballots_blt_sha256 in results
    assert "No scrutineer was named" in results
    assert client.get(f"{page}/ballots.blt").status_code == 404
    sign_out(client)
    assert election.ballots_blt is None
    assert election.sealed_ballots_blt is None
    kept = db.session.execute(sa.select(ElectionBallot)).scalars().all()
    assert [(b.elector_id, b.ranking, b.weight) for b in kept] == [(None, [], 1)] * 4
    login(world.cat)
    assert client.get(f"{page}/results").status_code == 200
    assert client.get(f"{page}/ballots.blt").status_code == 404


def test_ballot_refuses_a_rank_used_twice_and_an_empty_ballot(client, login, world, db) -> None:
    election = set_up(client, login, world, seats=1)
    nominate(client, login, election, world.ann, world.cat, world.bob)
    nominate(client, login, election, world.dan, world.ann, world.cat)
    move_to(db, election, "voting")
    login(world.officer)
    post(
        client,
        f"/areas/staffs/elections/{election.id}/close-nominations",
        page=f"/areas/staffs/elections/{election.id}",
    )
    sign_out(client)
    login(world.ann)
    elector = next(e.id for e in election.electors if e.user_id == world.ann.id)
    page = f"/areas/staffs/elections/{election.id}/ballot?elector={elector}"
    ids = [n.id for n in election.candidates]
    twice = post(
        client,
        f"/areas/staffs/elections/{election.id}/ballot",
        {f"rank_{ids[0]}": "1", f"rank_{ids[1]}": "1", "elector": str(elector)},
        page=page,
    )
    assert twice.status_code == 200
    assert "you have used 1 twice" in twice.get_data(as_text=True)
    empty = post(
        client,
        f"/areas/staffs/elections/{election.id}/ballot",
        {"elector": str(elector)},
        page=page,
    )
    assert "Put a 1 beside the candidate you like most" in empty.get_data(as_text=True)
    assert db.session.execute(sa.select(ElectionBallot)).first() is None


def test_as_many_candidates_as_seats_are_elected_unopposed(client, login, world, db) -> None:
    election = set_up(client, login, world, seats=2)
    nominate(client, login, election, world.ann, world.cat, world.bob)
    move_to(db, election, "voting")
    login(world.officer)
    page = f"/areas/staffs/elections/{election.id}"
    post(client, f"{page}/close-nominations", page=page)
    db.session.refresh(election)
    assert election.state is ElectionState.UNOPPOSED
    html = client.get(f"{page}/results").get_data(as_text=True)
    assert "Elected unopposed" in html
    assert "Bob Brown" in html


def test_an_unseconded_nomination_lapses_and_no_candidates_is_said(
    client, login, world, db
) -> None:
    election = set_up(client, login, world)
    page = f"/areas/staffs/elections/{election.id}"
    login(world.ann)
    post(
        client,
        f"{page}/nominations",
        {"candidate": str(world.bob.id), "elector": elector_id(election, world.ann)},
        page=page,
    )
    sign_out(client)
    move_to(db, election, "voting")
    runner = client.application.test_cli_runner()
    outcome = runner.invoke(args=["close-due-elections"])
    assert "nominations closed: no_candidates" in outcome.output
    db.session.refresh(election)
    assert election.state is ElectionState.NO_CANDIDATES
    login(world.ann)
    assert "No one was validly nominated" in client.get(f"{page}/results").get_data(as_text=True)


def test_who_may_see_and_do_what(client, login, world, db) -> None:
    election = set_up(client, login, world)
    page = f"/areas/staffs/elections/{election.id}"
    login(world.reader)
    assert client.get("/areas/staffs/elections/").status_code == 404
    assert client.get(page).status_code == 404
    sign_out(client)
    login(world.stranger)
    assert client.get(page).status_code == 404
    sign_out(client)
    login(world.manager)  # a group member, but not in this electorate
    assert client.get(page).status_code == 200
    assert client.get("/areas/staffs/elections/new").status_code == 403
    assert client.get(f"{page}/ballot").status_code == 403
    assert post(client, f"{page}/close-nominations", page=page).status_code == 403
    assert (
        post(client, f"{page}/nominations", {"candidate": str(world.bob.id)}, page=page).status_code
        == 403
    )
    sign_out(client)
    login(world.ann)
    refused = post(
        client,
        f"{page}/nominations",
        {"candidate": str(world.ann.id), "elector": elector_id(election, world.ann)},
        page=page,
    )
    assert "You cannot nominate yourself" in refused.get_data(as_text=True)
    assert db.session.execute(sa.select(Nomination)).first() is None
