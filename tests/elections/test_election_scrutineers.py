"""A secret election's scrutineers: named at set-up and emailed, a passphrase each before voting
begins, the BLT file sealed to them at the count (the database keeps nothing of it in the
clear), opened by them alone with the passphrase (audited), byte for byte the file whose
SHA-256 everyone sees and the command line counts; officers and members download nothing."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.audit.models import AuditEntry
from portal.database import utcnow
from portal.elections import ballots, closing, count, counting, nominations, scrutiny, setup
from portal.elections.models import (
    CountingMethod,
    Election,
    ElectionBallot,
    ElectionReceipt,
    ElectionState,
    ElectorateKind,
)
from portal.errors import DomainError, NotPermitted
from portal.extensions import db as database
from portal.organisations.models import OrganisationKind
from portal.outbox import OutboxMessage
from tests.conftest import csrf_token_from
from tests.elections.test_election_pages import move_to, nominate, post, set_up, sign_out
from tests.factories import World, election_details, make_area, make_organisation, make_user

PASSPHRASE = "a long enough scrutineer passphrase"


@pytest.fixture
def world(world: World) -> World:
    """The elections world, with Pat Manager also its scrutineer."""
    world.scrutineer = world.manager  # Pat Manager: a member of the area, not an officer
    return world


def _three_standing(client, login, world: World, **extra) -> Election:
    election = set_up(client, login, world, seats=2, **extra)
    nominate(client, login, election, world.ann, world.cat, world.bob)
    nominate(client, login, election, world.dan, world.ann, world.cat)
    nominate(client, login, election, world.bob, world.ann, world.dan)
    database.session.refresh(election)
    return election


def _vote_and_count(db, election: Election, world: World) -> dict[str, str]:
    """Every elector votes (Ann twice); the election is counted. The receipt codes, by voter."""
    move_to(db, election, "voting")
    closing.close_nominations(election, utcnow())
    assert election.state is ElectionState.VOTING
    ids = {n.candidate.name: n.id for n in election.candidates}
    electors = {e.user_id: e for e in election.electors}
    codes = {}
    for voter, ranking in (
        (world.ann, ["Cat Clark", "Bob Brown"]),
        (world.ann, ["Bob Brown", "Cat Clark"]),
        (world.bob, ["Bob Brown", "Dan Dale"]),
        (world.cat, ["Cat Clark"]),
        (world.dan, ["Dan Dale", "Bob Brown"]),
    ):
        code = ballots.cast(
            voter, election, electors[voter.id], [ids[name] for name in ranking], utcnow()
        )[1]
        codes.setdefault(voter.name, code)  # Ann's first code: the one replaced
        if voter is world.ann:
            codes["Ann again"] = code
    election.voting_closes_at = utcnow() - timedelta(seconds=1)
    counting.count_election(election, utcnow())
    db.session.commit()
    return codes


def _results(client, election: Election) -> str:
    return client.get(f"/areas/staffs/elections/{election.id}/results").get_data(as_text=True)


def test_nobody_downloads_a_secret_elections_ballots_file_not_even_an_officer(
    client, login, world, db
) -> None:
    # Before the scrutineers, a secret election's officers downloaded its BLT file in the clear.
    election = _three_standing(client, login, world)
    _vote_and_count(db, election, world)
    blt = f"/areas/staffs/elections/{election.id}/ballots.blt"
    for user in (world.officer, world.cat):
        login(user)
        assert client.get(blt).status_code == 404
        sign_out(client)
    assert election.ballots_blt is None


def test_an_open_elections_file_is_for_every_member_with_its_fingerprint(
    client, login, world, db
) -> None:
    election = _three_standing(client, login, world, secrecy="open")
    _vote_and_count(db, election, world)
    login(world.cat)
    download = client.get(f"/areas/staffs/elections/{election.id}/ballots.blt")
    assert download.status_code == 200
    assert download.data == election.ballots_blt.encode()
    assert hashlib.sha256(download.data).hexdigest() == election.ballots_blt_sha256
    assert election.ballots_blt_sha256 in _results(client, election)
    assert client.get(f"/areas/staffs/elections/{election.id}/scrutineers").status_code == 403


def test_a_scrutineer_named_at_set_up_is_emailed_and_voting_waits_for_the_passphrase(
    client, login, world, db
) -> None:
    election = _three_standing(client, login, world, scrutineers=world.scrutineer.email.upper())
    assert [s.user for s in election.scrutineers] == [world.scrutineer]
    message = db.session.execute(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == world.scrutineer.email)
    ).scalar_one()
    assert "scrutineer" in message.subject
    assert election.title not in message.subject + message.body
    assert f"/elections/{election.id}/scrutiny" in message.body

    move_to(db, election, "voting")
    page = f"/areas/staffs/elections/{election.id}"
    login(world.officer)
    assert "not yet: Pat Manager" in client.get(page).get_data(as_text=True)
    refused = post(client, f"{page}/close-nominations", page=page)
    assert refused.status_code == 302
    assert "every scrutineer has set a passphrase" in client.get(page).get_data(as_text=True)
    sign_out(client)
    db.session.expire_all()
    assert election.state is ElectionState.NOMINATIONS
    assert closing.close_due(utcnow()) == []  # the scheduled task waits too
    assert election.state is ElectionState.NOMINATIONS

    login(world.scrutineer)
    scrutiny_page = f"{page}/scrutiny"
    shown = client.get(scrutiny_page).get_data(as_text=True)
    assert "Not set yet" in shown
    token = csrf_token_from(shown)
    different = client.post(
        f"{scrutiny_page}/passphrase",
        data={"passphrase": PASSPHRASE, "confirmation": PASSPHRASE + "!", "csrf_token": token},
    )
    assert different.status_code == 400
    assert "not the same" in different.get_data(as_text=True)
    assert PASSPHRASE not in different.get_data(as_text=True)
    db.session.expire_all()
    assert election.scrutineers[0].public_key is None
    done = client.post(
        f"{scrutiny_page}/passphrase",
        data={"passphrase": PASSPHRASE, "confirmation": PASSPHRASE, "csrf_token": token},
    )
    assert done.status_code == 302
    sign_out(client)

    db.session.expire_all()
    assert closing.close_due(utcnow()) == [(election, "nominations closed: voting")]
    assert election.state is ElectionState.VOTING


def _sealed_election(client, login, world: World, db) -> tuple[Election, dict[str, str]]:
    election = _three_standing(client, login, world, scrutineers=world.scrutineer.email)
    scrutiny.set_passphrase(world.scrutineer, election, PASSPHRASE, PASSPHRASE, utcnow())
    db.session.commit()
    return election, _vote_and_count(db, election, world)


def test_only_the_scrutineer_opens_the_sealed_file_and_it_counts_again(
    client, login, world, db, tmp_path, capsys
) -> None:
    election, _ = _sealed_election(client, login, world, db)
    assert election.ballots_blt is None
    assert election.sealed_ballots_blt is not None
    assert b"Bob Brown" not in election.sealed_ballots_blt
    page = f"/areas/staffs/elections/{election.id}"

    for user in (world.officer, world.cat):
        login(user)
        results = _results(client, election)
        assert election.ballots_blt_sha256 in results
        assert "Pat Manager" in results.split('id="ballots-secret"')[1]
        assert client.get(f"{page}/ballots.blt").status_code == 404
        assert client.get(f"{page}/scrutiny").status_code == 404
        token = csrf_token_from(client.get("/accounts/profile").get_data(as_text=True))
        opened = client.post(
            f"{page}/scrutiny/ballots", data={"passphrase": PASSPHRASE, "csrf_token": token}
        )
        assert opened.status_code == 404
        sign_out(client)
    with pytest.raises(NotPermitted):
        scrutiny.open_ballots(world.officer, election, PASSPHRASE)

    login(world.scrutineer)
    assert "your scrutineer page" in _results(client, election)
    shown = client.get(f"{page}/scrutiny").get_data(as_text=True)
    assert election.ballots_blt_sha256 in shown
    token = csrf_token_from(shown)
    wrong = client.post(
        f"{page}/scrutiny/ballots", data={"passphrase": "not the passphrase", "csrf_token": token}
    )
    assert wrong.status_code == 400
    assert "does not open" in wrong.get_data(as_text=True)
    opened_entries = sa.select(AuditEntry).where(AuditEntry.action == "election.ballots_opened")
    assert db.session.execute(opened_entries).first() is None

    right = client.post(
        f"{page}/scrutiny/ballots", data={"passphrase": PASSPHRASE, "csrf_token": token}
    )
    assert right.status_code == 200
    assert "attachment" in right.headers["Content-Disposition"]
    assert hashlib.sha256(right.data).hexdigest() == election.ballots_blt_sha256
    entry = db.session.execute(opened_entries).scalar_one()
    assert entry.details == {"sha256": election.ballots_blt_sha256}

    # The file carries a salt in its title, and the command line counts it to the published
    # result.
    text = right.data.decode()
    assert re.search(r'"LMC committee 2027 \(fingerprint salt [0-9a-f]{32}\)"', text)
    path = tmp_path / "ballots.blt"
    path.write_bytes(right.data)
    capsys.readouterr()
    arguments = [str(path), "--method", "scottish", "--seed", election.count_seed]
    assert count.main(arguments) == 0
    recounted = json.loads(capsys.readouterr().out)
    assert recounted["elected"] == election.result["elected"]
    assert recounted["stages"] == election.result["stages"]


def test_after_the_count_receipts_verify_and_the_database_holds_nothing_in_the_clear(
    client, login, world, db
) -> None:
    election, codes = _sealed_election(client, login, world, db)
    assert all(receipt.ranking_names is None for receipt in _all(ElectionReceipt))
    assert [(b.elector_id, b.ranking, b.weight) for b in _all(ElectionBallot)] == [
        (None, [], 1)
    ] * 4
    assert len({b.cast_at for b in _all(ElectionBallot)}) == 1

    checked = ballots.check_receipt(election, codes["Bob Brown"].lower())
    assert checked.ranking_names == ["Bob Brown", "Dan Dale"]
    assert checked.replaced is False
    replaced = ballots.check_receipt(election, codes["Ann Adams"])
    assert replaced.ranking_names == ["Cat Clark", "Bob Brown"]
    assert replaced.replaced is True
    assert ballots.check_receipt(election, codes["Ann again"]).replaced is False
    login(world.cat)
    found = post(
        client,
        f"/areas/staffs/elections/{election.id}/receipt",
        {"code": codes["Cat Clark"]},
    ).get_data(as_text=True)
    assert "Cat Clark" in found.split('id="receipt-result"')[1]

    # No column of any table holds a ballot line of the file, or a receipt's ranking.
    raw = scrutiny.open_ballots(world.scrutineer, election, PASSPHRASE).decode()
    ballot_lines = raw.split("\n0\n")[0].splitlines()[1:]
    assert ballot_lines
    everything = _every_value_in_the_database()
    for line in ballot_lines:
        assert line not in everything
    assert '["Bob Brown", "Dan Dale"]' not in everything


def test_an_election_of_practices_weighted_by_list_size_keeps_no_weight_in_the_clear(db) -> None:
    area = make_area(slug="weights")
    practices = [
        make_organisation(area, name=f"Practice {size}", list_size=size)
        for size in (4001, 6002, 9003)
    ]
    lmc = make_organisation(area, OrganisationKind.LMC)
    officer = make_user(lmc, Role.LMC_OFFICER, name="Olive Officer")
    sam = make_user(lmc, Role.LMC_OFFICER, name="Sam Scrutineer")
    partners = [make_user(p, Role.GP_PARTNER, name=f"Partner {p.name}") for p in practices]
    candidates = [make_user(p, Role.SALARIED_GP, name=f"Candidate {p.name}") for p in practices]
    now = utcnow()
    election = setup.create_election(
        officer,
        area,
        election_details(
            now,
            title="Practice-weighted board",
            method=CountingMethod.MEEK,
            electorate_kind=ElectorateKind.ORGANISATIONS,
            roles=[],
            kinds=[OrganisationKind.PRACTICE],
            weighting="list_size",
            scrutineers=sam.email,
        ),
        now,
    )
    electors = {e.organisation_id: e for e in election.electors}
    nominated = []
    for index, candidate in enumerate(candidates):
        nominator, seconder = partners[index], partners[(index + 1) % 3]
        nomination = nominations.nominate(
            nominator, election, electors[practices[index].id], candidate, now
        )
        nominations.second(seconder, nomination, electors[practices[(index + 1) % 3].id], now)
        nominations.accept(candidate, nomination, "", now)
        nominated.append(nomination)
    election.nominations_open_at = utcnow() - timedelta(hours=2)
    election.nominations_close_at = utcnow() - timedelta(hours=1)
    election.voting_opens_at = utcnow() - timedelta(minutes=30)
    database.session.commit()
    with pytest.raises(DomainError, match="not yet: Sam Scrutineer"):
        closing.close_nominations(election, utcnow())
    database.session.rollback()
    scrutiny.set_passphrase(sam, election, PASSPHRASE, PASSPHRASE, utcnow())
    closing.close_nominations(election, utcnow())
    for index, partner in enumerate(partners):
        ranking = [nominated[index].id, nominated[(index + 2) % 3].id]
        ballots.cast(partner, election, electors[practices[index].id], ranking, utcnow())
    election.voting_closes_at = utcnow() - timedelta(seconds=1)
    counting.count_election(election, utcnow())
    database.session.commit()

    assert election.result["turnout"]["weight_cast"] == 4001 + 6002 + 9003
    raw = scrutiny.open_ballots(sam, election, PASSPHRASE).decode()
    lines = raw.split("\n0\n")[0].splitlines()[1:]
    assert sorted(int(line.split()[0]) for line in lines) == [4001, 6002, 9003]
    everything = _every_value_in_the_database()
    for line in lines:
        assert line not in everything
    assert {b.weight for b in _all(ElectionBallot)} == {1}


def test_the_officer_renames_the_scrutineers_while_nominations_last(client, login, world, db):
    election = _three_standing(client, login, world, scrutineers=world.scrutineer.email)
    page = f"/areas/staffs/elections/{election.id}/scrutineers"
    login(world.cat)
    assert client.get(page).status_code == 403
    sign_out(client)
    login(world.officer)
    unknown = post(client, page, {"scrutineers": "nobody@example.org"})
    assert unknown.status_code == 200
    assert "nobody here has the email address nobody@example.org" in unknown.get_data(True)
    db.session.expire_all()
    assert [s.user for s in election.scrutineers] == [world.scrutineer]
    assert post(client, page, {"scrutineers": world.dan.email}).status_code == 302
    db.session.expire_all()
    assert [s.user for s in election.scrutineers] == [world.dan]
    assert post(client, page, {"scrutineers": ""}).status_code == 302
    db.session.expire_all()
    assert election.scrutineers == []
    shown = client.get(f"/areas/staffs/elections/{election.id}").get_data(as_text=True)
    assert "No scrutineer is named, so the portal will keep no ballots file" in shown


def test_an_open_election_has_no_scrutineers(client, login, world, db) -> None:
    login(world.officer)
    now = utcnow()
    response = post(
        client,
        "/areas/staffs/elections/new",
        {
            "title": "Open one",
            "seats": "1",
            "method": "scottish",
            "electorate_kind": "people",
            "roles": ["gp_partner"],
            "weighting": "equal",
            "secrecy": "open",
            "scrutineers": world.scrutineer.email,
            "nominations_close": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "voting_opens": (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "voting_closes": (now + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 200
    assert "Only a secret election has scrutineers" in response.get_data(as_text=True)
    assert db.session.execute(sa.select(Election)).first() is None


def test_passphrase_tries_are_rate_limited(app) -> None:
    from portal.ratelimits import PASSPHRASE as LIMIT
    from portal.ratelimits import limit_for

    assert limit_for(app, "elections.open_ballots") is LIMIT
    assert limit_for(app, "elections.set_scrutineer_passphrase") is LIMIT


def _all(model) -> list:
    database.session.expire_all()
    return list(database.session.execute(sa.select(model)).scalars())


def _every_value_in_the_database() -> str:
    """Every row of every table, as text: what a copy of the database would show."""
    rows = []
    for table in database.metadata.sorted_tables:
        for row in database.session.execute(sa.select(table)).mappings():
            rows.append(repr(dict(row)))
    return "\n".join(rows)
