"""Single transferable vote counts for GP Collective Voice elections.

This module is the whole counting law of an election. The portal's results pages and the
command line (``python -m portal.elections.count FILE.blt [--method scottish|meek]``) both
call the functions below. It uses the Python standard library only: no web framework, no
database. All arithmetic is on whole numbers (votes scaled by 10^5 for the Scottish count and
10^9 for Meek), so every figure is exact and a recount gives the same digits.

The BLT file
============
The first line is ``candidates seats``. An optional next line lists withdrawn candidates as
negative numbers (``-2 -5``). Each ballot line is ``weight p1 p2 ... 0``: a whole-number weight
of 1 or more (how many identical papers the line stands for, or an organisation's whole-number
weight), then candidate numbers from 1, in order of preference, ended by ``0``. An optional
``(id)`` before the weight is ignored. A line ``0`` ends the ballots. Then come the candidates'
names, one quoted string a line, and the election's title, quoted. Blank lines, CRLF line ends
and runs of spaces (as council files have) are accepted; names keep their inner spaces exactly.
Anything else (a number that is not a whole number, a candidate number out of range, an equal
preference ``1=2``, a missing terminator, missing names, lines after the title) is refused with
the line number.

Which papers count
==================
1. A withdrawn candidate is struck out of every paper, as if never printed on it.
2. A candidate written twice on one paper counts at the first place only.
3. A paper with no preference left for a candidate who stands is not a valid paper: it is not
   counted in the total of valid papers and is reported as ``invalid``.

Scottish STV (the Scottish Local Government Elections Order 2007, Schedule 1, rules 45 to 52)
=============================================================================================
1. (45) Each valid paper is credited to its first preference at value 1.
2. (46) Quota = floor(valid papers / (seats + 1)) + 1, papers counted by their weights.
3. (47) A candidate whose votes at the end of a stage equal or exceed the quota is deemed elected.
   Several reaching it at one stage are elected in order of their votes, highest first.
4. (48) Surplus: where an elected candidate's votes exceed the quota and seats remain, **all**
   the papers credited to that candidate (not only the last parcel received; that is the Northern
   Ireland rule, and the Order's rule 48(1) says "the ballot papers received by that candidate")
   pass to each paper's next continuing candidate, each at transfer value
   ``surplus x value of the paper / total votes of the candidate``, truncated to 5 decimal places
   (any remainder ignored). The candidate keeps exactly the quota. Papers with no next continuing
   preference, and the remainders lost by truncation, are non-transferable.
5. (49) Where several candidates have surpluses, the largest is transferred first, one surplus
   per stage. Equal surpluses: the candidate with more votes at the end of the most recent
   preceding stage at which they had unequal votes goes first; equal at every stage, by lot.
6. (50) When no surplus is left to transfer and seats remain, the continuing candidate with the
   fewest votes is excluded, and all their papers pass to each paper's next continuing candidate
   at the value they arrived with (1 for a first preference), in one stage.
7. (51) Equal fewest votes: the one with fewer votes at the end of the most recent preceding stage
   at which they had unequal votes is excluded; equal at every stage, by lot.
8. (52) When the continuing candidates are as many as the seats left, they are all deemed
   elected (in order of their votes) and no further transfer is made. If there are fewer
   continuing candidates than seats left, they are all elected and the rest of the seats stay
   empty (the count sheet says so).

Reading of the tie rules (rules 49(2) and 51(2)), as a returning officer would apply them:
"stages" are the ends of earlier stages, most recent first. At the first earlier stage at which
the tied candidates did not all have equal votes, those with the highest (49) or lowest (51)
votes at that stage stay in the tie and the rest drop out; if more than one stays, the search
goes on further back among them; if no earlier stage separates them, the lot decides.

The lot
=======
The count is given a seed (any text), recorded on the count sheet. The n-th lot of a count,
among tied candidates listed in ballot-paper order, picks the one at position
``int(sha256("<seed>:<n>:<names joined by |>")) mod (number tied)``, so anyone with the seed can
redraw every lot. The command line's default seed is the SHA-256 of the file's bytes.

Meek STV (Hill, Wichmann and Woodall, Computer Journal 30(3), 1987, "Algorithm 123")
==================================================================================
Fixed point to 9 decimal places (units of 10^-9). Each candidate has a keep value: 1 while
hopeful, 0 once excluded (or withdrawn). Each paper of value 1 passes down its preferences; at
each candidate it leaves ``value x keep value`` rounded up to 9 places and passes on the rest;
what is left after the last preference is the excess. Quota = (total - excess) / (seats + 1),
truncated to 9 places, plus 10^-9. A hopeful candidate reaching the quota is elected at once
(several at once in order of votes). Keep values of elected candidates are then scaled by
quota / votes (rounded up) and the papers passed again, until the total surplus of the elected
is below 0.00001 or stops falling. Then, if no one new is elected, the hopeful candidate with the
fewest votes is excluded (ties as in rule 51 above, then by lot). When the hopeful candidates
are no more than the seats left, they are all elected.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from dataclasses import dataclass, field

SCOTTISH_PLACES = 5
MEEK_PLACES = 9
METHODS = ("scottish", "meek")


class BltError(ValueError):
    """A BLT file that does not keep to the format, with the 1-based line at fault."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Ballot:
    weight: int
    ranking: tuple[int, ...]  # 0-based candidate indexes, most preferred first


