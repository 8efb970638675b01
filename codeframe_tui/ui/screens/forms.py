"""Plan review's forms: edit or add a task (title, agent type, description), and its dependencies."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, TextArea

from codeframe_tui.ui.content import literal, plain

AGENT_TYPES = [("backend", "backend"), ("frontend", "frontend"), ("test", "test")]


class TaskFormScreen(ModalScreen[dict | None]):
    """ctrl+s saves and dismisses with {title, agent_type, description}; esc cancels with None."""

    CSS_PATH = Path(__file__).with_name("review.tcss")
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, heading: str, title: str = "", agent_type: str = "backend", description: str = "") -> None:
        super().__init__()
        self.heading = heading
        self.initial = (title, agent_type, description)

    def compose(self) -> ComposeResult:
        title, agent_type, description = self.initial
        # The fields draw their text as it is: escapes in a stored title would reach the terminal.
        # Saved, the cleaned text replaces the stored one, which is what the person saw and kept.
        title, description = plain(title), plain(description)
        with Vertical(id="form-box") as box:
            box.border_title = literal(self.heading)
            box.border_subtitle = "ctrl+s save · esc cancel"
            yield Label("Title")
            yield Input(title, id="form-title")
            yield Label("Agent type")
            yield Select(AGENT_TYPES, value=agent_type, allow_blank=False, id="form-agent")
            yield Label("Description")
            yield TextArea(description, id="form-description", soft_wrap=True)

    def on_mount(self) -> None:
        self.query_one("#form-title", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.focus_next()  # enter moves on; ctrl+s saves

    def action_save(self) -> None:
        self.dismiss({
            "title": self.query_one("#form-title", Input).value,
            "agent_type": str(self.query_one("#form-agent", Select).value),
            "description": self.query_one("#form-description", TextArea).text,
        })

    def action_cancel(self) -> None:
        self.dismiss(None)


class DependenciesScreen(ModalScreen[tuple[str, ...] | None]):
    """One line of task ids, comma or space separated; enter saves, esc cancels."""

    CSS_PATH = Path(__file__).with_name("review.tcss")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, key: str, current: tuple[str, ...]) -> None:
        super().__init__()
        self.key = key
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="form-box") as box:
            box.border_title = literal(f"Task {self.key} waits for")
            box.border_subtitle = "enter save · esc cancel"
            yield Input(plain(", ".join(self.current)), placeholder="task ids, e.g. 1.1, 1.2 (empty: none)",
                        id="deps-input")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        keys = tuple(k for k in event.value.replace(",", " ").split() if k)
        self.dismiss(tuple(dict.fromkeys(keys)))

    def action_cancel(self) -> None:
        self.dismiss(None)
