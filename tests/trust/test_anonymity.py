"""Nothing in the database, the logs, the audit log or the pages ties a response to a person.

Ten people answer with scores and text that are unique to each of them; then every table
is dumped whole and searched for any row that holds both a person and what they answered.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.trust import services
from portal.trust.models import TrustComment, TrustResponse, TrustScoreCount, TrustTarget
from tests.concurrency import postgresql_only, race
from tests.conftest import fetch_csrf_token
from tests.trust.conftest import counter_total, open_round


def _dump_every_table() -> dict[str, list[dict]]:
    dump = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            rows = connection.execute(sa.select(table)).mappings().all()
            dump[table.name] = [dict(row) for row in rows]
    return dump


def test_no_table_log_audit_entry_or_page_links_a_response_to_its_author(
    client, login, world, caplog
):
    trust_round = open_round(world)
    respondents = [*world.partners_1, *world.partners_3, world.federation_director]
    audit_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    texts = {}
    caplog.set_level(logging.DEBUG)
    for index, person in enumerate(respondents):
        login(person)
        page = world.url(f"rounds/{trust_round.id}")
        texts[person.id] = f"secret-idea-{person.id}-zq"
        data = {
            "csrf_token": fetch_csrf_token(client, page),
            "comment": texts[person.id],
            "score_lmc": str(index % 11),
        }
        assert client.post(f"{page}/answer", data=data).status_code == 302
        client.post("/accounts/logout", data={"csrf_token": fetch_csrf_token(client, page)})

    # Answering wrote no audit entry (signing in and out write their own).
    answering_entries = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.action.like("trust.%"))
    ).all()
    assert answering_entries == ["trust.round_opened"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) > audit_before

    dump = _dump_every_table()
    # The "has responded" record holds only the pair, no time, no score, no text.
    assert set(TrustResponse.__table__.columns.keys()) == {"round_id", "user_id"}
    assert len(dump["trust_responses"]) == len(respondents)
    # Nothing else in the trust tables refers to a person.
    for name in ("trust_score_counts", "trust_comments"):
        columns = set(db.metadata.tables[name].columns.keys())
        assert not columns & {"user_id", "created_at", "updated_at", "organisation_id"}
    # Free text appears only in trust_comments, never beside a person in any table.
    for name, rows in dump.items():
        for row in rows:
            values = " ".join(str(value) for value in row.values())
            if "secret-idea-" in values:
                assert name == "trust_comments", name
    # Counters: no row is one response; every count adds up to people, not rows.
    assert sum(row["n"] for row in dump["trust_score_counts"]) == counter_total()
    assert len(dump["trust_score_counts"]) < len(respondents) * 3
    # Free text is not kept in the order people answered, by key or as stored.
    stored_order = [row["text"] for row in dump["trust_comments"]]
    key_order = [row["text"] for row in sorted(dump["trust_comments"], key=lambda r: r["id"])]
    answered_order = [texts[person.id] for person in respondents]
    assert sorted(stored_order) == sorted(answered_order)
    assert stored_order != answered_order
    assert key_order != answered_order

    # The logs name neither the text nor a score beside a person.
    for record in caplog.records:
        message = record.getMessage()
        assert "secret-idea-" not in message
        assert "score_lmc" not in message

    # The pages: once closed, the text is shown without names, in no fixed order.
    services.close_round(world.officer, trust_round)
    db.session.commit()
    login(world.officer)
    page = client.get(world.url(f"rounds/{trust_round.id}")).get_data(as_text=True)
    assert all(text in page for text in texts.values())
    for person in respondents:
        assert person.name not in page
        assert person.email not in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrustComment)) == len(texts)


@postgresql_only
def test_two_answers_at_the_same_moment_are_both_counted(app, world):
    trust_round = open_round(world)
    first, second = world.partners_1[0].id, world.partners_1[1].id

    def answer_as(user_id: int):
        def work() -> str:
            from portal.accounts.models import User
            from portal.trust.models import TrustRound

            user = db.session.get(User, user_id)
            services.answer(
                user, db.session.get(TrustRound, trust_round.id), {TrustTarget.LMC: 9}, ""
            )
            return "counted"

        return work

    assert race(app, answer_as(first), answer_as(second)) == ("counted", "counted")
    counter = db.session.get(TrustScoreCount, (trust_round.id, TrustTarget.LMC, "area", 9))
    assert counter.n == 2


@postgresql_only
def test_the_same_person_answering_twice_at_once_is_counted_once(app, world):
    trust_round = open_round(world)
    person = world.partners_1[0].id

    def work() -> str:
        from portal.accounts.models import User
        from portal.trust.models import TrustRound

        user = db.session.get(User, person)
        services.answer(user, db.session.get(TrustRound, trust_round.id), {TrustTarget.LMC: 9}, "")
        return "counted"

    outcomes = race(app, work, work)
    assert outcomes == (
        "counted",
        "You have already answered this round. Each person answers once.",
    )
    assert counter_total() == 3