@dataclass(frozen=True)
class Election:
    title: str
    seats: int
    candidates: tuple[str, ...]
    ballots: tuple[Ballot, ...]
    withdrawn: frozenset[int] = frozenset()


def _int(token: str, line: int, what: str) -> int:
    if not token.lstrip("-").isdigit() or token.count("-") > 1:
        raise BltError(line, f"{what} must be a whole number, not {token!r}")
    return int(token)


def _quoted(text: str, line: int, what: str) -> str:
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        raise BltError(line, f"{what} must be in double quotes, not {text!r}")
    return text[1:-1]


def parse_blt(text: str) -> Election:
    """Read a BLT file's text (see the module docstring); raise BltError naming the line."""
    lines = [
        (number, raw.strip())
        for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1)
        if raw.strip()
    ]
    if not lines:
        raise BltError(1, "the file is empty; it must start with 'candidates seats'")
    number, header = lines[0]
    tokens = header.split()
    if len(tokens) != 2:
        raise BltError(number, "the first line must be 'candidates seats'")
    n_candidates = _int(tokens[0], number, "the number of candidates")
    seats = _int(tokens[1], number, "the number of seats")
    if n_candidates < 1 or seats < 1:
        raise BltError(number, "there must be at least one candidate and one seat")
    position = 1
    withdrawn: set[int] = set()
    if position < len(lines) and lines[position][1].startswith("-"):
        number, line = lines[position]
        for token in line.split():
            value = _int(token, number, "a withdrawn candidate")
            if not -n_candidates <= value <= -1:
                raise BltError(number, f"withdrawn candidate {token} is not -1 to -{n_candidates}")
            withdrawn.add(-value - 1)
        position += 1
    ballots: list[Ballot] = []
    while True:
        if position >= len(lines):
            last = lines[-1][0]
            raise BltError(last, "the ballots are not ended by a line '0'")
        number, line = lines[position]
        position += 1
        tokens = line.split()
        if tokens == ["0"]:
            break
        if tokens[0].startswith("(") and tokens[0].endswith(")"):
            tokens = tokens[1:]
        if len(tokens) < 2 or tokens[-1] != "0":
            raise BltError(number, "a ballot must be 'weight preferences... 0'")
        weight = _int(tokens[0], number, "a ballot's weight")
        if weight < 1:
            raise BltError(number, "a ballot's weight must be 1 or more")
        ranking: list[int] = []
        for token in tokens[1:-1]:
            if "=" in token:
                raise BltError(number, f"equal preferences ({token}) are not allowed")
            value = _int(token, number, "a preference")
            if not 1 <= value <= n_candidates:
                raise BltError(number, f"candidate {token} is not 1 to {n_candidates}")
            if value - 1 not in ranking:
                ranking.append(value - 1)
        ballots.append(Ballot(weight, tuple(ranking)))
    names: list[str] = []
    for index in range(n_candidates):
        if position >= len(lines):
            raise BltError(lines[-1][0], f"candidate {index + 1}'s name is missing")
        number, line = lines[position]
        names.append(_quoted(line, number, f"candidate {index + 1}'s name"))
        position += 1
    title = ""
    if position < len(lines):
        number, line = lines[position]
        title = _quoted(line, number, "the title")
        position += 1
    if position < len(lines):
        raise BltError(lines[position][0], "nothing may follow the title")
    return Election(title, seats, tuple(names), tuple(ballots), frozenset(withdrawn))


def format_units(units: int, places: int) -> str:
    """Write a scaled whole number as a decimal with exactly `places` places."""
    sign = "-" if units < 0 else ""
    whole, part = divmod(abs(units), 10**places)
    return f"{sign}{whole}.{part:0{places}d}" if places else f"{sign}{whole}"


