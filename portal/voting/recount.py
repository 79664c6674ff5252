"""Recount a GP Collective Voice ballot record offline.

Usage::

    python -m portal.voting.recount FILE     # FILE is a ballot record (JSON)
    python -m portal.voting.recount -        # read the ballot record from standard input

Both formats are read: an open ballot's ``gp-collective-voice/ballot-record@1`` (each ballot
names its voter) and a secret ballot's ``gp-collective-voice/ballot-record@2`` (each ballot
carries only its caster's share). For @2 the recount also checks that the ballots' shares can
be drawn from the electorate's, no share used more often than members hold it, and that each
member's stated share is the one the rules give it.

On success the result JSON (see ``portal.voting.rules``) is printed to standard output and the
exit status is 0. The count is the same code the portal uses for its own results.

A record that is refused (unreadable, not JSON, or breaking any rule in ``portal.voting.rules``)
prints one message naming the item at fault to standard error, nothing to standard output, and
exits with status 2. Numbers with a decimal point are read as exact decimals, never as binary
floating point. An object with the same key twice is refused rather than letting one value
silently win.
"""

from __future__ import annotations

import gc
import json
import sys
from decimal import Decimal
from json.encoder import encode_basestring
from typing import IO, Any

from portal.voting.rules import RecordError, recount

USAGE = "usage: python -m portal.voting.recount FILE   (FILE may be - for standard input)"
EXIT_REFUSED = 2


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)  # built in C: a record has hundreds of thousands of objects
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise RecordError(f"record: the key {key!r} appears twice in one JSON object")
            seen.add(key)
    return result


def _no_constants(name: str) -> Any:
    raise RecordError(f"record: {name} is not a number")


def load_record(text: str | bytes) -> Any:
    """Parse ballot-record JSON exactly (decimals as Decimal); raise RecordError if it is not."""
    try:
        return json.loads(
            text,
            parse_float=Decimal,
            parse_constant=_no_constants,
            object_pairs_hook=_no_duplicate_keys,
        )
    except RecordError:
        raise
    except (ValueError, RecursionError) as error:
        raise RecordError(f"record: not valid JSON ({error})") from None


def main(
    argv: list[str] | None = None,
    stdin: IO[bytes] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Run the recount; return the exit status (0 success, 2 refused)."""
    args = sys.argv[1:] if argv is None else argv
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    if args in (["-h"], ["--help"]):
        out.write(USAGE + "\n")
        return 0
    if len(args) != 1:
        err.write(USAGE + "\n")
        return EXIT_REFUSED
    path = args[0]
    try:
        if path == "-":
            source = sys.stdin.buffer if stdin is None else stdin
            raw = source.read()
        else:
            with open(path, "rb") as handle:
                raw = handle.read()
    except OSError as error:
        err.write(f"recount: refused: cannot read {path}: {error.strerror or error}\n")
        return EXIT_REFUSED
    collecting = gc.isenabled()
    # A record is a million objects or more, none in a reference cycle: the collector's passes
    # over them while they are built would find nothing and take a third of the time.
    gc.disable()
    try:
        data = load_record(raw)
        if not isinstance(data, dict):
            raise RecordError("record: expected a JSON object at the top level")
        result = recount(data)
    except RecordError as error:
        err.write(f"recount: refused: {error}\n")
        return EXIT_REFUSED
    finally:
        if collecting:
            gc.enable()
    out.write(result_text(result) + "\n")
    return 0


def result_text(result: dict[str, Any]) -> str:
    """``json.dumps(result, indent=2, ensure_ascii=False)``, the shares (the last key, one line
    per member) written with one join: the json module indents with a Python loop per item."""
    shares = result.get("shares")
    if not shares or next(reversed(result)) != "shares":
        return json.dumps(result, indent=2, ensure_ascii=False)
    head = json.dumps(
        {key: value for key, value in result.items() if key != "shares"},
        indent=2,
        ensure_ascii=False,
    )
    lines = ",\n    ".join(
        map(
            "{}: {}".format, map(encode_basestring, shares), map(encode_basestring, shares.values())
        )
    )
    opening = head.removesuffix("\n}")  # the object goes on with the shares
    return f'{opening},\n  "shares": {{\n    {lines}\n  }}\n}}'


if __name__ == "__main__":
    sys.exit(main())
