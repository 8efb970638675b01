"""A question with a few one-key answers (y/n, or a/r for undo), for choices that change the project."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from codeframe_tui.ui.content import literal, plain


class ChoiceScreen(ModalScreen[str | None]):
    """Dismisses with the chosen key's value, or None on escape. `choices`: key -> (label, value).

    Its keys are BINDINGS, Textual's public way: each set of choices gets its own subclass (made
    once, on first use), so no binding is added to an instance from outside."""

    CSS_PATH = Path(__file__).with_name("confirm.tcss")

    def __new__(cls, title: str, body: str, choices: dict[str, tuple[str, str]]) -> ChoiceScreen:
        if cls is ChoiceScreen:
            cls = _with_keys(tuple((key, label, value) for key, (label, value) in choices.items()))
        return super().__new__(cls)

    def __init__(self, title: str, body: str, choices: dict[str, tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(id="choice-box") as box:
            box.border_title = literal(self.title_text)
            yield Static(Text(plain(self.body)), id="choice-body")
        yield Footer()

    def action_choose(self, value: str) -> None:
        self.dismiss(value or None)


@lru_cache(maxsize=64)
def _with_keys(keys: tuple[tuple[str, str, str], ...]) -> type[ChoiceScreen]:
    bindings = [Binding(key, f"choose('{value}')", label) for key, label, value in keys]
    return type("ChoiceScreen", (ChoiceScreen,), {"BINDINGS": [*bindings, Binding("escape", "choose('')", "Cancel")]})


def confirm(title: str, body: str, yes: str = "Yes", no: str = "No") -> ChoiceScreen:
    return ChoiceScreen(title, body, {"y": (yes, "yes"), "n": (no, "")})
