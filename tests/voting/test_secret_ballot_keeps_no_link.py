"""After a secret ballot closes (or is cancelled), no table links an organisation or a person
to a choice: every row of every table is read back and searched for the answers given."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from portal.database import utcnow
from portal.voting import casting, closing, proxies
from portal.voting.models import BallotSecrecy, Receipt, ReceiptStanding, VoteKind
from tests.factories import World, make_world
from tests.voting.helpers import MOTION_RULES, WEIGHTED_WORLD, open_weighted_vote

# Labels found nowhere else, so finding one in a row means that row records a choice.
OPTIONS = ["Plan Kestrel", "Plan Heron", "Plan Osprey"]
# Where the answers may appear: the vote's own option list and its aggregate totals.
AGGREGATES = {
    ("votes", "options"),
    ("votes", "result"),
    ("votes", "exact_totals"),
    ("votes", "published"),
}
RESULT_EMAIL = ("outbox_messages", "body")


def _every_cell(db: Any) -> list[tuple[str, str, str]]:
    """(table, column, text) for every cell of every table in the database."""
    metadata = sa.MetaData()
    metadata.reflect(bind=db.engine)
    cells = []
    with db.engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(sa.select(table)).mappings():
                for column, value in row.items():
                    shown = value if isinstance(value, str) else json.dumps(value, default=str)
                    cells.append((table.name, column, shown))
    return cells


def _choices_found(db: Any) -> list[tuple[str, str, str]]:
    found = [
        (table, column, text)
        for table, column, text in _every_cell(db)
        if (table, column) not in AGGREGATES and any(option in text for option in OPTIONS)
    ]
    # The result email gives every recipient the same published sentence: one text sent to
    # many, less its greeting, is an aggregate too; a body that differs would be a link.
    bodies = [text for table, column, text in found if (table, column) == RESULT_EMAIL]
    if len(bodies) > 1 and len({body.split("\n", 1)[1] for body in bodies}) == 1:
        found = [cell for cell in found if (cell[0], cell[1]) != RESULT_EMAIL]
    return found


@pytest.fixture
def setting(db) -> World:
    return make_world(**WEIGHTED_WORLD)


def _secret_choice_vote(db, setting: World):
    rules = {**MOTION_RULES, "threshold": {"rule": "plurality"}}
    vote = open_weighted_vote(
        setting,
        db,
        secrecy=BallotSecrecy.SECRET,
        kind=VoteKind.CHOICE,
        options=OPTIONS,
        rules=rules,
    )
    # A proxy with an instruction is the grantor's choice in writing.
    grantor, holder = setting.practices[3], setting.practices[2]
    proxies.name_proxy(setting.partners[3], vote, grantor, holder, "Plan Osprey", utcnow())
    casts = [(0, 0, "Plan Kestrel"), (1, 1, "Plan Heron"), (1, 1, "Plan Kestrel")]
    casts += [(2, 2, "Plan Heron"), (2, 3, "Plan Osprey")]
    for partner, practice, choice in casts:
        casting.cast_ballot(
            setting.partners[partner], vote, setting.practices[practice], choice, utcnow()
        )
    db.session.commit()
    return vote


def test_the_check_can_fail_while_the_vote_is_open(db, setting):
    _secret_choice_vote(db, setting)
    assert {table for table, _, _ in _choices_found(db)} >= {"ballots", "proxies"}


def test_no_table_links_anyone_to_a_choice_after_a_secret_ballot_closes(db, setting):
    vote = _secret_choice_vote(db, setting)
    vote.opens_at = utcnow() - timedelta(days=2)
    vote.closes_at = utcnow() - timedelta(seconds=1)
    closing.close_vote(vote, utcnow())
    db.session.commit()

    assert _choices_found(db) == []
    assert vote.result["winner"] == "Plan Osprey"  # A10004 holds half the patients
    assert {m.ods_code: m.voted for m in vote.electorate} == {
        "A10001": True,
        "A10002": True,
        "A10003": True,
        "A10004": True,
    }
    standings = sorted(r.standing.value for r in db.session.execute(sa.select(Receipt)).scalars())
    assert standings == ["counted"] * 4 + ["replaced"]
    # Receipt keys are random, not a sequence that follows the order of voting.
    ids = [r.id for r in db.session.execute(sa.select(Receipt)).scalars()]
    assert all(len(key) == 32 for key in ids)
    assert not any(key.isdigit() for key in ids)


def test_no_table_links_anyone_to_a_choice_after_a_secret_ballot_is_cancelled(db, setting):
    vote = _secret_choice_vote(db, setting)
    closing.cancel_vote(setting.officer, vote, "Withdrawn by the ICB", utcnow())
    db.session.commit()
    assert _choices_found(db) == []
    standings = {r.standing for r in db.session.execute(sa.select(Receipt)).scalars()}
    assert standings == {ReceiptStanding.CANCELLED}