@dataclass
class Stage:
    number: int
    action: str  # "first preferences", "surplus", "exclusion", "election" (Meek)
    candidate: int | None
    votes: dict[int, int]
    changes: dict[int, int]
    non_transferable: int
    elected: list[int] = field(default_factory=list)
    excluded: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    quota: int | None = None  # Meek only: the quota moves


@dataclass
class CountResult:
    method: str
    election: Election
    places: int
    quota: int  # in units of 10^-places
    valid: int
    invalid: int
    seed: str
    elected: list[int]
    stages: list[Stage]
    notes: list[str]

    def names(self, indexes: list[int]) -> list[str]:
        return [self.election.candidates[index] for index in indexes]

    def to_json(self) -> dict:
        def figures(values: dict[int, int]) -> dict[str, str]:
            return {
                self.election.candidates[c]: format_units(v, self.places)
                for c, v in sorted(values.items())
            }

        return {
            "title": self.election.title,
            "method": self.method,
            "seats": self.election.seats,
            "valid": self.valid,
            "invalid": self.invalid,
            "quota": format_units(self.quota, self.places)
            if self.method == "meek"
            else format_units(self.quota // 10**self.places, 0),
            "seed": self.seed,
            "elected": self.names(self.elected),
            "notes": self.notes,
            "stages": [
                {
                    "stage": s.number,
                    "action": s.action,
                    "candidate": None if s.candidate is None else self.names([s.candidate])[0],
                    "votes": figures(s.votes),
                    "changes": figures(s.changes),
                    "non_transferable": format_units(s.non_transferable, self.places),
                    "elected": self.names(s.elected),
                    "excluded": self.names(s.excluded),
                    "notes": s.notes,
                    **({} if s.quota is None else {"quota": format_units(s.quota, self.places)}),
                }
                for s in self.stages
            ],
        }


class _Lot:
    def __init__(self, seed: str, names: tuple[str, ...]) -> None:
        self.seed = seed
        self.names = names
        self.draws = 0

    def draw(self, tied: list[int]) -> int:
        self.draws += 1
        ordered = sorted(tied)
        text = f"{self.seed}:{self.draws}:" + "|".join(self.names[c] for c in ordered)
        return ordered[int(hashlib.sha256(text.encode()).hexdigest(), 16) % len(ordered)]


def _break_tie(
    tied: list[int], history: list[dict[int, int]], highest: bool, lot: _Lot, notes: list[str]
) -> int:
    """Rules 49(2)/51(2): look back through earlier stages, then draw lots (see docstring)."""
    group = sorted(tied)
    if len(group) == 1:
        return group[0]
    names = ", ".join(lot.names[c] for c in group)
    pick = max if highest else min
    for back, snapshot in enumerate(reversed(history)):
        values = {c: snapshot.get(c, 0) for c in group}
        if len(set(values.values())) > 1:
            best = pick(values.values())
            group = [c for c in group if values[c] == best]
            if len(group) == 1:
                stage = len(history) - back
                notes.append(f"Tie between {names} decided by the votes at stage {stage}.")
                return group[0]
    chosen = lot.draw(group)
    notes.append(f"Tie between {names} decided by lot (draw {lot.draws}): {lot.names[chosen]}.")
    return chosen


def _in_order(
    winners: list[int], votes: dict[int, int], history: list[dict[int, int]], lot: _Lot, notes
) -> list[int]:
    """Candidates elected at one stage, highest votes first, equal votes by the tie rule."""
    remaining = list(winners)
    ordered: list[int] = []
    while remaining:
        top = max(votes[c] for c in remaining)
        chosen = _break_tie([c for c in remaining if votes[c] == top], history, True, lot, notes)
        ordered.append(chosen)
        remaining.remove(chosen)
    return ordered


def _papers(election: Election) -> tuple[list[tuple[int, tuple[int, ...]]], int, int]:
    """Each ballot with the withdrawn struck out; with the valid and invalid paper totals."""
    papers = []
    invalid = 0
    for ballot in election.ballots:
        ranking = tuple(c for c in ballot.ranking if c not in election.withdrawn)
        if ranking:
            papers.append((ballot.weight, ranking))
        else:
            invalid += ballot.weight
    return papers, sum(weight for weight, _ in papers), invalid


def count_scottish(election: Election, seed: str = "") -> CountResult:
    """Count by the Scottish Local Government Elections Order 2007 (see the module docstring)."""
    unit = 10**SCOTTISH_PLACES
    papers, valid, invalid = _papers(election)
    seats = election.seats
    quota = valid // (seats + 1) + 1
    quota_units = quota * unit
    lot = _Lot(seed, election.candidates)
    continuing = [c for c in range(len(election.candidates)) if c not in election.withdrawn]
    # Each paper: [weight, ranking, position in ranking, value in units]; piles hold paper indexes.
    state = [[weight, ranking, 0, unit] for weight, ranking in papers]
    piles: dict[int, list[int]] = {c: [] for c in continuing}
    for index, (_, ranking, _, _) in enumerate(state):
        piles[ranking[0]].append(index)
    votes = {c: sum(state[i][0] * unit for i in piles[c]) for c in continuing}
    non_transferable = 0
    elected: list[int] = []
    pending: list[int] = []  # elected, surplus not yet transferred
    history: list[dict[int, int]] = []
    stages: list[Stage] = []
    notes: list[str] = []
    stage = Stage(1, "first preferences", None, {}, dict(votes), 0)

    def move(index: int) -> int:
        """Pass a paper to its next continuing preference; return its value if none (exhausted)."""
        paper = state[index]
        ranking, position = paper[1], paper[2] + 1
        while position < len(ranking) and ranking[position] not in continuing:
            position += 1
        if position == len(ranking):
            return paper[0] * paper[3]
        paper[2] = position
        piles[ranking[position]].append(index)
        votes[ranking[position]] += paper[0] * paper[3]
        return 0

    while True:
        reached = [c for c in continuing if votes[c] >= quota_units]
        for c in _in_order(reached, votes, history, lot, stage.notes):
            if len(elected) < seats:
                elected.append(c)
                continuing.remove(c)
                stage.elected.append(c)
                if votes[c] > quota_units:
                    pending.append(c)
        left = seats - len(elected)
        if left > 0 and len(continuing) <= left:
            last = _in_order(list(continuing), votes, history, lot, stage.notes)
            elected.extend(last)
            stage.elected.extend(last)
            stage.notes.append("Rule 52: the continuing candidates fill the last seats.")
            if len(last) < left:
                notes.append(f"{left - len(last)} seat(s) left empty: too few candidates.")
            continuing.clear()
            left = 0
        stage.votes = dict(votes)
        stage.non_transferable = non_transferable
        stages.append(stage)
        history.append(dict(votes))
        if left == 0:
            break
        before = dict(votes)
        if pending:
            top = max(votes[c] for c in pending)
            tie_notes: list[str] = []
            chosen = _break_tie(
                [c for c in pending if votes[c] == top], history, True, lot, tie_notes
            )
            pending.remove(chosen)
            surplus, total = votes[chosen] - quota_units, votes[chosen]
            for index in piles[chosen]:
                state[index][3] = surplus * state[index][3] // total
            moved = [move(index) for index in piles[chosen]]
            piles[chosen] = []
            votes[chosen] = quota_units
            transferred = sum(votes[c] - before[c] for c in continuing)
            non_transferable += surplus - transferred
            stage = Stage(len(stages) + 1, "surplus", chosen, {}, {}, 0, notes=tie_notes)
            exhausted = sum(moved)
            stage.notes.append(
                f"Surplus {format_units(surplus, SCOTTISH_PLACES)}: "
                f"{format_units(exhausted, SCOTTISH_PLACES)} on papers with no further "
                f"preference, {format_units(surplus - transferred - exhausted, SCOTTISH_PLACES)}"
                " lost to truncation."
            )
        else:
            low = min(votes[c] for c in continuing)
            tie_notes = []
            chosen = _break_tie(
                [c for c in continuing if votes[c] == low], history, False, lot, tie_notes
            )
            continuing.remove(chosen)
            for index in piles[chosen]:
                non_transferable += move(index)
            piles[chosen] = []
            votes[chosen] = 0
            stage = Stage(len(stages) + 1, "exclusion", chosen, {}, {}, 0, notes=tie_notes)
            stage.excluded.append(chosen)
            stage.notes.append("Fewest votes: excluded (rule 50).")
        stage.changes = {c: votes[c] - before[c] for c in votes if votes[c] != before[c]}
    return CountResult(
        "scottish",
        election,
        SCOTTISH_PLACES,
        quota_units,
        valid,
        invalid,
        seed,
        elected,
        stages,
        notes,
    )


def count_meek(election: Election, seed: str = "") -> CountResult:
    """Count by Meek's method, 1987 algorithm, 9 decimal places (see the module docstring)."""
    unit = 10**MEEK_PLACES
    papers, valid, invalid = _papers(election)
    grouped: Counter[tuple[int, ...]] = Counter()
    for weight, ranking in papers:
        grouped[ranking] += weight
    seats = election.seats
    lot = _Lot(seed, election.candidates)
    hopeful = [c for c in range(len(election.candidates)) if c not in election.withdrawn]
    keep = dict.fromkeys(hopeful, unit)
    elected: list[int] = []
    history: list[dict[int, int]] = []
    stages: list[Stage] = []
    notes: list[str] = []
    previous: dict[int, int] = {}

    def distribute() -> tuple[dict[int, int], int]:
        votes = dict.fromkeys(keep, 0)
        excess = 0
        for ranking, weight in grouped.items():
            value = unit
            for c in ranking:
                factor = keep[c]
                if factor == 0:
                    continue
                given = -(-value * factor // unit)  # rounded up
                votes[c] += given * weight
                value -= given
                if value == 0:
                    break
            excess += value * weight
        return votes, excess

    while True:
        iterations = 0
        newly: list[int] = []
        last_surplus = None
        while True:
            iterations += 1
            votes, excess = distribute()
            quota = (valid * unit - excess) // (seats + 1) + 1
            newly = [c for c in hopeful if votes[c] >= quota]
            if newly:
                break
            surplus = sum(votes[c] - quota for c in elected)
            if (
                not elected
                or surplus < 10 ** (MEEK_PLACES - 5)
                or (last_surplus is not None and surplus >= last_surplus)
            ):
                break
            last_surplus = surplus
            for c in elected:
                keep[c] = -(-keep[c] * quota // votes[c])
        action = "first preferences" if not stages else "election"
        stage = Stage(len(stages) + 1, action, None, votes, {}, excess, quota=quota)
        stage.notes = [f"{iterations} iteration(s) of the keep values."]
        left = seats - len(elected)
        if newly:
            for c in _in_order(newly, votes, history, lot, stage.notes)[:left]:
                elected.append(c)
                hopeful.remove(c)
                stage.elected.append(c)
        elif len(hopeful) <= left:
            last = _in_order(list(hopeful), votes, history, lot, stage.notes)
            elected.extend(last)
            stage.elected.extend(last)
            stage.notes.append("The hopeful candidates fill the last seats.")
            if len(last) < left:
                notes.append(f"{left - len(last)} seat(s) left empty: too few candidates.")
            hopeful.clear()
        else:
            low = min(votes[c] for c in hopeful)
            chosen = _break_tie(
                [c for c in hopeful if votes[c] == low], history, False, lot, stage.notes
            )
            hopeful.remove(chosen)
            keep[chosen] = 0
            stage.excluded.append(chosen)
            stage.candidate = chosen
            stage.action = "exclusion"
            stage.notes.append("Fewest votes: excluded; keep value set to 0.")
        stage.changes = {
            c: votes[c] - previous.get(c, 0) for c in votes if votes[c] != previous.get(c, 0)
        }
        previous = votes
        stages.append(stage)
        history.append(dict(votes))
        left = seats - len(elected)
        if left == 0 or not hopeful:
            if left and not hopeful and not any("left empty" in n for n in notes):
                notes.append(f"{left} seat(s) left empty: too few candidates.")
            break
        if len(hopeful) <= left:
            last = _in_order(list(hopeful), votes, history, lot, stage.notes)
            elected.extend(last)
            stage.elected.extend(last)
            stage.notes.append("The hopeful candidates fill the last seats.")
            hopeful.clear()
            break
    return CountResult(
        "meek",
        election,
        MEEK_PLACES,
        stages[-1].quota or 0,
        valid,
        invalid,
        seed,
        elected,
        stages,
        notes,
    )


def count(election: Election, method: str = "scottish", seed: str = "") -> CountResult:
    if method == "scottish":
        return count_scottish(election, seed)
    if method == "meek":
        return count_meek(election, seed)
    raise ValueError(f"unknown counting method {method!r}; use one of {', '.join(METHODS)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m portal.elections.count", description="Count a BLT file by STV."
    )
    parser.add_argument("file", help="a BLT file")
    parser.add_argument("--method", choices=METHODS, default="scottish")
    parser.add_argument("--seed", help="seed for any lot (default: SHA-256 of the file)")
    arguments = parser.parse_args(argv)
    try:
        with open(arguments.file, "rb") as handle:
            data = handle.read()
    except OSError as error:
        print(f"{arguments.file}: {error.strerror}", file=sys.stderr)
        return 2
    try:
        election = parse_blt(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        print(f"{arguments.file}: line {line}: the file is not UTF-8 text", file=sys.stderr)
        return 2
    except BltError as error:
        print(f"{arguments.file}: {error}", file=sys.stderr)
        return 2
    seed = arguments.seed if arguments.seed is not None else hashlib.sha256(data).hexdigest()
    result = count(election, arguments.method, seed)
    json.dump(result.to_json(), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
