"""Two revisions side by side with the changes marked: paragraphs matched with difflib, words
compared within a changed paragraph, removed words in ``<del>`` and added ones in ``<ins>``.

Pure: no Flask, no database. Every piece of text is escaped before any tag is put round it,
so a revision holding ``<script>`` or ``<img onerror=...>`` shows it as text and nothing else.
The comparison is of the Markdown source, not of the rendered page: a change of emphasis or
of a link's address is a change too.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from itertools import zip_longest

from markupsafe import Markup, escape

# Words, runs of white space, and single other characters (punctuation, Markdown marks).
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)
SAME = "same"
ADDED = "added"
REMOVED = "removed"
CHANGED = "changed"


@dataclass(frozen=True)
class Row:
    """One row of the side-by-side view: a paragraph of the old revision and its counterpart
    in the new one (``None`` when there is none), each as safe HTML with the changes marked."""

    kind: str
    old: Markup | None
    new: Markup | None
    old_number: int | None
    new_number: int | None

    @property
    def changed(self) -> bool:
        return self.kind != SAME


def split_paragraphs(source: str | None) -> list[str]:
    """The paragraphs (blank-line separated blocks) of ``source``, as
    ``portal.markdown.markdown_paragraphs`` splits them."""
    if not source:
        return []
    blocks = [block.strip() for block in source.replace("\r\n", "\n").split("\n\n")]
    return [block for block in blocks if block]


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


_OPENING = {
    "ins": Markup(
        '<ins class="portal-diff__ins"><span class="nhsuk-u-visually-hidden">[Added: </span>'
    ),
    "del": Markup(
        '<del class="portal-diff__del"><span class="nhsuk-u-visually-hidden">[Removed: </span>'
    ),
}
_CLOSING = {
    "ins": Markup('<span class="nhsuk-u-visually-hidden">]</span></ins>'),
    "del": Markup('<span class="nhsuk-u-visually-hidden">]</span></del>'),
}


def _marked(tag: str, text: str) -> Markup:
    """``text`` escaped inside ``tag``, with words a screen reader says before and after."""
    if not text:
        return Markup("")
    return _OPENING[tag] + escape(text) + _CLOSING[tag]


def _segments(old_tokens: list[str], new_tokens: list[str]) -> list[tuple[str, str, str]]:
    """(operation, old text, new text) runs. White space or punctuation alone between two
    changes joins them, so "a b c" to "x y z" reads as one change, not three."""
    matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    runs = [
        (operation, "".join(old_tokens[a:b]), "".join(new_tokens[c:d]))
        for operation, a, b, c, d in matcher.get_opcodes()
    ]
    merged: list[tuple[str, str, str]] = []
    for index, (operation, old_text, new_text) in enumerate(runs):
        between_changes = (
            operation == "equal" and 0 < index < len(runs) - 1 and not re.search(r"\w", old_text)
        )
        if between_changes or (operation != "equal" and merged and merged[-1][0] == "change"):
            if merged and merged[-1][0] == "change":
                _, old_before, new_before = merged.pop()
                merged.append(("change", old_before + old_text, new_before + new_text))
            else:
                merged.append(("change", old_text, new_text))
        elif operation == "equal":
            merged.append(("equal", old_text, new_text))
        else:
            merged.append(("change", old_text, new_text))
    return merged


def compare_words(old: str, new: str) -> tuple[Markup, Markup]:
    """``old`` with removed words marked and ``new`` with added words marked."""
    old_parts: list[Markup] = []
    new_parts: list[Markup] = []
    for operation, old_text, new_text in _segments(_tokens(old), _tokens(new)):
        if operation == "equal":
            old_parts.append(escape(old_text))
            new_parts.append(escape(new_text))
        else:
            old_parts.append(_marked("del", old_text))
            new_parts.append(_marked("ins", new_text))
    return Markup("").join(old_parts), Markup("").join(new_parts)


def compare(old_source: str | None, new_source: str | None) -> list[Row]:
    """The rows of the side-by-side comparison of two Markdown sources, paragraph by paragraph.

    Paragraphs are numbered from 1 in each revision, as the page shows them to people.
    """
    old_paragraphs = split_paragraphs(old_source)
    new_paragraphs = split_paragraphs(new_source)
    matcher = difflib.SequenceMatcher(None, old_paragraphs, new_paragraphs, autojunk=False)
    rows: list[Row] = []
    for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if operation == "equal":
            for offset in range(old_end - old_start):
                text = escape(old_paragraphs[old_start + offset])
                rows.append(Row(SAME, text, text, old_start + offset + 1, new_start + offset + 1))
            continue
        pairs = zip_longest(range(old_start, old_end), range(new_start, new_end))
        for old_index, new_index in pairs:
            if old_index is None:
                assert new_index is not None
                added = _marked("ins", new_paragraphs[new_index])
                rows.append(Row(ADDED, None, added, None, new_index + 1))
            elif new_index is None:
                removed = _marked("del", old_paragraphs[old_index])
                rows.append(Row(REMOVED, removed, None, old_index + 1, None))
            else:
                old_html, new_html = compare_words(
                    old_paragraphs[old_index], new_paragraphs[new_index]
                )
                rows.append(Row(CHANGED, old_html, new_html, old_index + 1, new_index + 1))
    return rows


def has_changes(rows: list[Row]) -> bool:
    return any(row.changed for row in rows)
