"""Weighting and tally rules for GP Collective Voice.

This module is the whole of the counting law of the portal. The portal's own results pages and
the offline recount (``python -m portal.voting.recount FILE``) both call the functions below, so
a returning officer who reads this file has read every rule that decides a vote. It uses the
Python standard library only: no web framework and no database.

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
import math
import operator
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from itertools import repeat
from types import NoneType
from typing import Any, NoReturn

__all__ = [
    "FORMAT",
    "KINDS",
    "SCHEMES",
    "SECRET_FORMAT",
    "Ballot",
    "BallotRecord",
    "Member",
    "OptionTotal",
    "RecordError",
    "Result",
    "Rules",
    "SecretBallot",
    "SecretBallotRecord",
    "ShareVector",
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

FORMAT = "gp-collective-voice/ballot-record@1"
SECRET_FORMAT = "gp-collective-voice/ballot-record@2"  # noqa: S105  (a format name)
SALT_HEX_DIGITS = 32  # 128 bits at least
KINDS = ("practice", "pcn", "federation", "lmc")
BASIS_SCHEMES = ("equal", "list_size", "weighted_list_size", "banded", "fixed")
SCHEMES = (*BASIS_SCHEMES, "hybrid")
MOTION_OPTIONS = ("for", "against", "abstain")
MOTION_RULES = (
    "simple_majority",
    "supermajority",
    "absolute_majority",
    "double_majority",
    "unanimous",
)
CHOICE_RULES = ("plurality", "simple_majority")
TIE_SETTINGS = ("fails", "chair_for", "chair_against")

_ONE = Fraction(1)
_HALF = Fraction(1, 2)


class RecordError(ValueError):
    """A ballot record is refused. The message names the item at fault."""


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Member:
    """One member of the electorate (a practice, PCN, federation or LMC)."""

    id: str
    kind: str
    list_size: int | None = None
    weighted_list_size: Fraction | None = None
    weight: Fraction | None = None
    recused: bool = False


@dataclass(frozen=True, slots=True)
class Weighting:
    """The weighting scheme; ``band`` for banded, ``equal_part``/``basis`` for hybrid."""

    scheme: str
    band: int | None = None
    equal_part: Fraction | None = None
    basis: str | None = None


@dataclass(frozen=True)
class Rules:
    """The rules of one vote, already checked and converted to exact numbers."""

    weighting: Weighting
    blocks: Mapping[str, Fraction] | None = None
    cap: Fraction | None = None
    quorum_members: Fraction | None = None
    quorum_weight: Fraction | None = None
    threshold: str = "simple_majority"
    threshold_fraction: Fraction | None = None
    tie: str = "fails"


@dataclass(frozen=True, slots=True)
class Vote:
    title: str
    kind: str
    options: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Ballot:
    voter: str
    choice: str


@dataclass(frozen=True, slots=True)
class Numbers:
    """One exact number or None per electorate entry: ``values[i] / scale``.

    One whole-number scale for the column (a power of 10 for decimals) keeps the weights'
    arithmetic in integers; a member's number becomes a Fraction only when it is read.
    """

    values: tuple[int | None, ...]
    scale: int

    def fraction(self, i: int) -> Fraction | None:
        value = self.values[i]
        return None if value is None else Fraction(value, self.scale)

    def subset(self, indices: Sequence[int]) -> Numbers:
        values = self.values
        return Numbers(tuple([values[i] for i in indices]), self.scale)

    @classmethod
    def of(cls, numbers: Sequence[Fraction | None]) -> Numbers:
        """The column of ``numbers``, over the least common multiple of their denominators."""
        scale = math.lcm(*(n.denominator for n in numbers if n is not None))
        return cls(
            tuple(None if n is None else n.numerator * (scale // n.denominator) for n in numbers),
            scale,
        )


@dataclass(frozen=True, slots=True)
class Roll:
    """The electorate column by column, in record order: entry i of each column is one member.

    A record holds 100,000 members or more: read into columns, it is checked and weighed with a
    handful of passes over lists, not a Python object and a dozen checks per member.
    """

    ids: tuple[str, ...]
    kinds: tuple[str, ...]
    list_sizes: tuple[int | None, ...]
    weighted_list_sizes: Numbers
    weights: Numbers
    recused: tuple[bool, ...]

    def __len__(self) -> int:
        return len(self.ids)

    def members(self) -> tuple[Member, ...]:
        weighted, weights = self.weighted_list_sizes, self.weights
        return tuple(
            Member(mid, kind, size, weighted.fraction(i), weights.fraction(i), recused)
            for i, (mid, kind, size, recused) in enumerate(
                zip(self.ids, self.kinds, self.list_sizes, self.recused, strict=True)
            )
        )

    def subset(self, indices: Sequence[int]) -> Roll:
        ids, kinds, sizes, recused = self.ids, self.kinds, self.list_sizes, self.recused
        return Roll(
            tuple([ids[i] for i in indices]),
            tuple([kinds[i] for i in indices]),
            tuple([sizes[i] for i in indices]),
            self.weighted_list_sizes.subset(indices),
            self.weights.subset(indices),
            tuple([recused[i] for i in indices]),
        )

    def eligible(self) -> Roll:
        """The members who are not recused."""
        if True not in self.recused:
            return self
        return self.subset([i for i, recused in enumerate(self.recused) if not recused])

    @classmethod
    def of(cls, members: Iterable[Member]) -> Roll:
        members = tuple(members)
        return cls(
            tuple(m.id for m in members),
            tuple(m.kind for m in members),
            tuple(m.list_size for m in members),
            Numbers.of([m.weighted_list_size for m in members]),
            Numbers.of([m.weight for m in members]),
            tuple(m.recused for m in members),
        )


@dataclass(frozen=True)
class BallotRecord:
    """A checked ballot record. The ballots are kept as each one's voter (a position among the
    eligible members) and choice (an option index), as ``parse_record`` checked them; the
    ``Member`` and ``Ballot`` objects are made only if they are asked for."""

    vote: Vote
    rules: Rules
    roll: Roll
    voters: tuple[int, ...]
    choices: tuple[int, ...]

    @cached_property
    def electorate(self) -> tuple[Member, ...]:
        return self.roll.members()

    @cached_property
    def ballots(self) -> tuple[Ballot, ...]:
        ids, options = self.roll.eligible().ids, self.vote.options
        return tuple(
            Ballot(ids[i], options[j]) for i, j in zip(self.voters, self.choices, strict=True)
        )


@dataclass(frozen=True, slots=True)
class SecretBallot:
    """A secret ballot as its record keeps it: the caster's share, never the caster."""

    share: Fraction
    choice: str


