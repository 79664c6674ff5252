"""The side-by-side comparison: paragraphs matched, words marked, and nothing in a revision's
text can become markup."""

from __future__ import annotations

import re

from portal.positions import diff


def _plain(html: str) -> str:
    """The text a sighted reader sees: the screen-reader words and the tags taken out."""
    html = re.sub(r'<span class="nhsuk-u-visually-hidden">.*?</span>', "", html)
    return re.sub(r"<[^>]+>", "", html)


def test_identical_texts_have_no_changes():
    rows = diff.compare("One.\n\nTwo.", "One.\n\nTwo.")
    assert [row.kind for row in rows] == ["same", "same"]
    assert not diff.has_changes(rows)
    assert [(row.old_number, row.new_number) for row in rows] == [(1, 1), (2, 2)]


def test_changed_words_are_marked_with_del_and_ins():
    rows = diff.compare("The ICB should fund the hub fully.", "The ICB must fund every hub fully.")
    assert [row.kind for row in rows] == ["changed"]
    old, new = str(rows[0].old), str(rows[0].new)
    assert re.findall(r"<del[^>]*>(?:<span[^>]*>[^<]*</span>)?([^<]*)", old) == ["should", "the"]
    assert re.findall(r"<ins[^>]*>(?:<span[^>]*>[^<]*</span>)?([^<]*)", new) == ["must", "every"]
    assert _plain(old) == "The ICB should fund the hub fully."
    assert _plain(new) == "The ICB must fund every hub fully."
    assert "[Removed: " in old
    assert "[Added: " in new


def test_added_and_removed_paragraphs_are_whole_rows():
    rows = diff.compare("Keep.\n\nDrop this.", "Keep.\n\nDrop this.\n\nA new one.")
    assert [row.kind for row in rows] == ["same", "same", "added"]
    assert rows[2].old is None
    assert "<ins" in str(rows[2].new)
    assert rows[2].new_number == 3
    rows = diff.compare("First.\n\nSecond.\n\nThird.", "First.\n\nThird.")
    assert [row.kind for row in rows] == ["same", "removed", "same"]
    assert rows[1].new is None
    assert "<del" in str(rows[1].old)
    assert rows[1].old_number == 2


def test_a_run_of_changed_words_reads_as_one_change():
    old, new = diff.compare_words("a b c d", "a x y d")
    assert str(new).count("<ins") == 1
    assert _plain(str(new)) == "a x y d"
    assert str(old).count("<del") == 1


def test_windows_line_endings_and_blank_lines_do_not_count_as_changes():
    rows = diff.compare("One.\r\n\r\nTwo.", "One.\n\n\n\nTwo.\n")
    assert not diff.has_changes(rows)


def test_html_in_a_revision_is_escaped_never_markup():
    payload = '<script>alert(1)</script> <img src=x onerror="alert(2)"> [x](javascript:alert(3))'
    rows = diff.compare("Safe text.", payload)
    html = str(rows[0].new)
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html
    assert "&lt;img" in html
    assert 'onerror="' not in html
    assert "onerror=&#34;" in html
    # The only tags are the diff's own.
    assert set(re.findall(r"</?([a-z]+)", html)) <= {"ins", "del", "span"}
    old, new = diff.compare_words("<b>bold</b>", "<i>bold</i>")
    assert "<b>" not in str(old)
    assert "<i>" not in str(new)
