"""Weighting and tally rules for GP Collective Voice.

This docstring is the whole of the counting law of the portal. The portal's own results pages
and the offline recount (``python -m portal.voting.recount FILE``) both call the functions of
this module, so a returning officer who reads it has read every rule that decides a vote. The
code is in five modules of one job each, all standard library only (no web framework and no
database): ``record_types`` (a record's parts and exact numbers), ``record_reading`` (reading
and checking an @1 record), ``weights`` (the shares), ``secret_ballot_record`` (the @2 record)
and this one (the count, the result and the hash).

Every decision is taken with exact fractions. Only the percentages printed in a result are
rounded, to 6 decimal places, half to even, from the exact fraction.

The ballot record
=================
A ballot record is a JSON object::

    {"format": "gp-collective-voice/ballot-record@1",
     "vote": {"title": "...", "kind": "motion" | "choice", "options": [...]},
     "rules": {"weighting": {...}, "blocks": ..., "cap": ..., "quorum": {...},
               "threshold": {...}, "tie": ...},
     "electorate": [{"id", "kind", "list_size", "weighted_list_size", "weight", "recused"}, ...],
     "ballots": [{"voter": "...", "choice": "..."}, ...]}

Numbers may be written as JSON integers, as ``"p/q"`` strings (for example ``"2/3"``) or as
plain decimal strings (``"4579.78"``; no exponent). A JSON number with a decimal point is taken
at the value of its written digits: the recount reads it as an exact decimal, and a Python
``float`` handed to this module directly is converted through its shortest written form
(``str(0.1)`` is ``"0.1"``, so it counts as exactly 1/10). ``true``/``false`` are never numbers,
and a number written with more than 200 characters or digits is refused. A list size must be a
whole number (``3904``, ``"3904"`` or ``3904.0``; ``"3904.5"`` is refused).

``blocks``, ``cap`` and ``quorum`` (and each part of ``quorum``) may be null or left out, meaning
none. ``recused`` may be left out, meaning false. A member's ``list_size``,
``weighted_list_size`` and ``weight`` may be null or left out unless the weighting scheme needs
them; one that is given must be a number, but it is checked for being missing or negative only
when the scheme uses it (so a missing list size does not matter under ``equal``).

Messages name the item at fault: ``ballot 3``, ``electorate entry 2`` (both counted from 1 in
record order), ``electorate member 'A81001'``, or the rule's path such as ``rules.cap``.

Who may vote
============
1. A member marked ``"recused": true`` leaves the electorate: it has no share, is not counted in
   the number of eligible members N, and a ballot from it is refused. Recused members' list sizes
   and weights are not looked at.
2. Member ids must be unique across the whole electorate (recused members included).
3. Member kinds are ``practice``, ``pcn``, ``federation`` or ``lmc``.
4. An electorate with no eligible member (empty, or everyone recused) is refused.

Weights (each eligible member's share of the whole, summing to exactly 1)
=========================================================================
Step 1, the raw weight of a member, by the ``weighting`` scheme:

* ``equal``: 1 each.
* ``list_size``: the member's registered list size (a whole number, 0 or more; required).
* ``weighted_list_size``: the member's weighted list size (a number, 0 or more; required).
* ``banded`` with ``band`` B (a whole number, 1 or more): ceil(list_size / B), but at least 1,
  so a practice with 0 to B patients has 1 band.
* ``fixed``: the member's ``weight`` (a number, 0 or more; required).

A member's share within a group (the whole electorate, or one block, see below) is its raw
weight divided by the total raw weight of the group. A group whose total raw weight is 0 (for
example every list size is 0, or a block holding only the LMC, which has no list size) shares
the group equally among its members: with blocks practice 1/2 by list size, PCN 1/4, LMC 1/8
and federation 1/8, the LMC and the federation each hold their whole 1/8.

* ``hybrid`` with ``equal_part`` E (a fraction from 0 to 1) and ``basis`` (any of the schemes
  above, ``banded`` then needing ``band`` in the same object): a member's share within a group of
  n members is E x 1/n + (1 - E) x basis / (sum of basis over the group). Without blocks the
  group is the whole electorate; with blocks the formula is applied inside each block, n and the
  sum of the basis being that block's. When the group's basis total is 0, its basis part is
  shared equally too, so each member holds 1/n of the group.

Step 2, blocks (optional). ``blocks`` gives a fraction to some of the kinds, for example
``{"practice": "1/2", "pcn": "1/4", "lmc": "1/8", "federation": "1/8"}``. The keys must be kinds,
the fractions must be 0 or more and sum to exactly 1. Every eligible member's kind must have a
block (otherwise the member is named and the record refused). Each kind's fraction is shared
among that kind's eligible members in proportion to their raw weight (or by the hybrid formula
inside the block). A kind that has no eligible member drops out, and the fractions of the kinds
that remain are scaled up in proportion so that they again sum to 1 (if they are all 0 the record
is refused). A kind that has members but a total raw weight of 0 shares its fraction equally
among them (as any group whose total is 0 does).

Step 3, the cap (optional), a fraction C with 0 < C <= 1, applied to the final shares (after
blocks, so it may move weight from one block to another). No member's share may exceed C.
Repeatedly: every member whose share is above C is fixed at exactly C, and what is left
(1 - C x the number fixed) is shared among the members not fixed in proportion to their current
shares; this is repeated until no share exceeds C. The cap is refused as infeasible when
C x N < 1 (N eligible members: even equal shares would break it). When the weight left over can
only go to members whose shares are all 0 (there is no proportion to share it in), it is shared
equally among them: list sizes 100, 0, 0 with a cap of 1/2 give 1/2, 1/4, 1/4. (C x N >= 1
means those equal parts never exceed C.) Shares always sum to exactly 1.

The count
=========
W(x) is the sum of the shares of the members who chose option x: a fraction of the whole
eligible electorate, so W over everyone eligible is 1. N(x) is the number of members who chose
x. Each eligible member has at most one ballot. Ballots are numbered from 1 in record order in
messages. A ballot is refused when its voter is not in the electorate, is recused, or has already
voted, or when its choice is not one of the vote's options.

Turnout is the number of members who cast a ballot (abstentions included) and the weight they
hold (the sum of their shares; abstentions included).

Quorum (optional, either or both): ``members`` Q: turnout members / N >= Q; ``weight`` Q:
turnout weight >= Q. Each Q is a fraction from 0 to 1. A vote that is not quorate has the
outcome ``inquorate`` (and no winner) whatever the ballots say.

Motions (``kind: "motion"``): the options are exactly ``for``, ``against`` and ``abstain`` (in
any order; results list them in the record's order). Abstentions count toward turnout and quorum
but never toward for or against. Threshold rules:

* ``simple_majority``: passed when W(for) > W(against). An exact tie W(for) = W(against) (which
  includes 0 = 0, when nobody voted for or against) is settled by ``tie``: ``chair_for`` passes
  it, ``chair_against`` and ``fails`` reject it (the status quo stands). ``tie`` defaults to
  ``fails`` when the record leaves it out or null. No other rule looks at ``tie``.
* ``supermajority`` with ``fraction`` F: passed when W(for) >= F x (W(for) + W(against)) and
  W(for) > 0. F must satisfy 1/2 < F <= 1: with F = 1/2 or less a tie would pass, and every rule
  but simple majority must treat a tie as not passed.
* ``absolute_majority``: passed when W(for) > 1/2 (more than half the whole eligible weight).
* ``double_majority``: passed when W(for) > W(against) and N(for) > N(against).
* ``unanimous``: passed when every eligible member cast a ballot and chose ``for``; a single
  abstention, vote against or missing ballot means it is not passed.

A motion's outcome is ``passed`` or ``rejected`` (or ``inquorate``); its winner is always null.

Choices (``kind: "choice"``): at least 2 distinct option labels, none of them ``abstain`` (a
choice vote has no abstain option: every label is something that can be elected). The weight
cast is the sum of W over all the options. Threshold rules:

* ``plurality``: the option with the greatest W is elected; a tie for first place (including
  nobody voting at all) gives ``no_winner``.
* ``simple_majority``: the option with the greatest W is elected only if it holds more than half
  of the weight cast; otherwise ``no_winner`` (also when no weight is cast).

A choice's outcome is ``elected`` with the winning label, or ``no_winner`` (or ``inquorate``),
the winner being null unless elected. ``tie`` plays no part in a choice vote.

Any other threshold rule for the kind of vote, any unknown scheme, kind or tie setting is refused.
Keys this module does not know are ignored.

The result
==========
``{"outcome", "winner", "quorum_met", "eligible_members", "turnout": {"members",
"weight_percent"}, "totals": {option: {"members", "weight_percent"}, ...}, "shares": {id:
percent, ...}}``, keys in that order. ``quorum_met`` is true when no quorum is set;
``eligible_members`` is N, the members left after recusal. ``totals`` has an entry for every
option, in option order, zero totals included ("0.000000"). ``shares`` has every eligible
member, in electorate order.
Every percentage is a percentage of the whole eligible electorate (share x 100), written with
exactly 6 decimal places, rounded half to even from the exact fraction: "0.712345" means
0.712345 %. Printed percentages may not add up to exactly 100 because of that rounding; the
decisions were taken on the exact fractions.

The secret-ballot record
========================
A secret ballot's record has its own format, ``gp-collective-voice/ballot-record@2``. A ballot
names no voter, only the share of the member who cast it::

    {"format": "gp-collective-voice/ballot-record@2",
     "vote": {...}, "rules": {...},                         (exactly as in @1)
     "electorate": [{"id", "kind", "list_size", "weighted_list_size", "weight", "recused",
                     "share"}, ...],
     "ballots": [{"share": "p/q", "choice": "..."}, ...],
     "salt": "<hexadecimal digits>"}

Everything in the sections above holds for it too, except what this section changes.

1. Each electorate entry gives its member's ``share`` of the whole as a number (the portal
   writes ``"p/q"`` in lowest terms), null or left out for a recused member. It must equal the
   share the rules give that member (Weights, above), or the record is refused naming the
   member: the shares in a record are there to be read, and the rules decide them.
2. A ballot is ``{"share", "choice"}``: the share of the member who cast it, and its choice.
   Ballots are sorted by share, smallest first (compared as fractions), then by choice, so the
   order of the record says nothing about the order of voting; a record out of that order is
   refused.
3. The ballots' shares must be drawn from the electorate's: for every share, the number of
   ballots carrying it is at most the number of eligible members who hold it (each member has
   at most one ballot). A ballot with a share that no eligible member holds, or a share used
   more often than members hold it, is refused, naming the share and both numbers.
4. The count is the same as for @1, from the ballots' shares: W(x) is the sum of the shares of
   the ballots that chose x, N(x) their number; turnout is the number of ballots and the sum of
   their shares. The result has the same form; ``shares`` lists every eligible member by id.
5. ``salt`` is at least 32 hexadecimal digits (128 bits), drawn at random for each vote. An
   unsalted hash of a sorted record could be found by trying every possible record; with the
   salt, the published SHA-256 proves which record was counted without giving it away.

A share that only one member holds identifies that member's ballot, so the portal gives the
full @2 record only to the vote's scrutineers, and to members only when nobody can be told
apart in it (``portal.voting.secrecy``).

The hash
========
When the portal stores a ballot record it hashes (SHA-256) ``canonical_json(record)``: the JSON
with keys sorted, no whitespace, non-ASCII characters as UTF-8. For an @2 record the salt is
part of what is hashed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from portal.voting.record_reading import (
    _object,
    parse_record,
    parse_rules,
)
from portal.voting.record_types import (
    CHOICE_RULES,
    FORMAT,
    KINDS,
    MOTION_RULES,
    SCHEMES,
    SECRET_FORMAT,
    Ballot,
    BallotRecord,
    Member,
    Numbers,
    OptionTotal,
    RecordError,
    Result,
    Roll,
    Rules,
    SecretBallot,
    SecretBallotRecord,
    Shares,
    ShareVector,
    Vote,
    Weighting,
    _describe,
    _percents,
    percent,
    to_fraction,
)
from portal.voting.secret_ballot_record import (
    parse_secret_record,
    secret_ballot_entries,
    secret_record,
)
from portal.voting.weights import (
    _share_vector,
    compute_shares,
    share_vector,
)

__all__ = [
    "FORMAT",
    "KINDS",
    "SCHEMES",
    "SECRET_FORMAT",
    "Ballot",
    "BallotRecord",
    "Member",
    "Numbers",
    "OptionTotal",
    "RecordError",
    "Result",
    "Roll",
    "Rules",
    "SecretBallot",
    "SecretBallotRecord",
    "ShareVector",
    "Shares",
    "Vote",
    "Weighting",
    "canonical_json",
    "compute_shares",
    "parse_record",
    "parse_rules",
    "parse_secret_record",
    "percent",
    "record_digest",
    "recount",
    "result_to_json",
    "secret_ballot_entries",
    "secret_record",
    "share_vector",
    "tally",
    "tally_secret",
    "to_fraction",
]

# --------------------------------------------------------------------------------------------
# Tally
# --------------------------------------------------------------------------------------------


def tally(record: BallotRecord) -> Result:
    """Count a checked ballot record exactly."""
    vote, rules = record.vote, record.rules
    allowed = MOTION_RULES if vote.kind == "motion" else CHOICE_RULES
    if rules.threshold not in allowed:
        raise RecordError(
            f"rules.threshold.rule: {rules.threshold!r} is not a rule for a {vote.kind} vote"
        )
    vector = _share_vector(record.roll.eligible(), rules)
    shares = vector.numerators
    weights = [0] * len(vote.options)
    counts = [0] * len(vote.options)
    for i, j in zip(record.voters, record.choices, strict=True):
        weights[j] += shares[i]
        counts[j] += 1
    return _decide(vote, rules, weights, counts, vector.denominator, vector)


def _decide(
    vote: Vote,
    rules: Rules,
    weights: Sequence[int],
    counts: Sequence[int],
    denominator: int,
    vector: ShareVector,
) -> Result:
    """The result from each option's weight (numerators over ``denominator``) and count."""
    eligible = len(vector.numerators)
    turnout_members = sum(counts)
    turnout_weight = sum(weights)

    quorum_met = True
    if rules.quorum_members is not None:
        q = rules.quorum_members
        quorum_met = quorum_met and turnout_members * q.denominator >= q.numerator * eligible
    if rules.quorum_weight is not None:
        q = rules.quorum_weight
        quorum_met = quorum_met and turnout_weight * q.denominator >= q.numerator * denominator

    winner: str | None = None
    if not quorum_met:
        outcome = "inquorate"
    elif vote.kind == "motion":
        position = {option: j for j, option in enumerate(vote.options)}
        w_for, w_against = weights[position["for"]], weights[position["against"]]
        n_for, n_against = counts[position["for"]], counts[position["against"]]
        passed = _motion_passes(rules, w_for, w_against, n_for, n_against, denominator, eligible)
        outcome = "passed" if passed else "rejected"
    else:
        winner = _choice_winner(rules.threshold, vote.options, weights)
        outcome = "elected" if winner is not None else "no_winner"

    totals = {
        option: OptionTotal(counts[j], Fraction(weights[j], denominator))
        for j, option in enumerate(vote.options)
    }
    return Result(
        outcome=outcome,
        winner=winner,
        quorum_met=quorum_met,
        eligible_members=eligible,
        turnout_members=turnout_members,
        turnout_weight=Fraction(turnout_weight, denominator),
        totals=totals,
        shares=Shares(vector),
    )


