"""Reading and checking a ballot record (@1): its vote, rules, electorate and ballots.

A record may hold 100,000 members and ballots or more. A list in the plain forms the portal
writes (strings, JSON integers, plain decimal strings, null) is checked and converted a column
at a time; a list with anything else in it (or a fault) is read again entry by entry, in record
order, by the reader that names the first entry at fault. A record is therefore accepted or
refused, and a refusal worded, exactly as if every entry had been read one by one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from fractions import Fraction
from itertools import repeat
from types import NoneType
from typing import Any, NoReturn

from portal.voting.record_types import (
    _HALF,
    _MAX_DIGITS,
    _ONE,
    BASIS_SCHEMES,
    CHOICE_RULES,
    FORMAT,
    KINDS,
    MOTION_OPTIONS,
    MOTION_RULES,
    SCHEMES,
    TIE_SETTINGS,
    BallotRecord,
    Member,
    Numbers,
    RecordError,
    Roll,
    Rules,
    Vote,
    Weighting,
    _describe,
    _fmt,
    _fraction_in,
    _whole,
    to_fraction,
)
from portal.voting.weights import (
    _check_cap_feasible,
    _check_weighting_inputs,
)

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
