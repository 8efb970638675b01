"""Untrusted text (task titles, test output, questions) as Textual Content, never parsed as markup."""

from __future__ import annotations

from textual.content import Content

from codeframe_tui.domain.safe_text import REDACTED, hide_secret, one_line, plain, redact

__all__ = ["REDACTED", "format_bytes", "hide_secret", "literal", "one_line", "plain", "redact"]


def literal(text: str) -> Content:
    """Untrusted text as Content that is never parsed as markup: `[/b]` or `[/` shows as typed.

    Escaping for markup is not enough: Textual's parser differs from Rich's, and an escaped
    `[/` still crashed a border title. Content built from a plain string has no markup at all.
    """
    return Content(plain(text))


def format_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