def _motion_passes(
    rules: Rules,
    w_for: int,
    w_against: int,
    n_for: int,
    n_against: int,
    denominator: int,
    eligible: int,
) -> bool:
    """Weights are numerators over ``denominator`` (the whole eligible electorate)."""
    rule = rules.threshold
    if rule == "simple_majority":
        if w_for == w_against:
            return rules.tie == "chair_for"
        return w_for > w_against
    if rule == "supermajority":
        f = rules.threshold_fraction
        if f is None:
            raise RecordError("rules.threshold.fraction: a supermajority needs a fraction")
        return w_for > 0 and w_for * f.denominator >= f.numerator * (w_for + w_against)
    if rule == "absolute_majority":
        return 2 * w_for > denominator
    if rule == "double_majority":
        return w_for > w_against and n_for > n_against
    if rule == "unanimous":
        return n_for == eligible
    raise RecordError(f"rules.threshold.rule: unknown rule {rule!r}")


def _choice_winner(rule: str, options: Sequence[str], weights: Sequence[int]) -> str | None:
    top = max(weights)
    leaders = [option for option, w in zip(options, weights, strict=True) if w == top]
    if len(leaders) != 1:
        return None
    if rule == "plurality":
        return leaders[0]
    if rule == "simple_majority":
        return leaders[0] if 2 * top > sum(weights) else None
    raise RecordError(f"rules.threshold.rule: unknown rule {rule!r}")


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def result_to_json(result: Result) -> dict[str, Any]:
    """The result as a JSON-ready dict, keys in a fixed order, percentages as strings."""
    return {
        "outcome": result.outcome,
        "winner": result.winner,
        "quorum_met": result.quorum_met,
        "eligible_members": result.eligible_members,
        "turnout": {
            "members": result.turnout_members,
            "weight_percent": percent(result.turnout_weight),
        },
        "totals": {
            option: {"members": total.members, "weight_percent": percent(total.weight)}
            for option, total in result.totals.items()
        },
        "shares": _percent_shares(result.shares),
    }


