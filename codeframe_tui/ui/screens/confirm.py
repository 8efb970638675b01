"""A question with a few one-key answers (y/n, or a/r for undo), for choices that change the project."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from codeframe_tui.ui.text import literal, plain


class ChoiceScreen(ModalScreen[str | None]):
    """Dismisses with the chosen key's value, or None on escape. `choices`: key -> (label, value)."""

    CSS_PATH = Path(__file__).with_name("confirm.tcss")

    def __init__(self, title: str, body: str, choices: dict[str, tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.choices = choices
        for key, (label, value) in choices.items():
            self._bindings.bind(key, f"choose('{value}')", label)
        self._bindings.bind("escape", "choose('')", "Cancel")

    def compose(self) -> ComposeResult:
        with Vertical(id="choice-box") as box:
            box.border_title = literal(self.title_text)
            yield Static(Text(plain(self.body)), id="choice-body")
        yield Footer()

    def action_choose(self, value: str) -> None:
        self.dismiss(value or None)


def confirm(title: str, body: str, yes: str = "Yes", no: str = "No") -> ChoiceScreen:
    return ChoiceScreen(title, body, {"y": (yes, "yes"), "n": (no, "")})