@dataclass(frozen=True)
class SecretBallotRecord:
    """A checked @2 record, with the shares ``parse_secret_record`` worked out and checked the
    ballots against; each ballot is kept as its share's numerator over their denominator and its
    choice (an option index)."""

    vote: Vote
    rules: Rules
    roll: Roll
    shares: ShareVector
    ballot_shares: tuple[int, ...]
    choices: tuple[int, ...]
    salt: str

    @cached_property
    def electorate(self) -> tuple[Member, ...]:
        return self.roll.members()

    @cached_property
    def ballots(self) -> tuple[SecretBallot, ...]:
        d, options = self.shares.denominator, self.vote.options
        return tuple(
            SecretBallot(Fraction(n, d), options[j])
            for n, j in zip(self.ballot_shares, self.choices, strict=True)
        )


@dataclass(frozen=True, slots=True)
class OptionTotal:
    members: int
    weight: Fraction


@dataclass(frozen=True)
class Result:
    """The exact result of a count. ``weight`` values are fractions of the whole electorate."""

    outcome: str
    winner: str | None
    quorum_met: bool
    eligible_members: int
    turnout_members: int
    turnout_weight: Fraction
    totals: dict[str, OptionTotal]
    shares: Mapping[str, Fraction]


@dataclass(frozen=True, slots=True)
class ShareVector:
    """Shares of the eligible members as integer numerators over one common denominator.

    ``numerators[i] / denominator`` is the exact share of ``ids[i]``; the numerators sum to the
    denominator. Sums of shares are integer sums, which keeps large counts fast.
    """

    ids: tuple[str, ...]
    numerators: tuple[int, ...]
    denominator: int

    def scaled(self, share: Fraction) -> int | None:
        """``share`` as a numerator over this denominator; None when it is not a whole one
        (then no member can hold it)."""
        factor, remainder = divmod(self.denominator, share.denominator)
        return None if remainder else share.numerator * factor


class Shares(Mapping[str, Fraction]):
    """Each eligible member's share (by id) as a count found it: a ``ShareVector`` read as a
    mapping, making a Fraction only for a share that is looked at."""

    __slots__ = ("_positions", "vector")

    def __init__(self, vector: ShareVector) -> None:
        self.vector = vector
        self._positions: dict[str, int] | None = None

    def __getitem__(self, member_id: str) -> Fraction:
        if self._positions is None:
            self._positions = {mid: i for i, mid in enumerate(self.vector.ids)}
        return Fraction(self.vector.numerators[self._positions[member_id]], self.vector.denominator)

    def __iter__(self) -> Iterator[str]:
        return iter(self.vector.ids)

    def __len__(self) -> int:
        return len(self.vector.ids)


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------

_FRACTION_RE = re.compile(r"([+-]?[0-9]+)/([0-9]+)")
_DECIMAL_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_MAX_DIGITS = 200  # longer numbers are refused: no list size or weight needs them


