"""Untrusted text made safe for a terminal (escapes and controls stripped) and secrets masked.

The TUI shows text through here (ui/content.py adds only Textual's Content), and so do the headless
lines, `status`, errors and the log: it has no Textual import, so the core may use it too.
"""

from __future__ import annotations

import re

# Whole escape sequences, 7-bit and 8-bit, so that their parameters do not show as stray text:
# CSI (ESC [ or 0x9B); OSC (ESC ] or 0x9D, to BEL or ST); DCS, SOS, PM and APC strings (to ST); any
# other ESC sequence (RIS `ESC c`, charset `ESC ( 0`...). A body never crosses an ESC or a C1 and the
# quantifiers are possessive, so any line takes linear time (a body that may hold ESC ESC, as tmux's
# passthrough does, made a hostile line quadratic); what such a body leaves behind is plain text.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*+[ -/]*+[@-~]"
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x80-\x9f]*+(?:\x07|\x1b\\|\x9c)"
    r"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x80-\x9f]*+(?:\x1b\\|\x9c)"
    r"|\x1b[ -/]*+[0-~]"
)
# What is left of an unterminated or broken sequence, and every other C0 and C1 control, DEL, and
# the bidi embeddings, overrides and isolates (U+202A-202E, U+2066-2069): they move no cursor, but a
# terminal that does bidi reorders the rest of the row with them, so a title would read otherwise.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# U+2028/2029 end a line for str.splitlines() but not for a terminal: shown as a space.
_SEPARATOR = re.compile(r"[\u2028\u2029]")
# Rich measures some emoji sequences as one 2-cell cluster where terminals that draw code point by
# code point (tmux 3.3, xterm) give another width (VS16 and skin tones; joined or not by ZWJ, by
# terminal), and a Hangul filler is invisible to Rich but 2 cells in tmux: a row holding one drew its
# borders off by a cell or more. Without them, Rich and every terminal agree on the width.
_CLUSTER = re.compile(r"[\u200d\ufe00-\ufe0f\U0001f3fb-\U0001f3ff\u115f\u1160\u3164\uffa0]")
# A lone surrogate (JSON's "\ud800", a name decoded with surrogateescape) is not UTF-8: the terminal
# got it as the text `\udcff` (6 cells where Rich counted 1) or as a raw byte. Shown as U+FFFD.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def whole_text(text: str) -> str:
    """`text` with every lone surrogate made U+FFFD: such text is not UTF-8 (no store or request
    could carry it, and a terminal misdraws it)."""
    return _SURROGATE.sub("\ufffd", text)
# Longest first, so the whole key is masked before its tail; sorted once here, not per line.
_secrets: tuple[str, ...] = ()
REDACTED = "[hidden]"


def hide_secret(secret: str | None) -> None:
    """Never show `secret` (the API key): plain() masks it, and its last 12 characters, wherever it is."""
    global _secrets
    if secret and len(secret) >= 16:
        _secrets = tuple(sorted({*_secrets, secret, secret[-12:]}, key=len, reverse=True))


def redact(text: str) -> str:
    """`text` with every hidden secret masked; cheap when none is in it (it runs on every test line)."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact_lines(lines: list[str]) -> list[str]:
    """`lines` with secrets masked: the same list when there is no secret to hide."""
    return [redact(line) for line in lines] if _secrets else lines


def plain(text: str) -> str:
    """Strip escape sequences and control characters, so nothing can move the terminal's cursor."""
    text = _CLUSTER.sub("", _CONTROL.sub("", _ESCAPES.sub("", text)))
    return redact(_SURROGATE.sub("\ufffd", _SEPARATOR.sub(" ", text)).replace("\t", "    "))


def one_line(text: str, limit: int = 200) -> str:
    """`text` made plain, on one line, cut at `limit` characters."""
    flat = " ".join(plain(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