def _percent_shares(shares: Mapping[str, Fraction]) -> dict[str, str]:
    if isinstance(shares, Shares):  # a count's own shares, over one common denominator
        vector = shares.vector
        return dict(zip(vector.ids, _percents(vector.numerators, vector.denominator), strict=True))
    return {member_id: percent(share) for member_id, share in shares.items()}


def recount(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check, count and report a ballot record (@1 or @2): what ``python -m
    portal.voting.recount`` prints."""
    data = _object(data, "record")
    if data.get("format") == SECRET_FORMAT:
        return result_to_json(tally_secret(parse_secret_record(data)))
    if data.get("format") != FORMAT:
        raise RecordError(
            f"format: expected {FORMAT!r} or {SECRET_FORMAT!r}, got {_describe(data.get('format'))}"
        )
    return result_to_json(tally(parse_record(data)))


def tally_secret(record: SecretBallotRecord) -> Result:
    """Count a checked @2 record exactly, from its ballots' shares."""
    vote, rules = record.vote, record.rules
    allowed = MOTION_RULES if vote.kind == "motion" else CHOICE_RULES
    if rules.threshold not in allowed:
        raise RecordError(
            f"rules.threshold.rule: {rules.threshold!r} is not a rule for a {vote.kind} vote"
        )
    vector = record.shares
    weights = [0] * len(vote.options)
    counts = [0] * len(vote.options)
    for share, j in zip(record.ballot_shares, record.choices, strict=True):
        weights[j] += share
        counts[j] += 1
    return _decide(vote, rules, weights, counts, vector.denominator, vector)


def canonical_json(data: Any) -> bytes:
    """The bytes the portal hashes: keys sorted, no whitespace, UTF-8."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def record_digest(data: Any) -> str:
    """SHA-256 (hex) of ``canonical_json(data)``."""
    import hashlib  # here, not at the top: the recount never hashes, and starts sooner without it

    return hashlib.sha256(canonical_json(data)).hexdigest()
