"""The warnings of the plan's imports: what was skipped or read differently, each at its file:line.

Opened from plan review with `w`. A skipped line can be added as a task with `n` (the form opens
with the line's text as the title); the checklists kept as acceptance notes are shown below.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from codeframe_tui.domain import ImportRecord
from codeframe_tui.ui.content import literal, plain


class ImportWarningsScreen(ModalScreen[str | None]):
    """Dismisses with the text of the skipped line to add as a task (`n`), or None (esc)."""

    CSS_PATH = Path(__file__).with_name("import_warnings.tcss")
    BINDINGS = [
        Binding("n", "add", "Add as task"),
        Binding("escape", "close", "Back"),
    ]

    def __init__(self, imports: list[ImportRecord]) -> None:
        super().__init__()
        self.warnings = [(record, w) for record in imports for w in record.warnings]
        self.acceptance = [(record.source, record.acceptance) for record in imports if record.acceptance]

    def compose(self) -> ComposeResult:
        with Vertical(id="warnings-box") as box:
            box.border_title = f"Import warnings · {len(self.warnings)}"
            box.border_subtitle = "n add a skipped line as a task · esc back"
            # Warnings quote the plan file's text: drawn as it is, never as markup.
            yield OptionList(*(Option(literal(plain(str(w.get("message") or w.get("what", "")))), id=str(i))
                               for i, (_, w) in enumerate(self.warnings)), id="warnings-list")
            if self.acceptance:
                with VerticalScroll(id="warnings-acceptance"):
                    text = "\n\n".join(f"Acceptance notes from {source}:\n{note}" for source, note in self.acceptance)
                    yield Static(literal(plain(text)))
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def action_add(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None or not self.warnings:
            return
        _, warning = self.warnings[options.highlighted]
        text = str(warning.get("text") or "").strip()
        if not text:
            self.notify("This warning skipped no line: nothing to add", severity="warning")
            return
        self.dismiss(text)

    def action_close(self) -> None:
        self.dismiss(None)
