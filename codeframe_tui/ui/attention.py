"""Getting the person's attention over SSH: the terminal bell, an OSC 9 desktop notification, a toast."""

from __future__ import annotations

import os

from textual.app import App
from textual.notifications import SeverityLevel

from codeframe_tui.ui.content import one_line
from codeframe_tui.ui.textual_private import write_to_terminal

MAX_NOTICE_CHARS = 180


def osc9(text: str, *, in_tmux: bool) -> str:
    """`ESC ] 9 ; text BEL`. tmux keeps unknown OSCs to itself, so inside tmux the sequence is wrapped
    in tmux's passthrough (it reaches the outer terminal when `allow-passthrough` is on)."""
    # one_line drops every control character: a question must not be able to end the sequence early.
    body = one_line(text, MAX_NOTICE_CHARS).replace(";", ",")
    sequence = f"\x1b]9;{body}\x07"
    if in_tmux:
        return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    return sequence


class Attention:
    """Each channel can be turned off in config ([notify] bell, desktop, toast)."""

    def __init__(self, app: App, *, bell: bool = True, desktop: bool = True, toast: bool = True) -> None:
        self.app = app
        self.bell = bell
        self.desktop = desktop
        self.toast = toast
        self.sent: list[tuple[str, str]] = []  # (channel, text): what went out, for tests and the log

    def alert(self, text: str, *, severity: SeverityLevel = "information", timeout: float = 8.0) -> None:
        if self.bell:
            self.app.bell()
            self.sent.append(("bell", text))
        if self.desktop:
            write_to_terminal(self.app, osc9(text, in_tmux=bool(os.environ.get("TMUX"))))
            self.sent.append(("osc9", text))
        if self.toast:
            self.app.notify(one_line(text, 300), severity=severity, timeout=timeout, markup=False)
            self.sent.append(("toast", text))
