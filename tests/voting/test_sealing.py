"""Sealing the full secret-ballot record to its scrutineers, and the attacker on that record.

Pure tests: no app, no database. The scrypt cost is lowered so the tests run quickly; the
cost is stored with each key, so the code under test is the same.
"""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.exceptions import InvalidTag

from portal.voting import rules as counting
from portal.voting import sealing, secrecy

COST = 2**10
CONTEXT = b"vote:7"


def test_each_scrutineer_opens_the_record_with_their_own_passphrase() -> None:
    alice = sealing.make_key("correct horse battery", CONTEXT, cost=COST)
    bob = sealing.make_key("staple paperclip lamp", CONTEXT, cost=COST)
    sealed, wrapped = sealing.seal(b'{"record": 1}', [alice.public_key, bob.public_key], CONTEXT)
    assert b"record" not in sealed
    for key, passphrase, wrap in (
        (alice, "correct horse battery", wrapped[0]),
        (bob, "staple paperclip lamp", wrapped[1]),
    ):
        private = sealing.unlock(passphrase, key, CONTEXT)
        assert sealing.open_sealed(sealed, wrap, private, CONTEXT) == b'{"record": 1}'


def test_a_wrong_passphrase_opens_nothing() -> None:
    key = sealing.make_key("correct horse battery", CONTEXT, cost=COST)
    with pytest.raises(sealing.WrongPassphrase):
        sealing.unlock("correct horse batterY", key, CONTEXT)


def test_one_scrutineers_key_does_not_open_anothers_wrapping() -> None:
    alice = sealing.make_key("correct horse battery", CONTEXT, cost=COST)
    bob = sealing.make_key("staple paperclip lamp", CONTEXT, cost=COST)
    sealed, wrapped = sealing.seal(b"secret", [alice.public_key, bob.public_key], CONTEXT)
    private = sealing.unlock("correct horse battery", alice, CONTEXT)
    with pytest.raises(InvalidTag):
        sealing.open_sealed(sealed, wrapped[1], private, CONTEXT)


def test_a_sealed_record_cannot_pass_as_another_votes() -> None:
    key = sealing.make_key("correct horse battery", CONTEXT, cost=COST)
    sealed, wrapped = sealing.seal(b"secret", [key.public_key], CONTEXT)
    private = sealing.unlock("correct horse battery", key, CONTEXT)
    with pytest.raises(InvalidTag):
        sealing.open_sealed(sealed, wrapped[0], private, b"vote:8")


def test_a_short_passphrase_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 12 characters"):
        sealing.make_key("short", CONTEXT, cost=COST)


def _ballot(electorate: list[dict[str, Any]], ballots: list[tuple[str, str]]) -> secrecy.Ballot:
    return secrecy.ballot_from_record(
        {
            "format": counting.FORMAT,
            "vote": {"title": "T", "kind": "motion", "options": ["for", "against", "abstain"]},
            "rules": {
                "weighting": {"scheme": "list_size"},
                "threshold": {"rule": "simple_majority"},
            },
            "electorate": electorate,
            "ballots": [{"voter": v, "choice": c} for v, c in ballots],
        }
    )


def test_a_share_only_one_voter_holds_unmasks_it_in_the_record() -> None:
    # List sizes all different: every share is unique, so each (share, choice) pair names
    # its caster. A for, B against, C for: the outcome alone (passed) leaves B's choice open.
    electorate = [
        {"id": "A", "kind": "practice", "list_size": 5000},
        {"id": "B", "kind": "practice", "list_size": 3000},
        {"id": "C", "kind": "practice", "list_size": 1000},
    ]
    ballot = _ballot(electorate, [("A", "for"), ("B", "against"), ("C", "for")])
    assert "B" in secrecy.record_unmasked(ballot)


def test_equal_shares_with_mixed_choices_unmask_nobody_in_the_record() -> None:
    # Four equal shares, two for and two against: any of the four could have cast either.
    electorate = [{"id": f"M{i}", "kind": "practice", "list_size": 1000} for i in range(4)]
    ballots = [("M0", "for"), ("M1", "against"), ("M2", "for"), ("M3", "against")]
    assert secrecy.record_unmasked(_ballot(electorate, ballots)) == []


def test_what_the_outcome_forces_is_not_counted_as_unmasked() -> None:
    # One voter and a passed motion: the outcome alone says A voted for (against or abstain
    # would have rejected it), so the record gives nothing more away.
    electorate = [{"id": "A", "kind": "practice", "list_size": 1000}]
    assert secrecy.record_unmasked(_ballot(electorate, [("A", "for")])) == []


def test_a_share_held_across_kinds_is_read_with_the_published_breakdown() -> None:
    # No federation or PCN: blocks 1/2 and 1/8 scale up to 4/5 and 1/5; equal weights give
    # four practices 1/5 each and the LMC 1/5 too. LMC for, P0 against, P1 for: the record's
    # three ballots of 1/5 (for, against, for) could be anyone's among them, but with the
    # per-kind counts beside it (the LMC: 1 for) the LMC's answer shows.
    electorate = [{"id": f"P{i}", "kind": "practice"} for i in range(4)]
    electorate.append({"id": "LMC", "kind": "lmc"})
    data = {
        "format": counting.FORMAT,
        "vote": {"title": "T", "kind": "motion", "options": ["for", "against", "abstain"]},
        "rules": {
            "weighting": {"scheme": "equal"},
            "blocks": {"practice": "1/2", "lmc": "1/8", "pcn": "1/4", "federation": "1/8"},
            "threshold": {"rule": "simple_majority"},
        },
        "electorate": electorate,
        "ballots": [
            {"voter": "LMC", "choice": "for"},
            {"voter": "P0", "choice": "against"},
            {"voter": "P1", "choice": "for"},
        ],
    }
    ballot = secrecy.ballot_from_record(data)
    assert secrecy.record_unmasked(ballot) == []
    assert "LMC" in secrecy.record_unmasked(ballot, by_kind_published=True)
