"""The vote services against a real database: freezing, casting, receipts, proxies,
conflicts, closing once, notices and the audit trail."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.audit.models import AuditEntry
from portal.audit.services import verify_chain
from portal.database import utcnow
from portal.errors import Conflict, DomainError, NotPermitted
from portal.organisations.models import OrganisationKind
from portal.voting import casting, closing, conflicts, guards, proxies, reports, services
from portal.voting import rules as counting
from portal.voting.models import (
    Ballot,
    BallotSecrecy,
    ConflictRuling,
    InterestCategory,
    Receipt,
    Vote,
    VoteKind,
    VoteState,
)
from tests.factories import make_organisation, make_user
from tests.voting.helpers import MOTION_RULES, open_weighted_vote, weighted_vote_details


def _close_now(db, vote):
    vote.opens_at = utcnow() - timedelta(days=2)
    vote.closes_at = utcnow() - timedelta(seconds=1)
    closing.close_vote(vote, utcnow())
    db.session.commit()


def test_opening_freezes_the_electorate_with_list_sizes_and_their_date(db, setting):
    vote = open_weighted_vote(setting, db)
    assert [m.ods_code for m in vote.electorate] == ["A10001", "A10002", "A10003", "A10004"]
    assert [m.list_size for m in vote.electorate] == [4000, 6000, 10000, 20000]
    assert all(m.list_size_date is not None for m in vote.electorate)
    setting.practices[0].list_size = 99999
    db.session.commit()
    db.session.refresh(vote)
    assert vote.electorate[0].list_size == 4000


def test_text_and_rules_cannot_change_once_open(db, setting):
    vote = open_weighted_vote(setting, db)
    with pytest.raises(guards.VoteLocked):
        services.update_vote(setting.officer, vote, weighted_vote_details(title="Changed"))


def test_invalid_rules_are_refused_at_creation(db, setting):
    with pytest.raises(DomainError, match=r"rules\.cap"):
        services.create_vote(
            setting.officer,
            setting.area,
            weighted_vote_details(rules={**MOTION_RULES, "cap": "3/2"}),
        )


def test_only_managers_create_votes(db, setting):
    with pytest.raises(NotPermitted):
        services.create_vote(setting.partners[0], setting.area, weighted_vote_details())


def test_cast_gives_a_receipt_and_a_later_cast_replaces_it(db, setting):
    vote = open_weighted_vote(setting, db)
    practice, partner = setting.practices[0], setting.partners[0]
    ballot, first_code = casting.cast_ballot(partner, vote, practice, "for", utcnow())
    db.session.commit()
    check = casting.check_receipt(first_code, utcnow())
    assert (check.choice, check.counted, check.superseded) == ("for", False, False)

    second_partner = make_user(practice, Role.GP_PARTNER)
    _, second_code = casting.cast_ballot(second_partner, vote, practice, "against", utcnow())
    db.session.commit()
    ballots = db.session.execute(sa.select(Ballot).where(Ballot.vote_id == vote.id)).scalars().all()
    assert [(b.choice, b.version, b.cast_by_id) for b in ballots] == [
        ("against", 2, second_partner.id)
    ]
    assert casting.check_receipt(first_code, utcnow()).superseded
    assert casting.check_receipt(second_code, utcnow()).choice == "against"
    assert casting.check_receipt("NOPE-NOPE-NOPE-NOPE", utcnow()) is None
    stored = db.session.execute(sa.select(Receipt.code_hash)).scalars().all()
    assert first_code not in stored
    assert hashlib.sha256(first_code.replace("-", "").encode()).hexdigest() in stored
    assert casting.check_receipt(first_code.lower().replace("-", " "), utcnow()).choice == "for"


def test_who_may_cast(db, setting):
    vote = open_weighted_vote(setting, db)
    with pytest.raises(NotPermitted, match="cannot cast"):
        casting.cast_ballot(setting.manager, vote, setting.practices[0], "for", utcnow())
    with pytest.raises(NotPermitted, match="cannot cast"):
        casting.cast_ballot(setting.partners[1], vote, setting.practices[0], "for", utcnow())
    with pytest.raises(NotPermitted, match="not in the electorate"):
        casting.cast_ballot(setting.officer, vote, setting.lmc, "for", utcnow())
    with pytest.raises(DomainError, match="Choose one of the options"):
        casting.cast_ballot(setting.partners[0], vote, setting.practices[0], "maybe", utcnow())
    assert db.session.execute(sa.select(sa.func.count(Ballot.id))).scalar_one() == 0


def test_no_ballot_before_opening_or_after_closing(db, setting):
    vote = open_weighted_vote(setting, db, opens_at=utcnow() + timedelta(hours=1))
    with pytest.raises(guards.VotingNotOpen):
        casting.cast_ballot(setting.partners[0], vote, setting.practices[0], "for", utcnow())
    vote.opens_at = utcnow() - timedelta(days=2)
    vote.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(guards.VotingClosed):
        casting.cast_ballot(setting.partners[0], vote, setting.practices[0], "for", utcnow())
    assert db.session.execute(sa.select(sa.func.count(Ballot.id))).scalar_one() == 0


def test_pcn_filter_limits_the_practices(db, setting):
    other_pcn = make_organisation(setting.area, OrganisationKind.PCN, ods_code="U20002")
    make_organisation(setting.area, ods_code="A20001", pcn=other_pcn)
    vote = open_weighted_vote(setting, db, pcn_codes=["U20002"], voting_kinds=["practice", "pcn"])
    assert sorted(m.ods_code for m in vote.electorate) == ["A20001", "U10001", "U20002"]


def test_close_counts_once_with_the_rules_module_and_stores_the_hash(db, setting):
    vote = open_weighted_vote(setting, db)
    for practice, partner, choice in zip(
        setting.practices, setting.partners, ["for", "for", "against", "abstain"], strict=True
    ):
        casting.cast_ballot(partner, vote, practice, choice, utcnow())
    db.session.commit()
    _close_now(db, vote)
    assert vote.state is VoteState.CLOSED
    # Shares 10%, 15%, 25%, 50%: for 25%, against 25%: an exact tie, which fails.
    assert vote.result["outcome"] == "rejected"
    assert vote.result["totals"]["for"] == {"members": 2, "weight_percent": "25.000000"}
    assert vote.ballot_record_sha256 == hashlib.sha256(vote.ballot_record.encode()).hexdigest()
    assert counting.recount(json.loads(vote.ballot_record)) == vote.result

    first = (vote.result, vote.ballot_record_sha256)
    vote.closes_at = utcnow() - timedelta(seconds=1)
    closing.close_vote(vote, utcnow())
    assert (vote.result, vote.ballot_record_sha256) == first
    with pytest.raises(guards.VotingClosed):
        casting.cast_ballot(setting.partners[0], vote, setting.practices[0], "against", utcnow())


def test_secret_ballot_keeps_only_exact_totals_and_who_voted(db, setting):
    vote = open_weighted_vote(
        setting,
        db,
        secrecy=BallotSecrecy.SECRET,
        rules={**MOTION_RULES, "weighting": {"scheme": "equal"}},
    )
    casting.cast_ballot(setting.partners[0], vote, setting.practices[0], "for", utcnow())
    db.session.commit()
    _close_now(db, vote)
    assert db.session.execute(sa.select(Ballot)).scalars().all() == []
    assert vote.ballot_record is None
    assert vote.exact_totals["totals"]["for"] == "1/4"
    assert vote.result["totals"]["for"] == {"members": 1, "weight_percent": "25.000000"}
    voted = {member.ods_code: member.voted for member in vote.electorate}
    assert voted == {"A10001": True, "A10002": False, "A10003": False, "A10004": False}


def test_the_set_up_warning_names_whose_ballot_the_rules_expose(setting, db):
    from portal.voting import setup_check

    # List sizes 4,000, 6,000, 10,000 and 20,000: each practice holds a weight of its own.
    warning = setup_check.for_details(
        setting.area, weighted_vote_details(secrecy=BallotSecrecy.SECRET)
    )
    assert warning is not None
    assert [item.ods_code for item in warning.exposed] == ["A10001", "A10002", "A10003", "A10004"]
    safer = {option.label: option.still_exposed for option in warning.safer}
    # Bands of 1,000: 4, 6, 10 and 20 bands, still one each; equal weights hide everyone.
    assert safer == {"Weights in bands of 1,000 patients": 4, "Equal weights": 0}
    equal = {**MOTION_RULES, "weighting": {"scheme": "equal"}}
    assert (
        setup_check.for_details(
            setting.area, weighted_vote_details(secrecy=BallotSecrecy.SECRET, rules=equal)
        )
        is None
    )
    assert setup_check.for_details(setting.area, weighted_vote_details()) is None  # an open ballot


def test_proxy_casts_for_its_grantor_and_the_grantor_overrides_it(db, setting):
    vote = open_weighted_vote(setting, db)
    grantor, holder = setting.practices[0], setting.practices[1]
    proxy = proxies.name_proxy(setting.partners[0], vote, grantor, holder, "against", utcnow())
    db.session.commit()
    with pytest.raises(DomainError, match="instructed"):
        casting.cast_ballot(setting.partners[1], vote, grantor, "for", utcnow())
    ballot, _ = casting.cast_ballot(setting.partners[1], vote, grantor, "against", utcnow())
    db.session.commit()
    assert ballot.proxy_id == proxy.id
    with pytest.raises(Conflict, match="already cast"):
        proxies.revoke_proxy(setting.partners[0], proxy, utcnow())
    own, _ = casting.cast_ballot(setting.partners[0], vote, grantor, "for", utcnow())
    db.session.commit()
    assert (own.choice, own.proxy_id) == ("for", None)
    with pytest.raises(Conflict, match="overrides the proxy"):
        casting.cast_ballot(setting.partners[1], vote, grantor, "against", utcnow())


def test_proxy_limits(db, setting):
    vote = open_weighted_vote(setting, db)
    holder = setting.practices[3]
    proxies.name_proxy(setting.partners[0], vote, setting.practices[0], holder, None, utcnow())
    proxies.name_proxy(setting.partners[1], vote, setting.practices[1], holder, None, utcnow())
    with pytest.raises(Conflict, match="holds 2 proxies"):
        proxies.name_proxy(setting.partners[2], vote, setting.practices[2], holder, None, utcnow())
    with pytest.raises(Conflict, match="already has a proxy"):
        proxies.name_proxy(
            setting.partners[0], vote, setting.practices[0], setting.practices[2], None, utcnow()
        )
    with pytest.raises(NotPermitted):
        proxies.name_proxy(setting.partners[3], vote, setting.practices[2], holder, None, utcnow())


def test_revoked_proxy_can_no_longer_cast(db, setting):
    vote = open_weighted_vote(setting, db)
    proxy = proxies.name_proxy(
        setting.partners[0], vote, setting.practices[0], setting.practices[1], None, utcnow()
    )
    proxies.revoke_proxy(setting.partners[0], proxy, utcnow())
    db.session.commit()
    with pytest.raises(NotPermitted):
        casting.cast_ballot(setting.partners[1], vote, setting.practices[0], "for", utcnow())


def test_recusal_takes_the_organisation_and_its_ballot_out_of_the_count(db, setting):
    vote = open_weighted_vote(setting, db)
    casting.cast_ballot(setting.partners[3], vote, setting.practices[3], "for", utcnow())
    declaration = conflicts.declare_conflict(
        setting.partners[3],
        vote,
        setting.practices[3],
        InterestCategory.FINANCIAL,
        "A partner owns the building the hub would use",
        utcnow(),
    )
    conflicts.rule_on_conflict(setting.officer, declaration, ConflictRuling.RECUSED, utcnow())
    db.session.commit()
    with pytest.raises(NotPermitted, match="recused"):
        casting.cast_ballot(setting.partners[3], vote, setting.practices[3], "for", utcnow())
    casting.cast_ballot(setting.partners[0], vote, setting.practices[0], "for", utcnow())
    casting.cast_ballot(setting.partners[1], vote, setting.practices[1], "against", utcnow())
    db.session.commit()
    _close_now(db, vote)
    # Without A10004: 4000, 6000, 10000 of 20000: for 20%, against 30%.
    assert vote.result["eligible_members"] == 3
    assert vote.result["outcome"] == "rejected"
    assert "A10004" not in vote.result["shares"]
    assert vote.result["shares"]["A10003"] == "50.000000"


def test_only_managers_rule_and_only_members_declare(db, setting):
    vote = open_weighted_vote(setting, db)
    with pytest.raises(NotPermitted):
        conflicts.declare_conflict(
            setting.partners[0],
            vote,
            setting.practices[1],
            InterestCategory.INDIRECT,
            "x",
            utcnow(),
        )
    declaration = conflicts.declare_conflict(
        setting.partners[0], vote, setting.practices[0], InterestCategory.INDIRECT, "x", utcnow()
    )
    with pytest.raises(NotPermitted):
        conflicts.rule_on_conflict(
            setting.partners[1], declaration, ConflictRuling.RECUSED, utcnow()
        )


def test_interest_register_entry(db, setting):
    interest = conflicts.declare_interest(
        setting.partners[0],
        setting.practices[0],
        InterestCategory.NON_FINANCIAL_PROFESSIONAL,
        "Sits on the ICB board",
    )
    assert interest.category.label == "Non-financial professional"
    with pytest.raises(NotPermitted):
        conflicts.declare_interest(
            setting.partners[0], setting.practices[1], InterestCategory.FINANCIAL, "x"
        )


def test_every_step_is_in_the_audit_chain_without_any_choice(db, setting):
    vote = open_weighted_vote(setting, db)
    proxy = proxies.name_proxy(
        setting.partners[0], vote, setting.practices[0], setting.practices[1], None, utcnow()
    )
    proxies.revoke_proxy(setting.partners[0], proxy, utcnow())
    casting.cast_ballot(setting.partners[0], vote, setting.practices[0], "for", utcnow())
    casting.cast_ballot(setting.partners[0], vote, setting.practices[0], "against", utcnow())
    declaration = conflicts.declare_conflict(
        setting.partners[2], vote, setting.practices[2], InterestCategory.FINANCIAL, "x", utcnow()
    )
    conflicts.rule_on_conflict(setting.officer, declaration, ConflictRuling.RECUSED, utcnow())
    db.session.commit()
    _close_now(db, vote)
    entries = (
        db.session.execute(sa.select(AuditEntry).order_by(AuditEntry.sequence)).scalars().all()
    )
    actions = [entry.action for entry in entries]
    for action in (
        "vote.opened",
        "proxy.named",
        "proxy.revoked",
        "ballot.cast",
        "ballot.changed",
        "conflict.declared",
        "conflict.ruled",
        "vote.closed",
    ):
        assert action in actions
    for entry in entries:
        if entry.action.startswith("ballot."):
            assert "for" not in json.dumps(entry.details)
            assert "against" not in entry.summary
    closed = entries[-1]
    assert closed.details["sha256"] == vote.ballot_record_sha256
    assert verify_chain() is None


def test_notices_on_opening_and_result_go_through_smtp(app, db, setting, smtp_server):
    from portal import mail

    with app.test_request_context():
        vote = open_weighted_vote(setting, db)
        mail.deliver_queued()
    recipients = sorted(message["To"] for message in smtp_server.messages)
    assert recipients == sorted(p.email for p in setting.partners)
    assert "Vote open" in smtp_server.messages[0]["Subject"]
    smtp_server.messages.clear()
    with app.test_request_context():
        _close_now(db, vote)
        mail.deliver_queued()
    assert len(smtp_server.messages) == 4
    assert all("Result declared" in m["Subject"] for m in smtp_server.messages)


def test_cli_reminds_only_those_who_have_not_voted_and_only_once(app, db, setting, smtp_server):
    from portal import mail
    from portal.voting.commands import send_vote_reminders_command

    vote = open_weighted_vote(setting, db, closes_at=utcnow() + timedelta(hours=20))
    casting.cast_ballot(setting.partners[0], vote, setting.practices[0], "for", utcnow())
    db.session.commit()
    mail.discard_queued()
    runner = app.test_cli_runner()
    result = runner.invoke(send_vote_reminders_command)
    assert result.exit_code == 0, result.output
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(
        p.email for p in setting.partners[1:]
    )
    smtp_server.messages.clear()
    runner.invoke(send_vote_reminders_command)
    assert smtp_server.messages == []


def test_cli_closes_due_votes(app, db, setting):
    from portal.voting.commands import close_due_votes_command

    vote = open_weighted_vote(setting, db)
    casting.cast_ballot(setting.partners[3], vote, setting.practices[3], "for", utcnow())
    casting.cast_ballot(setting.partners[2], vote, setting.practices[2], "against", utcnow())
    vote.opens_at = utcnow() - timedelta(days=2)
    vote.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(close_due_votes_command)
    assert result.exit_code == 0, result.output
    assert "1 vote(s) closed" in result.output
    db.session.expire_all()
    vote = db.session.get(Vote, vote.id)
    assert vote.state is VoteState.CLOSED
    assert vote.result["outcome"] == "passed"
    assert "0 vote(s) closed" in app.test_cli_runner().invoke(close_due_votes_command).output


def test_ballots_csv_never_carries_a_formula(db, setting):
    choice_rules = {**MOTION_RULES, "threshold": {"rule": "plurality"}}
    vote = open_weighted_vote(
        setting,
        db,
        kind=VoteKind.CHOICE,
        options=['=HYPERLINK("https://evil.example","x")', "Plain option"],
        rules=choice_rules,
    )
    casting.cast_ballot(setting.partners[0], vote, setting.practices[0], vote.options[0], utcnow())
    db.session.commit()
    _close_now(db, vote)
    rows = reports.ballots_csv(vote).splitlines()
    assert rows[0] == "voter,kind,choice,share_percent"
    assert rows[1].startswith("A10001,practice,\"'=HYPERLINK(")


def test_secret_ballot_audit_entries_never_name_who_cast(db, setting):
    vote = open_weighted_vote(
        setting,
        db,
        secrecy=BallotSecrecy.SECRET,
        rules={**MOTION_RULES, "weighting": {"scheme": "equal"}},
    )
    casting.cast_ballot(setting.partners[0], vote, setting.practices[0], "for", utcnow())
    casting.cast_ballot(setting.partners[0], vote, setting.practices[0], "against", utcnow())
    db.session.commit()
    _close_now(db, vote)
    casts = (
        db.session.execute(
            sa.select(AuditEntry).where(AuditEntry.action.in_(["ballot.cast", "ballot.changed"]))
        )
        .scalars()
        .all()
    )
    assert len(casts) == 2
    for entry in casts:
        assert (entry.actor_id, entry.actor_label) == (None, "system")
        assert entry.details == {"organisation": "A10001"}
        assert setting.partners[0].email not in entry.summary
    open_vote = open_weighted_vote(setting, db)
    casting.cast_ballot(setting.partners[1], open_vote, setting.practices[1], "for", utcnow())
    db.session.commit()
    last = db.session.execute(
        sa.select(AuditEntry).order_by(AuditEntry.sequence.desc()).limit(1)
    ).scalar_one()
    assert last.actor_id == setting.partners[1].id
