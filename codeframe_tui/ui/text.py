"""Making untrusted text (task titles, test output, questions) safe to put on screen."""

from __future__ import annotations

import re

from rich.markup import escape

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain(text: str) -> str:
    """Strip ANSI escapes and control characters, so nothing can move the terminal's cursor."""
    return _CONTROL.sub("", _ANSI.sub("", text)).replace("\t", "    ")


def markup_safe(text: str) -> str:
    """Plain text, escaped for Rich markup: a title like `[/b]` shows literally."""
    return escape(plain(text))


def one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(plain(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
