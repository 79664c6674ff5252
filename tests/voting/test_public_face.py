"""Other domains learn a vote's outcome, totals and (open ballots only) ballots through
``portal.voting.public``, never by reading what voting stores: its result, ballot record, exact
totals and published figures are voting's own, and their shape may change.

The check reads the source (Python by its syntax tree, templates as text), so it fails the
moment a module outside ``portal/voting/`` reaches into them.
"""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from fractions import Fraction
from pathlib import Path

import pytest

from portal.database import utcnow
from portal.voting import casting, closing, public
from portal.voting import rules as counting
from portal.voting.models import BallotSecrecy
from tests.voting.helpers import open_weighted_vote

PORTAL = Path(__file__).resolve().parents[2] / "portal"
VOTING = PORTAL / "voting"
# Columns no other domain's name could share: any read of them is a read of a vote's.
VOTE_ONLY = {"ballot_record", "exact_totals"}
# Names other models use too (an election has a result): a read counts when it is a vote's.
SHARED = {"result", "published"}
TEMPLATE_READ = re.compile(r"\bvotes?\b[\w.]*\.(result|ballot_record|exact_totals|published)\b")


def _outside_voting(pattern: str) -> list[Path]:
    return [path for path in sorted(PORTAL.rglob(pattern)) if VOTING not in path.parents]


def _reads_in(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute):
            owner = ast.unparse(node.value).lower()
            if node.attr in VOTE_ONLY or (node.attr in SHARED and "vote" in owner):
                found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Constant) and node.value in VOTE_ONLY:
            found.append((node.lineno, repr(node.value)))  # getattr(vote, "ballot_record")
    return found


def test_no_module_outside_voting_reads_what_voting_stores() -> None:
    reads = [
        f"{path.relative_to(PORTAL.parent)}:{line}: {text}"
        for path in _outside_voting("*.py")
        for line, text in _reads_in(path.read_text())
    ]
    assert reads == [], "use portal.voting.public instead:\n" + "\n".join(reads)


def test_no_template_outside_voting_reads_what_voting_stores() -> None:
    reads = [
        f"{path.relative_to(PORTAL.parent)}:{number}: {match.group(0)}"
        for path in _outside_voting("*.html")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        for match in TEMPLATE_READ.finditer(line)
    ]
    assert reads == [], "pass what portal.voting.public says instead:\n" + "\n".join(reads)


@pytest.mark.parametrize(
    "source",
    [
        "vote.result['outcome']",
        "(position.vote.result or {}).get('outcome')",
        "json.loads(vote.ballot_record)",
        "row.exact_totals",
        "self.vote.published['level']",
        "getattr(vote, 'ballot_record')",
        "sa.select(Vote.result)",
    ],
)
def test_the_check_sees_each_way_of_reading_them(source: str) -> None:
    assert _reads_in(source)


def test_the_check_leaves_other_results_alone() -> None:
    assert _reads_in("election.result['elected']; statement.published_at") == []


def test_a_vote_not_counted_has_no_outcome_result_or_ballots(db, setting) -> None:
    vote = open_weighted_vote(setting, db)
    casting.cast_ballot(setting.partners[0], vote, setting.practices[0], "for", utcnow())
    assert (public.outcome(vote), public.passed(vote), public.result(vote)) == (None, False, None)
    assert public.ballots_by_voter(vote) == {}
    assert (public.outcome(None), public.passed(None)) == (None, False)


def _counted(db, setting, **changes):
    vote = open_weighted_vote(setting, db, **changes)
    for partner, practice, choice in zip(
        setting.partners, setting.practices, ("for", "for", "against"), strict=False
    ):
        casting.cast_ballot(partner, vote, practice, choice, utcnow())
    vote.opens_at = utcnow() - timedelta(days=2)
    vote.closes_at = utcnow() - timedelta(seconds=1)
    closing.close_due_votes(utcnow())
    db.session.commit()
    return vote


def test_an_open_ballot_tells_its_exact_result_and_who_voted_how(db, setting) -> None:
    vote = _counted(db, setting)
    result = public.result(vote)
    assert result is not None
    assert result.outcome == public.outcome(vote) == vote.result["outcome"]
    assert counting.result_to_json(result) == vote.result
    assert result.totals["for"].weight == Fraction(vote.exact_totals["totals"]["for"])
    assert public.ballots_by_voter(vote) == {"A10001": "for", "A10002": "for", "A10003": "against"}


def test_a_secret_ballot_tells_its_exact_totals_and_nobody_s_ballot(db, setting) -> None:
    vote = _counted(db, setting, secrecy=BallotSecrecy.SECRET)
    result = public.result(vote)
    assert result is not None
    assert result.outcome == vote.result["outcome"]
    assert {option: total.weight for option, total in result.totals.items()} == {
        option: Fraction(weight) for option, weight in vote.exact_totals["totals"].items()
    }
    assert result.turnout_weight == Fraction(vote.exact_totals["turnout_weight"])
    assert result.shares == {}
    assert public.ballots_by_voter(vote) == {}
