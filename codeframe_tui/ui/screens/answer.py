"""The answer editor: the question in full, a multi-line answer, ctrl+s sends, esc keeps it waiting."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static, TextArea

from codeframe_tui.domain import MAX_ANSWER_CHARS
from codeframe_tui.ui.content import literal, plain


class AnswerScreen(ModalScreen[str | None]):
    """Dismisses with the text to send, or None. Also asks for review feedback (`title`, `prompt`)."""

    CSS_PATH = Path(__file__).with_name("answer.tcss")
    BINDINGS = [
        Binding("ctrl+s", "send", "Send", priority=True),
        Binding("escape", "cancel", "Cancel", priority=True),
    ]

    def __init__(self, title: str, prompt: str, *, note: str = "", initial: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.prompt_text = prompt
        self.note = note
        self.initial = initial

    def compose(self) -> ComposeResult:
        with Vertical(id="answer-box") as box:
            box.border_title = literal(self.title_text)
            with VerticalScroll(id="answer-question"):
                yield Static(Text(plain(self.prompt_text)), id="answer-prompt")
                if self.note:
                    yield Static(Text(plain(self.note), style="italic"), id="answer-note")
            yield TextArea(self.initial, id="answer-text", soft_wrap=True, show_line_numbers=False)
            yield Static("", id="answer-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()
        self._show_count()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._show_count()

    def _show_count(self) -> None:
        n = len(self.query_one(TextArea).text)
        style = "bold red" if n > MAX_ANSWER_CHARS else "dim"
        status = self.query_one("#answer-status", Static)
        status.update(Text(f"{n}/{MAX_ANSWER_CHARS} characters · ctrl+s sends · esc cancels", style=style))

    def action_send(self) -> None:
        text = self.query_one(TextArea).text
        status = self.query_one("#answer-status", Static)
        if not text.strip():
            status.update(Text("Write an answer first (esc leaves the question waiting).", style="bold red"))
            return
        if len(text) > MAX_ANSWER_CHARS:
            status.update(Text(f"Too long: at most {MAX_ANSWER_CHARS} characters, this has {len(text)}.",
                               style="bold red"))
            return
        self.dismiss(text.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