def to_fraction(value: object, where: str) -> Fraction:
    """Convert an int, ``"p/q"`` string, decimal string, Decimal or float to an exact Fraction."""
    if type(value) is str:
        if len(value) > _MAX_DIGITS:
            raise RecordError(f"{where}: the number {value[:20]!r}... is too long")
        match = _FRACTION_RE.fullmatch(value)
        if match:
            denominator = int(match.group(2))
            if denominator == 0:
                raise RecordError(f"{where}: {value!r} has a zero denominator")
            return Fraction(int(match.group(1)), denominator)
        if _DECIMAL_RE.fullmatch(value):
            whole, _, decimals = value.partition(".")
            if whole in ("", "+", "-"):
                whole += "0"
            return Fraction(int(whole + decimals), 10 ** len(decimals))
        raise RecordError(f'{where}: expected a number such as 3, "2/3" or "0.5", got {value!r}')
    if isinstance(value, bool):
        raise RecordError(f"{where}: expected a number, got {json.dumps(value)}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RecordError(f"{where}: expected a finite number, got {value!r}")
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        _sign, digits, exponent = value.as_tuple()
        if (
            not value.is_finite()
            or not isinstance(exponent, int)
            or abs(exponent) > _MAX_DIGITS
            or len(digits) > _MAX_DIGITS
        ):
            raise RecordError(f"{where}: expected a finite number of sensible size, got {value}")
        return Fraction(value)
    raise RecordError(f"{where}: expected a number, got {_describe(value)}")


def _whole(value: object, where: str) -> int:
    if type(value) is int:
        return value
    number = to_fraction(value, where)
    if number.denominator != 1:
        raise RecordError(f"{where}: must be a whole number, got {_fmt(number)}")
    return number.numerator


def _fraction_in(
    value: object, where: str, low: Fraction, high: Fraction, *, low_open: bool = False
) -> Fraction:
    number = to_fraction(value, where)
    if number < low or (low_open and number == low) or number > high:
        opening = "(" if low_open else "["
        raise RecordError(
            f"{where}: must be in {opening}{_fmt(low)}, {_fmt(high)}], got {_fmt(number)}"
        )
    return number


def _fmt(number: Fraction) -> str:
    return str(number)


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return repr(value)


def percent(fraction: Fraction | int) -> str:
    """``fraction`` x 100 with exactly 6 decimal places, rounded half to even, exactly."""
    value = Fraction(fraction)
    return _percent(value.numerator, value.denominator)


def _percent(numerator: int, denominator: int) -> str:
    negative = (numerator < 0) != (denominator < 0)
    quotient, remainder = divmod(abs(numerator) * 100_000_000, abs(denominator))
    twice = 2 * remainder
    if twice > abs(denominator) or (twice == abs(denominator) and quotient % 2 == 1):
        quotient += 1
    sign = "-" if negative and quotient else ""
    whole, part = divmod(quotient, 1_000_000)
    return f"{sign}{whole}.{part:06d}"


def _percents(numerators: Sequence[int], denominator: int) -> list[str]:
    """``_percent`` of each numerator (0 or more) over one positive denominator, worked a whole
    list at a time: rounded half up in one pass, then half to even where a half was met."""
    twice = 2 * denominator
    halves = [numerator * 200_000_000 + denominator for numerator in numerators]
    quotients = [half // twice for half in halves]
    if 0 in map(operator.mod, halves, repeat(twice)):  # exactly half way: round to even
        for i, half in enumerate(halves):
            if half % twice == 0 and quotients[i] % 2 == 1:
                quotients[i] -= 1
    return list(map("%d.%06d".__mod__, map(divmod, quotients, repeat(1_000_000))))


# --------------------------------------------------------------------------------------------
# Parsing a ballot record
# --------------------------------------------------------------------------------------------


def _object(value: object, where: str) -> Mapping[str, Any]:
    if type(value) is not dict and not isinstance(value, Mapping):
        raise RecordError(f"{where}: expected an object, got {_describe(value)}")
    return value


def _list(value: object, where: str) -> Sequence[Any]:
    if not isinstance(value, (list, tuple)):
        raise RecordError(f"{where}: expected a list, got {_describe(value)}")
    return value


def _label(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise RecordError(f"{where}: expected a non-empty string, got {_describe(value)}")
    return value


def parse_record(data: Mapping[str, Any]) -> BallotRecord:
    """Check a ballot record (as loaded from JSON) and convert it; raise RecordError if refused."""
    data = _object(data, "record")
    if data.get("format") != FORMAT:
        raise RecordError(f"format: expected {FORMAT!r}, got {_describe(data.get('format'))}")
    vote = _parse_vote(data.get("vote"))
    rules = _parse_rules(data.get("rules"), vote.kind)
    roll = _parse_electorate(data.get("electorate"))
    ballot_entries = _list(data.get("ballots"), "ballots")
    voters, choices = _parse_ballots(ballot_entries)
    eligible = _check_eligible(roll, rules)
    return BallotRecord(vote, rules, roll, *_check_ballots(roll, eligible, voters, choices, vote))


def parse_rules(data: Mapping[str, Any], vote_kind: str) -> Rules:
    """Check a vote's rules on their own (before there is an electorate); raise RecordError."""
    return _parse_rules(data, vote_kind)


def _parse_vote(value: object) -> Vote:
    vote = _object(value, "vote")
    title = vote.get("title", "")
    if not isinstance(title, str):
        raise RecordError(f"vote.title: expected a string, got {_describe(title)}")
    kind = vote.get("kind")
    if kind not in ("motion", "choice"):
        raise RecordError(f"vote.kind: must be 'motion' or 'choice', got {_describe(kind)}")
    raw_options = _list(vote.get("options"), "vote.options")
    options = tuple(_label(o, f"vote.options[{i}]") for i, o in enumerate(raw_options))
    if len(set(options)) != len(options):
        seen: set[str] = set()
        for option in options:
            if option in seen:
                raise RecordError(f"vote.options: option {option!r} appears more than once")
            seen.add(option)
    if kind == "motion":
        if sorted(options) != sorted(MOTION_OPTIONS):
            raise RecordError(
                "vote.options: a motion's options must be exactly 'for', 'against' and "
                f"'abstain', got {list(options)}"
            )
    else:
        if len(options) < 2:
            raise RecordError(
                f"vote.options: a choice needs at least 2 options, got {len(options)}"
            )
        if "abstain" in options:
            raise RecordError("vote.options: a choice vote has no 'abstain' option")
    return Vote(title=title, kind=kind, options=options)


def _parse_weighting(value: object) -> Weighting:
    weighting = _object(value, "rules.weighting")
    scheme = weighting.get("scheme")
    if scheme not in SCHEMES:
        raise RecordError(
            f"rules.weighting.scheme: unknown scheme {_describe(scheme)} "
            f"(known: {', '.join(SCHEMES)})"
        )
    band: int | None = None
    equal_part: Fraction | None = None
    basis: str | None = None
    if scheme == "hybrid":
        equal_part = _fraction_in(
            weighting.get("equal_part"), "rules.weighting.equal_part", Fraction(0), _ONE
        )
        basis = weighting.get("basis")
        if basis not in BASIS_SCHEMES:
            raise RecordError(
                f"rules.weighting.basis: unknown basis {_describe(basis)} "
                f"(known: {', '.join(BASIS_SCHEMES)})"
            )
    if scheme == "banded" or basis == "banded":
        band = _whole(weighting.get("band"), "rules.weighting.band")
        if band < 1:
            raise RecordError(
                f"rules.weighting.band: must be a whole number of 1 or more, got {band}"
            )
    return Weighting(scheme=scheme, band=band, equal_part=equal_part, basis=basis)


def _parse_rules(value: object, vote_kind: str) -> Rules:
    rules = _object(value, "rules")
    weighting = _parse_weighting(rules.get("weighting"))

    blocks: dict[str, Fraction] | None = None
    if rules.get("blocks") is not None:
        raw_blocks = _object(rules["blocks"], "rules.blocks")
        blocks = {}
        for kind, share in raw_blocks.items():
            if kind not in KINDS:
                raise RecordError(
                    f"rules.blocks: unknown kind {kind!r} (known: {', '.join(KINDS)})"
                )
            blocks[kind] = _fraction_in(share, f"rules.blocks.{kind}", Fraction(0), _ONE)
        total = sum(blocks.values(), Fraction(0))
        if total != 1:
            raise RecordError(f"rules.blocks: the block fractions sum to {_fmt(total)}, not 1")

    cap: Fraction | None = None
    if rules.get("cap") is not None:
        cap = _fraction_in(rules["cap"], "rules.cap", Fraction(0), _ONE, low_open=True)

    quorum_members: Fraction | None = None
    quorum_weight: Fraction | None = None
    if rules.get("quorum") is not None:
        quorum = _object(rules["quorum"], "rules.quorum")
        if quorum.get("members") is not None:
            quorum_members = _fraction_in(
                quorum["members"], "rules.quorum.members", Fraction(0), _ONE
            )
        if quorum.get("weight") is not None:
            quorum_weight = _fraction_in(quorum["weight"], "rules.quorum.weight", Fraction(0), _ONE)

    threshold = _object(rules.get("threshold"), "rules.threshold")
    rule = threshold.get("rule")
    allowed = MOTION_RULES if vote_kind == "motion" else CHOICE_RULES
    if not isinstance(rule, str) or rule not in allowed:
        known = rule in MOTION_RULES or rule in CHOICE_RULES
        reason = f"is not a rule for a {vote_kind} vote" if known else "is not a known rule"
        raise RecordError(
            f"rules.threshold.rule: {_describe(rule)} {reason} (use one of: {', '.join(allowed)})"
        )
    threshold_fraction: Fraction | None = None
    if rule == "supermajority":
        threshold_fraction = _fraction_in(
            threshold.get("fraction"), "rules.threshold.fraction", _HALF, _ONE, low_open=True
        )

    tie = rules.get("tie")
    if tie is None:
        tie = "fails"
    if tie not in TIE_SETTINGS:
        raise RecordError(
            f"rules.tie: unknown tie setting {_describe(tie)} (known: {', '.join(TIE_SETTINGS)})"
        )
    return Rules(
        weighting=weighting,
        blocks=blocks,
        cap=cap,
        quorum_members=quorum_members,
        quorum_weight=quorum_weight,
        threshold=str(rule),  # one of the allowed rules, checked above
        threshold_fraction=threshold_fraction,
        tie=tie,
    )


def _parse_electorate(value: object) -> Roll:
    entries = _list(value, "electorate")
    return _electorate_in_columns(entries) or Roll.of(_electorate_entry_by_entry(entries))


def _all_of(values: Iterable[object], kind: type) -> bool:
    """Whether every value is exactly of type ``kind`` (one pass in C, not a Python loop)."""
    return set(map(type, values)) <= {kind}


def _column(entries: Sequence[dict[str, Any]], key: str, default: object = None) -> list[Any]:
    return list(map(dict.get, entries, repeat(key), repeat(default)))


def _electorate_in_columns(entries: Sequence[Any]) -> Roll | None:
    """The electorate read a column at a time, when every entry is in the plain form the portal
    writes (ids and kinds as strings, list sizes as JSON integers, other numbers as integers or
    plain decimal strings); None for anything else, which ``_electorate_entry_by_entry`` then
    reads, naming the first entry at fault if there is one. Both read a plain record alike."""
    if not _all_of(entries, dict):
        return None
    ids = _column(entries, "id")
    if not _all_of(ids, str) or "" in ids or len(set(ids)) != len(ids):
        return None
    kinds = _column(entries, "kind")
    if not _all_of(kinds, str) or not set(kinds) <= set(KINDS):
        return None
    list_sizes = _column(entries, "list_size")
    if not set(map(type, list_sizes)) <= {int, NoneType}:
        return None
    weighted = _plain_numbers(_column(entries, "weighted_list_size"))
    weights = _plain_numbers(_column(entries, "weight"))
    recused = _column(entries, "recused", False)
    if weighted is None or weights is None or not set(map(type, recused)) <= {bool, NoneType}:
        return None
    return Roll(
        tuple(ids),
        tuple(kinds),
        tuple(list_sizes),
        weighted,
        weights,
        tuple(map(bool, recused)),  # null is false
    )


#: Plain decimals (``4579.78``, ``3904``), one a line: what ``_plain_numbers`` reads in bulk.
_PLAIN_DECIMALS_RE = re.compile(r"(?:[0-9]+(?:\.[0-9]+)?\n)*")


def _plain_numbers(column: list[Any]) -> Numbers | None:
    """A column of JSON integers, or of plain decimal strings, with nulls, read in bulk; None for
    any other column (it is read entry by entry instead). Decimals are scaled by 10 to the
    power of the most decimal places, so every value stays a whole number."""
    types = set(map(type, column))
    if types <= {int, NoneType}:
        return Numbers(tuple(column), 1)
    if not types <= {str, NoneType}:
        return None
    texts = [text for text in column if text is not None] if NoneType in types else column
    lines = "\n".join(texts) + "\n"
    if max(map(len, texts)) > _MAX_DIGITS or lines.count("\n") != len(texts):
        return None
    _whole, point, decimals = texts[0].partition(".")
    places = len(decimals)
    scaled: Iterator[int]
    if re.fullmatch(rf"(?:[0-9]+{re.escape(point)}[0-9]{{{places}}}\n)*", lines):
        # All with the same decimal places (as the portal writes them): one pass in C.
        scaled = iter(map(int, lines.replace(".", "").split()))
    elif _PLAIN_DECIMALS_RE.fullmatch(lines):
        parts = [text.partition(".") for text in texts]
        places = max(len(decimals) for _whole, _point, decimals in parts)
        scaled = iter([int(whole + decimals.ljust(places, "0")) for whole, _, decimals in parts])
    else:
        return None
    if NoneType not in types:
        return Numbers(tuple(scaled), 10**places)
    return Numbers(tuple(None if text is None else next(scaled) for text in column), 10**places)


def _electorate_entry_by_entry(entries: Sequence[Any]) -> tuple[Member, ...]:
    members: list[Member] = []
    first_entry: dict[str, int] = {}
    for number, item in enumerate(entries, 1):
        entry = _object(item, f"electorate entry {number}")
        member_id = entry.get("id")
        if not isinstance(member_id, str) or not member_id:
            raise RecordError(
                f"electorate entry {number}: id must be a non-empty string, "
                f"got {_describe(member_id)}"
            )
        if member_id in first_entry:
            raise RecordError(
                f"{_member(member_id)} appears more than once "
                f"(entries {first_entry[member_id]} and {number})"
            )
        first_entry[member_id] = number
        kind = entry.get("kind")
        if kind not in KINDS:
            raise RecordError(
                f"{_member(member_id)}: unknown kind {_describe(kind)} (known: {', '.join(KINDS)})"
            )
        list_size = entry.get("list_size")
        if list_size is not None and type(list_size) is not int:
            list_size = _whole(list_size, f"{_member(member_id)}: list_size")
        weighted = entry.get("weighted_list_size")
        if weighted is not None:
            weighted = to_fraction(weighted, f"{_member(member_id)}: weighted_list_size")
        weight = entry.get("weight")
        if weight is not None:
            weight = to_fraction(weight, f"{_member(member_id)}: weight")
        recused = entry.get("recused", False)
        if recused is None:
            recused = False
        if not isinstance(recused, bool):
            raise RecordError(
                f"{_member(member_id)}: recused must be true or false, got {_describe(recused)}"
            )
        members.append(Member(member_id, kind, list_size, weighted, weight, recused))
    return tuple(members)


def _member(member_id: str) -> str:
    return f"electorate member {member_id!r}"


def _parse_ballots(value: object) -> tuple[list[str], list[str]]:
    """Each ballot's voter and choice (checked against the electorate and the options later)."""
    entries = _list(value, "ballots")
    if _all_of(entries, dict):
        voters, choices = _column(entries, "voter"), _column(entries, "choice")
        if _all_of(voters, str) and "" not in voters and _all_of(choices, str):
            return voters, choices
    voters, choices = [], []
    for number, item in enumerate(entries, 1):
        entry = _object(item, f"ballot {number}")
        voter = entry.get("voter")
        if not isinstance(voter, str) or not voter:
            raise RecordError(f"ballot {number}: voter must be a member id, got {_describe(voter)}")
        choice = entry.get("choice")
        if not isinstance(choice, str):
            raise RecordError(
                f"ballot {number} (voter {voter!r}): choice must be an option label, "
                f"got {_describe(choice)}"
            )
        voters.append(voter)
        choices.append(choice)
    return voters, choices


def _check_eligible(roll: Roll, rules: Rules) -> Roll:
    """The eligible members, once there are some and the rules can weigh them."""
    eligible = roll.eligible()
    if not eligible:
        raise RecordError("electorate: no eligible members (it is empty or everyone is recused)")
    _check_cap_feasible(rules.cap, len(eligible))
    _check_weighting_inputs(eligible, rules)
    return eligible


def _check_ballots(
    roll: Roll, eligible: Roll, voters: Sequence[str], choices: Sequence[str], vote: Vote
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Each ballot's voter as a position among the eligible members and its choice as an option
    index, once no voter is unknown, recused or voting twice and every choice is an option."""
    position = {member_id: i for i, member_id in enumerate(eligible.ids)}
    option_index = {option: j for j, option in enumerate(vote.options)}
    try:
        at = tuple(map(position.__getitem__, voters))
        chosen = tuple(map(option_index.__getitem__, choices))
    except KeyError:
        pass  # a ballot is at fault: the loop below names it
    else:
        if len(set(at)) == len(at):
            return at, chosen
    _refuse_ballots(roll, voters, choices, vote)


def _refuse_ballots(
    roll: Roll, voters: Sequence[str], choices: Sequence[str], vote: Vote
) -> NoReturn:
    """Name the first ballot at fault, in record order."""
    known, recused = (
        set(roll.ids),
        {m for m, out in zip(roll.ids, roll.recused, strict=True) if out},
    )
    voted: dict[str, int] = {}
    for number, (voter, choice) in enumerate(zip(voters, choices, strict=True), 1):
        if voter in recused:
            raise RecordError(f"ballot {number}: voter {voter!r} is recused and may not vote")
        if voter not in known:
            raise RecordError(f"ballot {number}: voter {voter!r} is not in the electorate")
        if voter in voted:
            raise RecordError(
                f"ballot {number}: voter {voter!r} already voted "
                f"(ballot {voted[voter]}): duplicate ballot"
            )
        if choice not in vote.options:
            raise RecordError(
                f"ballot {number} (voter {voter!r}): choice {choice!r} is not "
                f"among the options {', '.join(repr(o) for o in vote.options)}"
            )
        voted[voter] = number
    raise AssertionError("no ballot at fault")  # pragma: no cover - a broken invariant is a bug


def _check_cap_feasible(cap: Fraction | None, eligible: int) -> None:
    if cap is not None and cap * eligible < 1:
        raise RecordError(
            f"rules.cap: a cap of {_fmt(cap)} is infeasible for {eligible} eligible members "
            f"(cap x N = {_fmt(cap * eligible)} is less than 1)"
        )


# --------------------------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------------------------


def _check_weighting_inputs(eligible: Roll, rules: Rules) -> None:
    _basis_weights(eligible, rules.weighting)


def _basis_weights(eligible: Roll, weighting: Weighting) -> list[int]:
    """The raw weights a scheme shares in proportion to: a hybrid's basis, or the scheme's."""
    scheme = weighting.basis if weighting.scheme == "hybrid" else weighting.scheme
    assert scheme is not None
    return _raw_weights(eligible, scheme, weighting.band)


def _raw_weights(members: Roll, scheme: str, band: int | None) -> list[int]:
    """Raw weights of ``members`` under ``scheme``, scaled to whole numbers by a common factor."""
    if scheme == "equal":
        return [1] * len(members)
    if scheme in ("list_size", "banded"):
        sizes = _given(members, members.list_sizes, 1, "list_size", scheme)
        if scheme == "list_size":
            return sizes
        if band is None or band < 1:
            raise RecordError(
                f"rules.weighting.band: must be a whole number of 1 or more, got {band}"
            )
        return [max(1, -(-size // band)) for size in sizes]
    if scheme in ("weighted_list_size", "fixed"):
        attribute = "weighted_list_size" if scheme == "weighted_list_size" else "weight"
        numbers = members.weighted_list_sizes if scheme == "weighted_list_size" else members.weights
        return _given(members, numbers.values, numbers.scale, attribute, scheme)
    raise RecordError(f"rules.weighting.scheme: unknown scheme {scheme!r}")


def _given(
    members: Roll, values: Sequence[int | None], scale: int, attribute: str, scheme: str
) -> list[int]:
    """``values`` (over ``scale``) once every member has one and none is negative."""
    given = [value for value in values if value is not None]
    if len(given) == len(values) and (not given or min(given) >= 0):
        return given
    for member_id, value in zip(members.ids, values, strict=True):
        if value is None:
            raise RecordError(
                f"electorate member {member_id!r}: {attribute} is missing "
                f"(the {scheme} scheme needs it)"
            )
        if value < 0:
            raise RecordError(
                f"electorate member {member_id!r}: {attribute} is negative "
                f"({_fmt(Fraction(value, scale))})"
            )
    raise AssertionError("no value at fault")  # pragma: no cover - a broken invariant is a bug


def _group_shares(raw: list[int], weighting: Weighting) -> tuple[list[int], int]:
    """Shares within one group (summing to 1) as integer numerators over a common denominator,
    from the group's raw weights (``_basis_weights``)."""
    n = len(raw)
    total = sum(raw)
    if weighting.scheme == "hybrid":
        equal_part = weighting.equal_part
        assert equal_part is not None
        p, q = equal_part.numerator, equal_part.denominator
        if p == q or total == 0:
            # All equal part, or a basis of 0 throughout: the basis part is shared equally too.
            return [1] * n, n
        # E/n + (1 - E) r/R  =  (p R + (q - p) n r) / (q n R)
        equal, factor = p * total, (q - p) * n
        return [equal + factor * r for r in raw], q * n * total
    if total == 0:
        # No basis to share in proportion to (the LMC has no list size): share equally.
        return [1] * n, n
    return raw, total


def _block_shares(
    eligible: Roll, raw: list[int], rules: Rules, blocks: Mapping[str, Fraction]
) -> tuple[list[int], int]:
    if not set(eligible.kinds) <= blocks.keys():
        member_id, kind = next(
            (member_id, kind)
            for member_id, kind in zip(eligible.ids, eligible.kinds, strict=True)
            if kind not in blocks
        )
        raise RecordError(
            f"electorate member {member_id!r}: its kind {kind!r} has no block in rules.blocks"
        )
    positions: dict[str, list[int]] = {kind: [] for kind in blocks}
    for i, kind in enumerate(eligible.kinds):
        positions[kind].append(i)
    present = [kind for kind in blocks if positions[kind]]
    present_total = sum((blocks[kind] for kind in present), Fraction(0))
    if present_total == 0:
        raise RecordError(
            "rules.blocks: every kind with eligible members has a block of 0, "
            "so there is no weight to share"
        )
    parts: list[tuple[list[int], Fraction, list[int], int]] = []
    denominator = 1
    for kind in present:
        fraction = blocks[kind] / present_total
        nums, den = _group_shares([raw[i] for i in positions[kind]], rules.weighting)
        parts.append((positions[kind], fraction, nums, den))
        denominator = math.lcm(denominator, fraction.denominator * den)
    numerators = [0] * len(eligible)
    for indices, fraction, nums, den in parts:
        factor = denominator // (fraction.denominator * den) * fraction.numerator
        for i, value in zip(indices, nums, strict=True):
            numerators[i] = value * factor
    return numerators, denominator


def _apply_cap(numerators: list[int], denominator: int, cap: Fraction) -> tuple[list[int], int]:
    """Cap every share at ``cap``, sharing the excess in proportion, round after round.

    The members fixed at the cap are always the largest shares, so the rounds are worked on the
    shares sorted from largest to smallest; every round fixes every member then above the cap.
    """
    n = len(numerators)
    cn, cd = cap.numerator, cap.denominator
    if cn * n < cd:
        raise RecordError(
            f"rules.cap: a cap of {_fmt(cap)} is infeasible for {n} eligible members "
            f"(cap x N = {_fmt(cap * n)} is less than 1)"
        )
    ordered = sorted(numerators, reverse=True)
    total = sum(ordered)
    fixed = fixed_total = 0  # how many are fixed at the cap, and their numerators' sum
    while True:
        free_total = total - fixed_total
        left = cd - cn * fixed  # weight left for the free members is left / cd
        if free_total == 0:
            break
        # free member with numerator v has share v * left / (cd * free_total)
        limit = cn * free_total
        end = fixed
        while end < n and ordered[end] * left > limit:
            fixed_total += ordered[end]
            end += 1
        if end == fixed:
            break
        fixed = end
    if fixed == 0:
        return numerators, denominator
    # Equal shares are fixed in the same round, so the fixed members are exactly those holding
    # at least the smallest fixed share.
    smallest_fixed = ordered[fixed - 1]
    free_total = total - fixed_total
    left = cd - cn * fixed
    if free_total == 0:
        # Every member not at the cap holds 0: what is left is shared equally among them
        # (left / cd each divided by n - fixed; cap x N >= 1 keeps each part within the cap).
        free = n - fixed  # at least 1: shares summing to 1 cannot all exceed C >= 1/N
        capped = cn * free
        return [capped if v >= smallest_fixed else left for v in numerators], cd * free
    capped = cn * free_total
    return [capped if v >= smallest_fixed else v * left for v in numerators], cd * free_total


def share_vector(members: Iterable[Member], rules: Rules) -> ShareVector:
    """Exact shares of the eligible (non-recused) members, in electorate order."""
    members = tuple(members)
    seen: set[str] = set()
    for member in members:
        if member.id in seen:
            raise RecordError(f"electorate member {member.id!r} appears more than once")
        seen.add(member.id)
    eligible = Roll.of(members).eligible()
    if not eligible:
        raise RecordError("electorate: no eligible members (it is empty or everyone is recused)")
    return _share_vector(eligible, rules)


def _share_vector(eligible: Roll, rules: Rules) -> ShareVector:
    _check_cap_feasible(rules.cap, len(eligible))
    raw = _basis_weights(eligible, rules.weighting)
    if rules.blocks is None:
        numerators, denominator = _group_shares(raw, rules.weighting)
    else:
        numerators, denominator = _block_shares(eligible, raw, rules, rules.blocks)
    if rules.cap is not None:
        numerators, denominator = _apply_cap(numerators, denominator, rules.cap)
    common = math.gcd(denominator, *numerators)
    if common > 1:
        numerators = [value // common for value in numerators]
        denominator //= common
    if sum(numerators) != denominator:  # pragma: no cover - a broken invariant is a bug
        raise AssertionError("shares do not sum to 1")
    return ShareVector(eligible.ids, tuple(numerators), denominator)


def compute_shares(members: Iterable[Member], rules: Rules) -> dict[str, Fraction]:
    """Each eligible member's exact share of the whole; the shares sum to exactly 1."""
    return dict(Shares(share_vector(members, rules)))


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


# --------------------------------------------------------------------------------------------
# The secret-ballot record (@2)
# --------------------------------------------------------------------------------------------

_SALT_RE = re.compile(r"[0-9a-fA-F]+")


def _share_text(share: Fraction) -> str:
    return f"{share.numerator}/{share.denominator}"


def secret_ballot_entries(ballots: Iterable[tuple[Fraction, str]]) -> list[dict[str, str]]:
    """(share, choice) pairs as an @2 record's ballots: sorted, shares as "p/q"."""
    return [{"share": _share_text(share), "choice": choice} for share, choice in sorted(ballots)]


def secret_record(data: Mapping[str, Any], salt: str) -> dict[str, Any]:
    """The @2 record of a checked @1 record: each ballot's voter replaced by the voter's share,
    the ballots sorted, the electorate sorted by id with each member's share, and ``salt``."""
    parsed = parse_record(data)
    shares = compute_shares(parsed.electorate, parsed.rules)
    electorate = []
    for entry in sorted(data["electorate"], key=lambda item: item["id"]):
        share = shares.get(entry["id"])
        electorate.append({**entry, "share": None if share is None else _share_text(share)})
    return {
        "format": SECRET_FORMAT,
        "vote": data["vote"],
        "rules": data["rules"],
        "electorate": electorate,
        "ballots": secret_ballot_entries(
            (shares[ballot.voter], ballot.choice) for ballot in parsed.ballots
        ),
        "salt": salt,
    }


def parse_secret_record(data: Mapping[str, Any]) -> SecretBallotRecord:
    """Check an @2 record (as loaded from JSON) and convert it; raise RecordError if refused."""
    data = _object(data, "record")
    if data.get("format") != SECRET_FORMAT:
        raise RecordError(
            f"format: expected {SECRET_FORMAT!r}, got {_describe(data.get('format'))}"
        )
    salt = data.get("salt")
    if (
        not isinstance(salt, str)
        or not SALT_HEX_DIGITS <= len(salt) <= _MAX_DIGITS
        or not _SALT_RE.fullmatch(salt)
    ):
        raise RecordError(
            f"salt: must be {SALT_HEX_DIGITS} or more hexadecimal digits (128 bits), "
            f"got {_describe(salt) if not isinstance(salt, str) else repr(salt[:40])}"
        )
    vote = _parse_vote(data.get("vote"))
    rules = _parse_rules(data.get("rules"), vote.kind)
    entries = _list(data.get("electorate"), "electorate")
    roll = _parse_electorate(entries)
    vector = _share_vector(_check_eligible(roll, rules), rules)
    held = _check_stated_shares(entries, roll, vector)
    shares, choices = _parse_secret_ballots(data.get("ballots"), vote, vector, held)
    return SecretBallotRecord(vote, rules, roll, vector, shares, choices, salt)


def _share_texts(vector: ShareVector) -> list[str]:
    """Each eligible member's share as the portal writes it: "p/q" in lowest terms."""
    d, numerators = vector.denominator, vector.numerators
    common = list(map(math.gcd, numerators, repeat(d)))
    return list(
        map(
            "{}/{}".format,
            map(operator.floordiv, numerators, common),
            map(operator.floordiv, repeat(d), common),
        )
    )


def _check_stated_shares(entries: Sequence[Any], roll: Roll, vector: ShareVector) -> dict[str, int]:
    """Check each member's stated share; return the share texts the members hold, each with its
    numerator over the vector's denominator, for reading the ballots' shares.

    A record as the portal writes it states every share exactly as ``_share_texts`` does, so
    comparing the two lists settles it; any other record is read member by member."""
    texts = _share_texts(vector)
    if _all_of(entries, dict) and max(map(len, texts)) <= _MAX_DIGITS:
        stated = _column(entries, "share")
        if True in roll.recused:
            out = [share for share, recused in zip(stated, roll.recused, strict=True) if recused]
            stated = [
                share for share, recused in zip(stated, roll.recused, strict=True) if not recused
            ]
        else:
            out = []
        if stated == texts and out.count(None) == len(out):
            return dict(zip(texts, vector.numerators, strict=True))
    return _check_each_stated_share(entries, roll, vector)


def _check_each_stated_share(
    entries: Sequence[Any], roll: Roll, vector: ShareVector
) -> dict[str, int]:
    numerators = iter(vector.numerators)
    held: dict[str, int] = {}
    for member_id, recused, entry in zip(roll.ids, roll.recused, entries, strict=True):
        stated = entry.get("share")
        if recused:
            if stated is not None:
                raise RecordError(f"{_member(member_id)}: is recused, so it holds no share")
            continue
        if stated is None:
            raise RecordError(f"{_member(member_id)}: share is missing")
        value = to_fraction(stated, f"{_member(member_id)}: share")
        given = next(numerators)
        if value.numerator * vector.denominator != given * value.denominator:
            raise RecordError(
                f"{_member(member_id)}: share {_fmt(value)} is not the share the rules give "
                f"it ({_fmt(Fraction(given, vector.denominator))})"
            )
        if type(stated) is str:
            held[stated] = given
    return held


def _parse_secret_ballots(
    value: object, vote: Vote, vector: ShareVector, held: Mapping[str, int]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Each ballot's share (its numerator over the vector's denominator) and choice (an option
    index), once they are sorted and every share can be drawn from the members'."""
    entries = _list(value, "ballots")
    option_index = {option: j for j, option in enumerate(vote.options)}
    if _all_of(entries, dict) and not any(map(operator.contains, entries, repeat("voter"))):
        texts, labels = _column(entries, "share"), _column(entries, "choice")
        if _all_of(texts, str) and _all_of(labels, str):
            try:
                shares = tuple(map(held.__getitem__, texts))
                choices = tuple(map(option_index.__getitem__, labels))
            except KeyError:
                pass  # a share no member holds as written, or a choice not offered: read each
            else:
                if _sorted_and_drawn(shares, labels, vector):
                    return shares, choices
    ballots = _parse_each_secret_ballot(entries, vote)
    _check_drawn(ballots, vector)
    return (
        tuple(
            ballot.share.numerator * (vector.denominator // ballot.share.denominator)
            for ballot in ballots
        ),
        tuple(option_index[ballot.choice] for ballot in ballots),
    )


def _parse_each_secret_ballot(entries: Sequence[Any], vote: Vote) -> tuple[SecretBallot, ...]:
    ballots: list[SecretBallot] = []
    read: dict[object, Fraction] = {}
    previous: tuple[int, int, str] | None = None
    for number, item in enumerate(entries, 1):
        entry = _object(item, f"ballot {number}")
        if "voter" in entry:
            raise RecordError(
                f"ballot {number}: names a voter, which a secret ballot's record never holds"
            )
        text = entry.get("share")
        if text is None:
            raise RecordError(f"ballot {number}: share is missing")
        share = _read_share(text, f"ballot {number}: share", read)
        choice = entry.get("choice")
        if not isinstance(choice, str) or choice not in vote.options:
            raise RecordError(
                f"ballot {number}: choice {_describe(choice)} is not among the options "
                f"{', '.join(repr(o) for o in vote.options)}"
            )
        # Sorted by share, then choice: compared as p/q < r/s, that is p*s < r*q, in integers.
        numerator, denominator = share.numerator, share.denominator
        if previous is not None:
            left, right = numerator * previous[1], previous[0] * denominator
            if left < right or (left == right and choice < previous[2]):
                raise RecordError(
                    f"ballot {number}: out of order (ballots are sorted by share, smallest "
                    "first, then by choice)"
                )
        previous = (numerator, denominator, choice)
        ballots.append(SecretBallot(share, choice))
    return tuple(ballots)


def _sorted_and_drawn(shares: Sequence[int], labels: Sequence[str], vector: ShareVector) -> bool:
    """Whether the ballots are sorted by share (numerators over the vector's denominator) then
    choice, and no share is used by more ballots than eligible members hold it."""
    order = list(zip(shares, labels, strict=True))
    if not all(map(operator.le, order, order[1:])):
        return False
    held, used = Counter(vector.numerators), Counter(shares)
    return all(map(operator.le, used.values(), map(held.__getitem__, used.keys())))


def _read_share(text: object, where: str, read: dict[object, Fraction]) -> Fraction:
    """``to_fraction`` of a share, remembered by its text (a share is a string, hashable)."""
    if type(text) is not str:
        return to_fraction(text, where)
    share = read.get(text)
    if share is None:
        share = read[text] = to_fraction(text, where)
    return share


def _check_drawn(ballots: Sequence[SecretBallot], vector: ShareVector) -> None:
    """Refuse ballots whose shares cannot all come from different eligible members.

    Shares are counted as whole numerators over the vector's denominator: equal shares have
    equal numerators, and a share that is not a whole number over it belongs to no member."""
    held = Counter(vector.numerators)
    used: Counter[Fraction] = Counter()
    scaled_uses: Counter[int] = Counter()
    for ballot in ballots:
        scaled = vector.scaled(ballot.share)
        if scaled is None or scaled not in held:
            used[ballot.share] += 1
        else:
            scaled_uses[scaled] += 1
    for scaled, count in scaled_uses.items():
        if count > held[scaled]:
            used[Fraction(scaled, vector.denominator)] = count
    for share in sorted(used):
        scaled = vector.scaled(share)
        holders = 0 if scaled is None else held.get(scaled, 0)
        if used[share] > holders:
            ballots_word = "ballot carries" if used[share] == 1 else "ballots carry"
            if holders == 0:
                held_by = "no eligible member holds it"
            else:
                held_by = f"only {holders} eligible member{'s' if holders > 1 else ''} hold"
                held_by += "s it" if holders == 1 else " it"
            raise RecordError(
                f"ballots: {used[share]} {ballots_word} the share {_fmt(share)}, but {held_by}"
            )


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
