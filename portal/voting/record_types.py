"""The parts of a ballot record as ``portal.voting.rules`` holds them, and its exact numbers.

The counting law is written out in ``portal.voting.rules``; this module holds what the law
works on (a record's vote, rules, electorate and ballots, once checked, and a count's result)
and the conversions of the numbers a record writes into exact fractions. A record of 100,000
members is held a column at a time (``Roll``, ``Numbers``), in whole numbers over a common
denominator, so that it is checked and weighed in a handful of passes; a member or a ballot
becomes an object only when someone asks for one.
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from itertools import repeat

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


def _per_distinct(work: Callable[[list[int]], list[str]], numerators: Sequence[int]) -> list[str]:
    """``work(numerators)``, done once for each distinct numerator when members often share one
    (those at the cap, equal weights, equal list sizes)."""
    distinct = list(set(numerators))
    if 2 * len(distinct) > len(numerators):
        return work(list(numerators))
    done = dict(zip(distinct, work(distinct), strict=True))
    return list(map(done.__getitem__, numerators))


def _percents(numerators: Sequence[int], denominator: int) -> list[str]:
    """``_percent`` of each numerator (0 or more) over one positive denominator."""
    return _per_distinct(lambda distinct: _percents_of(distinct, denominator), numerators)


def _percents_of(numerators: list[int], denominator: int) -> list[str]:
    """``_percents``, worked a whole list at a time: rounded half up in one pass, then half to
    even where a half was met."""
    twice = 2 * denominator
    halves = [numerator * 200_000_000 + denominator for numerator in numerators]
    quotients = [half // twice for half in halves]
    if 0 in map(operator.mod, halves, repeat(twice)):  # exactly half way: round to even
        for i, half in enumerate(halves):
            if half % twice == 0 and quotients[i] % 2 == 1:
                quotients[i] -= 1
    return list(map("%d.%06d".__mod__, map(divmod, quotients, repeat(1_000_000))))
