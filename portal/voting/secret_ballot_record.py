"""The secret-ballot record (@2, "The secret-ballot record" in ``portal.voting.rules``).

Making one from an open record, and reading and checking one: each member's stated share
against the share the rules give it, and the ballots' shares against the members'. A record as
the portal writes it is checked in bulk; any other is read member by member and ballot by
ballot, which names the first item at fault.
"""

from __future__ import annotations

import math
import operator
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from itertools import repeat
from typing import Any

from portal.voting.record_reading import (
    _all_of,
    _check_eligible,
    _column,
    _list,
    _member,
    _object,
    _parse_electorate,
    _parse_rules,
    _parse_vote,
    parse_record,
)
from portal.voting.record_types import (
    _MAX_DIGITS,
    SALT_HEX_DIGITS,
    SECRET_FORMAT,
    RecordError,
    Roll,
    SecretBallot,
    SecretBallotRecord,
    ShareVector,
    Vote,
    _describe,
    _fmt,
    _per_distinct,
    to_fraction,
)
from portal.voting.weights import (
    _share_vector,
    compute_shares,
)

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
    d = vector.denominator

    def texts(numerators: list[int]) -> list[str]:
        common = list(map(math.gcd, numerators, repeat(d)))
        return list(
            map(
                "{}/{}".format,
                map(operator.floordiv, numerators, common),
                map(operator.floordiv, repeat(d), common),
            )
        )

    return _per_distinct(texts, vector.numerators)


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
