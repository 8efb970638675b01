"""FileDiff and summarize: status, line counts, unified diff lines, the line cap and binary files."""

from __future__ import annotations

import difflib

import pytest

from codeframe_tui.domain import diffs
from codeframe_tui.domain.diffs import BINARY_NOTICE, MAX_DIFF_LINES, FileDiff, summarize


def test_added_file():
    d = FileDiff("pkg/new.py", None, "a = 1\nb = 2\n")
    assert d.status == "added"
    assert (d.added, d.removed) == (2, 0)
    assert d.unified() == ["--- /dev/null", "+++ b/pkg/new.py", "@@ -0,0 +1,2 @@", "+a = 1", "+b = 2"]


def test_deleted_file():
    d = FileDiff("old.txt", "only line\n", None)
    assert d.status == "deleted"
    assert (d.added, d.removed) == (0, 1)
    assert d.unified() == ["--- a/old.txt", "+++ /dev/null", "@@ -1 +0,0 @@", "-only line"]


def test_modified_file_matches_a_plain_unified_diff():
    before = "".join(f"line {i:02}\n" for i in range(20))
    after = before.replace("line 03\n", "line three\n").replace("line 15\n", "") + "tail\n"
    d = FileDiff("m.py", before, after)
    assert d.status == "modified"
    assert (d.added, d.removed) == (2, 2)
    for context in (0, 1, 3):
        expected = difflib.unified_diff(before.splitlines(True), after.splitlines(True), "a/m.py", "b/m.py", n=context)
        assert d.unified(context) == [line.rstrip("\n") for line in expected]
    assert not any(line.endswith("\n") for line in d.unified())


def test_unchanged_files_have_no_diff():
    for d in (FileDiff("same.py", "x\n", "x\n"), FileDiff("never.py", None, None)):
        assert d.status == "unchanged"
        assert (d.added, d.removed) == (0, 0)
        assert d.unified() == []


def test_empty_files_added_and_deleted_have_headers_only():
    assert FileDiff("empty", None, "").unified() == ["--- /dev/null", "+++ b/empty"]
    assert FileDiff("empty", "", None).unified() == ["--- a/empty", "+++ /dev/null"]
    assert FileDiff("empty", None, "").status == "added"


def test_a_missing_final_newline_is_a_change_and_is_marked():
    d = FileDiff("f", "a\nb", "a\nb\n")
    assert d.status == "modified"
    assert (d.added, d.removed) == (1, 1)
    assert d.unified() == ["--- a/f", "+++ b/f", "@@ -1,2 +1,2 @@", " a", "-b", "\\ No newline at end of file", "+b"]


def test_only_newlines_split_lines():
    # A form feed or U+2028 inside a line is part of it, not a line break.
    d = FileDiff("f", None, "one\fstill one\u2028and still\n")
    assert d.added == 1


def test_the_matching_is_done_once(monkeypatch):
    made = []

    class Counting(difflib.SequenceMatcher):
        def __init__(self, *args, **kwargs):
            made.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(diffs, "SequenceMatcher", Counting)
    d = FileDiff("f", "a\nb\n", "a\nc\n")
    assert (d.added, d.removed, d.added) == (1, 1, 1)
    assert d.unified() == d.unified(3)
    d.unified(0)
    assert len(made) == 1


def test_a_long_diff_is_cut_with_a_line_saying_how_much_was_left_out():
    d = FileDiff("big.txt", None, "".join(f"{i}\n" for i in range(MAX_DIFF_LINES + 500)))
    lines = d.unified()
    assert len(lines) == MAX_DIFF_LINES + 1
    assert lines[-2] == f"+{MAX_DIFF_LINES - 4}"  # two headers and a hunk header come first
    assert lines[-1] == "… 503 more lines of this diff not shown"
    assert d.added == MAX_DIFF_LINES + 500  # the counts are not capped


def test_the_cut_line_is_singular_for_one(monkeypatch):
    monkeypatch.setattr(diffs, "MAX_DIFF_LINES", 4)
    assert FileDiff("f", None, "a\nb\n").unified()[-1] == "… 1 more line of this diff not shown"
    assert len(FileDiff("f", None, "a\n").unified()) == 4  # exactly at the cap: nothing left out


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (None, "PNG\x00\x01\x02"),
        ("text\n", "te\x00xt\n"),
        ("\x01\x02\x03\x04\x05 mostly control characters", None),
        ("ok\n", "\ufffd\ufffd\ufffd\ufffd badly decoded"),
    ],
)
def test_binary_files_are_not_shown(before, after):
    d = FileDiff("blob", before, after)
    assert d.binary
    assert d.unified() == [BINARY_NOTICE]
    assert (d.added, d.removed) == (0, 0)


def test_text_with_tabs_and_the_odd_control_character_is_still_text():
    d = FileDiff("Makefile", None, "all:\n\tmake it\r\n" + "x" * 100 + "\x1b[0m\n")
    assert not d.binary
    assert d.added == 3


def test_summary_wording():
    assert summarize([]) == "no changes"
    assert summarize([FileDiff("a", "x\n", "x\n")]) == "no changes"
    assert summarize([FileDiff("a", None, "1\n2\n")]) == "1 file, +2 −0"
    many = [
        FileDiff("a", None, "".join(f"{i}\n" for i in range(38))),
        FileDiff("b", "x\ny\n", "x\nz\nw\n"),
        FileDiff("c", "gone\n", None),
        FileDiff("same", "s\n", "s\n"),
    ]
    assert summarize(many) == "3 files, +40 −2"
