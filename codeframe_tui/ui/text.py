"""Making untrusted text (task titles, test output, questions) safe to put on screen."""

from __future__ import annotations

import re

from textual.content import Content

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain(text: str) -> str:
    """Strip ANSI escapes and control characters, so nothing can move the terminal's cursor."""
    return _CONTROL.sub("", _ANSI.sub("", text)).replace("\t", "    ")


def literal(text: str) -> Content:
    """Untrusted text as Content that is never parsed as markup: `[/b]` or `[/` shows as typed.

    Escaping for markup is not enough: Textual's parser differs from Rich's, and an escaped
    `[/` still crashed a border title. Content built from a plain string has no markup at all.
    """
    return Content(plain(text))


def one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(plain(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def format_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
