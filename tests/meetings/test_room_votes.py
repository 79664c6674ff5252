"""Votes taken in the room: the chair records each present, entitled organisation's choice;
the same rules count them; a hybrid vote keeps online ballots; secret votes are refused."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from portal.accounts.models import Role
from portal.database import utcnow
from portal.extensions import db
from portal.meetings import services as meetings
from portal.meetings.models import MeetingMode
from portal.voting import ballot_record as voting_ballot_record
from portal.voting import casting as voting_casting
from portal.voting import closing as voting_closing
from portal.voting import services as voting
from portal.voting.models import Ballot, BallotOrigin, BallotSecrecy, VoteKind
from tests.conftest import fetch_csrf_token
from tests.factories import Org, Person, lmc, make_world, pcn

RULES = {
    "weighting": {"scheme": "list_size"},
    "blocks": None,
    "cap": None,
    "quorum": {"members": "1/2", "weight": None},
    "threshold": {"rule": "simple_majority"},
    "tie": "fails",
}


class Room:
    """Four practices in one PCN; practices 0 to 2 are at the meeting, 3 is not."""

    def __init__(self, secrecy: BallotSecrecy = BallotSecrecy.OPEN) -> None:
        world = make_world(
            [
                lmc(ods_code="LMC1"),
                pcn("pcn", ods_code="U10001"),
                *(
                    Org(
                        f"A1000{i}",
                        ods_code=f"A1000{i}",
                        list_size=size,
                        pcn="pcn",
                        group="practices",
                    )
                    for i, size in enumerate((4000, 6000, 10000, 20000))
                ),
            ],
            [
                Person("officer", "lmc", Role.LMC_OFFICER),
                *(
                    Person(f"partner_{i}", f"A1000{i}", Role.GP_PARTNER, group="partners")
                    for i in range(4)
                ),
            ],
        )
        self.area, self.lmc, self.officer = world.area, world.lmc, world.officer
        self.practices, self.partners = world.practices, world.partners
        self.chair = self.partners[0]
        now = utcnow()
        details = voting.VoteDetails(
            title="Enhanced access",
            question="Should we support the enhanced access model?",
            body_markdown="",
            kind=VoteKind.MOTION,
            secrecy=secrecy,
            options=[],
            voting_kinds=["practice"],
            pcn_codes=None,
            opens_at=now - timedelta(minutes=5),
            closes_at=now + timedelta(days=1),
            rules=dict(RULES),
        )
        self.vote = voting.create_vote(self.officer, self.area, details)
        voting.open_vote(self.officer, self.vote, utcnow())
        starts = now.replace(microsecond=0)
        self.meeting = meetings.create_meeting(
            self.officer,
            self.area,
            title="Leadership group",
            starts_at=starts,
            ends_at=starts + timedelta(minutes=30),
            where=meetings.Where(MeetingMode.IN_PERSON, "Stafford", None),
            chair=self.chair,
        )
        meetings.add_agenda_item(
            self.officer, self.meeting, "Enhanced access", f"vote {self.vote.id}"
        )
        present = [(self.partners[i].id, self.practices[i].id) for i in range(3)]
        present.append((self.officer.id, self.lmc.id))
        meetings.record_attendance(self.officer, self.meeting, present)
        db.session.commit()

    @property
    def url(self) -> str:
        return f"/areas/{self.area.slug}/meetings/{self.meeting.id}/votes/{self.vote.id}/room"

    def field(self, index: int) -> str:
        return f"org_{self.practices[index].id}"


def _ballots() -> list[Ballot]:
    return list(db.session.scalars(sa.select(Ballot).order_by(Ballot.organisation_id)))


def test_the_chair_records_the_room_and_the_same_rules_count_it(client, login, db):
    room = Room()
    yes, no = room.vote.options[0], room.vote.options[1]
    login(room.chair)
    token = fetch_csrf_token(client, room.url)
    data = {"csrf_token": token, room.field(0): yes, room.field(1): no, room.field(2): yes}
    response = client.post(room.url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    ballots = _ballots()
    assert [(b.choice, b.origin) for b in ballots] == [
        (yes, BallotOrigin.ROOM),
        (no, BallotOrigin.ROOM),
        (yes, BallotOrigin.ROOM),
    ]
    room.vote.closes_at = utcnow() - timedelta(seconds=1)
    voting_closing.close_vote(room.vote, utcnow())
    db.session.commit()
    record = json.loads(room.vote.ballot_record)
    assert {entry["origin"] for entry in record["ballots"]} == {"room"}
    # Weighted by list size: 14,000 of 40,000 patients for (35 %), 6,000 against (15 %);
    # three of four practices voted, so the quorum of half the members is met.
    result = room.vote.result
    assert result["outcome"] == "passed"
    assert result["totals"]["for"] == {"members": 2, "weight_percent": "35.000000"}
    assert result["totals"]["against"] == {"members": 1, "weight_percent": "15.000000"}
    assert result["turnout"]["members"] == 3


def test_a_hybrid_vote_keeps_the_online_ballot_and_refuses_to_overwrite_it(client, login, db):
    room = Room()
    yes, no = room.vote.options[0], room.vote.options[1]
    voting_casting.cast_ballot(room.partners[1], room.vote, room.practices[1], no, utcnow())
    db.session.commit()
    login(room.chair)
    page = client.get(room.url).get_data(as_text=True)
    assert room.field(1) not in page
    assert "voted online" in page
    token = fetch_csrf_token(client, room.url)
    refused = client.post(
        room.url, data={"csrf_token": token, room.field(0): yes, room.field(1): yes}
    )
    assert refused.status_code == 400
    assert "has already voted online; that ballot counts." in refused.get_data(as_text=True)
    assert [(b.choice, b.origin) for b in _ballots()] == [(no, BallotOrigin.ONLINE)]
    ok = client.post(room.url, data={"csrf_token": token, room.field(0): yes})
    assert ok.status_code == 302
    assert [b.origin for b in _ballots()] == [BallotOrigin.ROOM, BallotOrigin.ONLINE]


def test_an_organisation_not_present_or_not_entitled_is_refused_and_nothing_written(
    client, login, db
):
    room = Room()
    yes = room.vote.options[0]
    login(room.chair)
    token = fetch_csrf_token(client, room.url)
    absent = client.post(
        room.url, data={"csrf_token": token, room.field(0): yes, room.field(3): yes}
    )
    assert absent.status_code == 400
    assert "is not recorded as present at this meeting" in absent.get_data(as_text=True)
    # The LMC is present but only practices vote in this vote.
    lmc = client.post(room.url, data={"csrf_token": token, f"org_{room.lmc.id}": yes})
    assert lmc.status_code == 400
    assert "not in this vote&#39;s electorate" in lmc.get_data(as_text=True)
    assert _ballots() == []


def test_a_secret_vote_is_never_taken_by_show_of_hands(client, login, db):
    room = Room(BallotSecrecy.SECRET)
    login(room.chair)
    assert "cannot be taken by show of hands" in client.get(room.url).get_data(as_text=True)
    token = fetch_csrf_token(client, f"/areas/{room.area.slug}/meetings/")
    response = client.post(
        room.url, data={"csrf_token": token, room.field(0): room.vote.options[0]}
    )
    assert response.status_code == 400
    assert "cannot be taken by show of hands" in response.get_data(as_text=True)
    assert _ballots() == []


def test_only_the_chair_records_and_only_a_vote_on_the_agenda(client, login, db):
    room = Room()
    login(room.partners[1])
    assert client.get(room.url).status_code == 403
    other = room.url.replace(f"/votes/{room.vote.id}/", f"/votes/{room.vote.id + 1}/")
    assert client.get(other).status_code == 404


def test_an_online_ballot_carries_its_origin(db):
    room = Room()
    voting_casting.cast_ballot(
        room.partners[2], room.vote, room.practices[2], room.vote.options[0], utcnow()
    )
    db.session.commit()
    entry = voting_ballot_record.ballot_record_data(room.vote)["ballots"][0]
    assert entry["origin"] == "online"
