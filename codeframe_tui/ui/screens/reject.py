"""The reject dialog: what can then never run, an optional reason, confirm or cancel."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from codeframe_tui.ui.content import literal, plain


class RejectScreen(ModalScreen[str | None]):
    """Dismisses with the reason ("" for none) on enter, or None on escape."""

    CSS_PATH = Path(__file__).with_name("review.tcss")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, keys: list[str], stranded: list[str], *, title: str = "", note: str = "") -> None:
        super().__init__()
        self.keys = keys
        self.stranded = stranded
        self.title_text = title or f"Reject {', '.join(keys)}"
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="reject-box") as box:
            box.border_title = literal(self.title_text)
            if self.note:
                yield Static(literal(self.note), id="reject-note")
            if self.stranded:
                yield Static(Text(plain(f"These tasks could then never run: {', '.join(self.stranded)}"),
                                  style="bold"), id="reject-impact")
            else:
                yield Static(Text("No other task depends on this."), id="reject-impact")
            yield Input(placeholder="Reason (optional); enter rejects, esc cancels", id="reject-reason")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
