"""Syntax colour for the lines of a diff: Pygments tokens, coloured through a Rich theme.

Only text already made safe (ui.content.plain) is lexed, and what comes back is token types over
character ranges of that same text: nothing here turns code into markup or escape sequences.

A lexer needs context (a string or comment can run over many lines), so each hunk is lexed as a
block, its old side (context and removed lines) apart from its new side (context and added lines),
so a removed line and the line that replaced it never run into each other. Lexing is slow next to
drawing (about a third of a second for 5,000 lines of Python), so a side is lexed only as far as the
rows drawn so far need, or as far as lex_some() has gone between keypresses.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_for_filename
from pygments.lexers.special import TextLexer
from pygments.util import ClassNotFound
from rich.style import Style
from rich.syntax import Syntax, SyntaxTheme

# The ANSI themes: Textual maps ANSI colours to its current theme's palette, dark or light, so the
# tokens stay readable on either, where a fixed truecolor theme (monokai) suits only dark.
_THEMES: dict[bool, SyntaxTheme] = {True: Syntax.get_theme("ansi_dark"), False: Syntax.get_theme("ansi_light")}

TokenType = tuple[str, ...]  # a Pygments token type, such as Token.Name.Function
TokenSpan = tuple[int, int, TokenType]  # start and end, in characters of the shown line, and the token type


class CodeLine(NamedTuple):
    """A line of the diff as lex_lines needs it: its mark (" ", "+" or "-"; "@" starts a hunk; "" for a
    header or note) and the file's text on it, without the mark."""

    mark: str
    code: str


def lexer_for(path: str) -> Lexer | None:
    """The lexer for the file's name, or None (plain text) for a type Pygments does not know."""
    try:
        # Leading blank lines are kept and tabs left alone, so token offsets match the text as given.
        lexer = get_lexer_for_filename(path, stripnl=False, stripall=False, ensurenl=False)
    except (ClassNotFound, ValueError):
        return None
    # A .txt file has a lexer that finds only text: no colour to gain from running it.
    return None if isinstance(lexer, TextLexer) else lexer


def token_style(token: TokenType, dark: bool) -> Style:
    """The Rich style of a token type in the ANSI theme for a dark or a light background."""
    return _THEMES[dark].get_style_for_token(token)


class _Side:
    """One side of one hunk: its lines joined, and lexed only as far as asked."""

    def __init__(self, lexer: Lexer, codes: list[str]) -> None:
        self.text = "\n".join(codes) + "\n"
        self.starts: list[int] = []  # where each line starts in the text, and where it ends
        self.ends: list[int] = []
        offset = 0
        for code in codes:
            self.starts.append(offset)
            self.ends.append(offset + len(code))
            offset += len(code) + 1
        self.spans: list[list[TokenSpan]] = [[] for _ in codes]
        self._tokens: Iterator[tuple[int, TokenType, str]] | None = lexer.get_tokens_unprocessed(self.text)
        self._lexed_to = 0  # every character before this has had its token

    def line(self, n: int) -> list[TokenSpan]:
        """Line n's tokens, lexing on until the line is complete."""
        while self._tokens is not None and self._lexed_to < self.ends[n]:
            self._next()
        return self.spans[n]

    def lex_some(self, tokens: int) -> bool:
        """Lex up to `tokens` more tokens; False once the side is all lexed."""
        for _ in range(tokens):
            if self._tokens is None:
                return False
            self._next()
        return self._tokens is not None

    def _next(self) -> None:
        assert self._tokens is not None
        try:
            start, token, value = next(self._tokens)
        except StopIteration:
            self._tokens = None
            return
        except Exception:  # noqa: BLE001 - a lexer that chokes on odd text leaves the rest of the side plain
            self._tokens = None
            return
        end = start + len(value)
        self._lexed_to = max(self._lexed_to, end)
        if not value.strip():
            return  # no colour to show on blanks
        n = bisect_right(self.starts, start) - 1
        # A token may run over several lines (a docstring): it is cut at each newline.
        while n < len(self.starts) and start < end:
            stop = min(end, self.ends[n])
            if stop > start:
                # +1: the shown line starts with its mark.
                self.spans[n].append((start - self.starts[n] + 1, stop - self.starts[n] + 1, token))
            n += 1
            start = max(start, self.starts[n]) if n < len(self.starts) else end


class Highlighter:
    """Token spans for each line of one file's diff, lexed lazily, a hunk side at a time."""

    def __init__(self, lexer: Lexer | None, lines: Sequence[CodeLine]) -> None:
        # For each line of the diff: its side and its index there, or None for headers and notes.
        self._where: list[tuple[_Side, int] | None] = [None] * len(lines)
        self._sides: list[_Side] = []
        if lexer is None:
            return
        hunk: list[tuple[int, CodeLine]] = []
        for n, line in enumerate([*lines, CodeLine("@", "")]):  # the last "@" ends the last hunk
            if line.mark in (" ", "+", "-"):
                hunk.append((n, line))
            elif line.mark == "@" and hunk:
                self._add_hunk(lexer, hunk)
                hunk = []

    def _add_hunk(self, lexer: Lexer, hunk: list[tuple[int, CodeLine]]) -> None:
        old = [(n, line) for n, line in hunk if line.mark in " -"]
        new = [(n, line) for n, line in hunk if line.mark in " +"]
        for part, shows in ((old, "-"), (new, " +")):
            if not part:
                continue
            side = _Side(lexer, [line.code for _, line in part])
            self._sides.append(side)
            for index, (n, line) in enumerate(part):
                # A context line is on both sides; it is shown as the new side lexed it.
                if line.mark in shows:
                    self._where[n] = (side, index)

    @property
    def active(self) -> bool:
        """Whether any line gets colour: False for a file type with no lexer."""
        return bool(self._sides)

    def spans(self, n: int) -> list[TokenSpan]:
        """The token spans on line n of the diff, in order, none overlapping."""
        where = self._where[n] if n < len(self._where) else None
        return where[0].line(where[1]) if where else []

    def lex_some(self, tokens: int = 2000) -> bool:
        """Lex ahead by about `tokens` tokens, so that a later jump to the end is quick; False when done."""
        for side in self._sides:
            if side.lex_some(tokens):
                return True
        return False
