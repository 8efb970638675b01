"""Unit tests of the line splitter and the bounded output tail."""

from __future__ import annotations

from codeframe_tui.runner.stream import LineSplitter, OutputTail


def test_lines_split_across_chunks_and_characters() -> None:
    splitter = LineSplitter()
    snowman = "☃".encode()
    assert splitter.feed(b"one\ntw") == ["one"]
    assert splitter.feed(b"o\r\nthree " + snowman[:1]) == ["two"]
    assert splitter.feed(snowman[1:] + b"\n") == ["three ☃"]
    assert splitter.feed(b"partial") == []
    assert splitter.flush() == ["partial"]
    assert splitter.flush() == []


def test_invalid_utf8_is_replaced_not_raised() -> None:
    assert LineSplitter().feed(b"bad \xff\xfe byte\n") == ["bad \ufffd\ufffd byte"]


def test_a_line_without_newline_is_cut_at_the_limit() -> None:
    splitter = LineSplitter(max_line_bytes=10)
    assert splitter.feed(b"." * 25) == ["." * 10, "." * 10]
    assert splitter.flush() == ["." * 5]


def test_tail_keeps_the_last_lines_within_both_bounds() -> None:
    tail = OutputTail(max_lines=3, max_chars=1000)
    for i in range(10):
        tail.append(f"line {i}")
    assert tail.text() == "line 7\nline 8\nline 9"
    assert tail.dropped == 7

    tail = OutputTail(max_lines=100, max_chars=25)
    for i in range(10):
        tail.append(f"line {i}")  # 7 characters with the newline
    assert tail.text() == "line 7\nline 8\nline 9"
