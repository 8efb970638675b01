"""The inbox: every agent's pending questions and every task awaiting review, oldest first, answered
and decided from the keyboard."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from codeframe_tui.engine.inbox_items import InboxItem, format_wait
from codeframe_tui.engine.refused import CommandRefused
from codeframe_tui.engine.session import Engine
from codeframe_tui.ui.content import one_line, plain
from codeframe_tui.ui.screens.answer import AnswerScreen
from codeframe_tui.ui.screens.diff import DiffScreen
from codeframe_tui.ui.screens.reject import RejectScreen
from codeframe_tui.ui.widgets.rows import RowTable

SETTLE_SECONDS = 0.6  # after an item slides under the cursor, before y/n/x act on it
EMPTY = "Nothing waits for you. Questions from the agents and work to review will appear here."


def item_id(item: InboxItem) -> str:
    return f"b{item.blocker_id}" if item.kind == "blocker" else f"r{item.task_key}"


class InboxTable(RowTable):
    def on_mount(self) -> None:
        self.add_column(" ", key="kind", width=2)
        self.add_column("Task", key="task", width=6)
        self.add_column("Agent", key="agent", width=11)
        self.add_column("Wait", key="wait", width=5)
        self.add_column("Question or change", key="text")


class InboxScreen(Screen):
    CSS_PATH = Path(__file__).with_name("inbox.tcss")
    AUTO_FOCUS = "#inbox-items"
    BINDINGS = [
        Binding("enter", "open", "Answer/Diff", priority=True, tooltip="Answer or open"),
        Binding("y", "yes", "Yes/Accept", tooltip="Yes / accept"),
        Binding("n", "no", "No/Reject", tooltip="No / reject with feedback"),
        Binding("x", "discard", "Reject for good", tooltip="Reject for good"),
        Binding("d", "diff", "Diff", tooltip="Show the diff"),
        Binding("escape,q,b", "close", "Back"),
    ]

    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.engine = engine
        self.items: list[InboxItem] = []
        self.sending: set[str] = set()  # items whose answer or decision is on its way: keys ignore them
        self.decided: dict[str, float] = {}  # item -> when it was answered or decided from here
        self._slid_in_at = 0.0
        self.clock = clock or (lambda: datetime.now(UTC))  # fixed in snapshot scenes

    def compose(self) -> ComposeResult:
        yield Header()
        table = InboxTable(id="inbox-items", classes="pane")
        table.border_title = "Inbox · oldest first"
        yield table
        with VerticalScroll(id="inbox-detail-box", classes="pane") as box:
            box.border_title = "Details"
            yield Static("", id="inbox-detail")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.show(getattr(self.app, "inbox_items", []))
        self.set_interval(5, self._tick)

    @property
    def table(self) -> InboxTable:
        return self.query_one(InboxTable)

    def highlighted(self) -> InboxItem | None:
        row = self.table.cursor_row
        return self.items[row] if self.items and 0 <= row < len(self.items) else None

    def show(self, items: list[InboxItem]) -> None:
        """Show the latest items, keeping the cursor on the same item when it is still there."""
        current = self.highlighted()
        keep = item_id(current) if current else None
        row = self.table.cursor_row
        self.items = list(items)
        table = self.table
        table.clear()
        for item in self.items:
            mark = Text("?", style="bold magenta") if item.kind == "blocker" else Text("◆", style="bold yellow")
            text = item.text if item.kind == "review" or item.sync else f"(going on) {item.text}"
            table.add_row(mark, Text(one_line(item.task_key, 6)), Text(one_line(item.agent_id or "engine", 11)),
                          Text(format_wait(item.waited(self.clock()))), Text(one_line(text, 200)), key=item_id(item))
        ids = [item_id(i) for i in self.items]
        if keep in ids:
            table.move_cursor(row=ids.index(keep))
        elif ids:
            # The item just dealt with left: stay at its place, not back at the top. Decision keys
            # rest for a moment, so a double press does not answer the neighbour that slid in.
            table.move_cursor(row=min(max(row, 0), len(ids) - 1))
            if keep is not None and time.monotonic() - self.decided.get(keep, -60.0) < SETTLE_SECONDS * 2:
                self._slid_in_at = time.monotonic()
        self.sub_title = f"{len(items)} waiting" if items else "nothing waiting"
        self._show_detail()

    def _tick(self) -> None:
        for item in self.items:
            self.table.update_cell(item_id(item), "wait", Text(format_wait(item.waited(self.clock()))))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        item = self.highlighted()
        detail = self.query_one("#inbox-detail", Static)
        if item is None:
            detail.update(Text(EMPTY, style="italic"))
        else:
            detail.update(_describe(item, self.clock()))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        item = self.highlighted()
        if action in ("yes", "no"):
            return item is not None and (item.kind == "review" or item.yes_no)
        if action in ("discard", "diff"):
            return item is not None and item.kind == "review"
        if action == "open":
            return item is not None
        return True

    # ---- actions ------------------------------------------------------------------------

    def action_open(self) -> None:
        """Answer the question, or show the diff."""
        item = self.highlighted()
        if item is None:
            return
        if item.kind == "review":
            self.action_diff()
            return
        note = f"While waiting it goes on assuming: {item.assumption}" if not item.sync else ""
        if item.yes_no:
            note = (note + "\n" if note else "") + "A yes/no question: y or n in the inbox answers it at once."
        screen = AnswerScreen(f"Answer task {item.task_key} ({item.agent_id or 'engine'})", item.text, note=note)
        self.app.push_screen(screen, lambda text: self._answer(item, text))

    def action_yes(self) -> None:
        """Answer yes, or accept the reviewed work."""
        item = self.highlighted()
        if item is None:
            return
        if item.kind == "review":
            self._decide(item, "accept", settle=True)
        elif item.yes_no:
            self._answer(item, "yes", settle=True)

    def action_no(self) -> None:
        """Answer no, or send the work back."""
        item = self.highlighted()
        if item is None:
            return
        if item.kind == "review":
            self._decide(item, "reject", settle=True)
        elif item.yes_no:
            self._answer(item, "no", settle=True)

    def action_discard(self) -> None:
        """Reject the reviewed work and undo it."""
        item = self.highlighted()
        if item is not None and item.kind == "review":
            self._decide(item, "discard")

    @work(exit_on_error=False)
    async def action_diff(self) -> None:
        """The reviewed task's changes."""
        item = self.highlighted()
        if item is None or item.kind != "review":
            return
        diffs = await self.engine.task_diff(item.task_key)
        title = f"Review {item.task_key}: {one_line(item.task_title, 60)}"
        choice = await self.app.push_screen_wait(DiffScreen(title, diffs, review=True))
        if choice:
            self._decide(item, choice)

    def action_close(self) -> None:
        self.dismiss()

    # ---- talking to the engine ----------------------------------------------------------

    def _claim(self, item: InboxItem, *, settle: bool = False) -> bool:
        """True once per item: a second press while the first is on its way does nothing. With `settle`
        (a key pressed on the list itself), neither does a press just after another item slid under
        the cursor. A verdict given in a screen that names its task (the diff, the feedback editor,
        the confirmation) is deliberate, however soon it comes."""
        slid_in = settle and time.monotonic() - self._slid_in_at < SETTLE_SECONDS
        if item_id(item) in self.sending or slid_in:
            self.app.bell()
            return False
        self.sending.add(item_id(item))
        self.decided[item_id(item)] = time.monotonic()
        return True

    def _answer(self, item: InboxItem, text: str | None, *, settle: bool = False) -> None:
        if text is not None and item.blocker_id is not None and self._claim(item, settle=settle):
            self._send_answer(item, text)

    @work(exit_on_error=False)
    async def _send_answer(self, item: InboxItem, text: str) -> None:
        assert item.blocker_id is not None  # only a question's item is answered (the caller checks)
        try:
            await self.engine.answer_blocker(item.blocker_id, text)
        except CommandRefused as exc:
            self.notify(plain(str(exc)), severity="warning", markup=False)
            return
        finally:
            self.sending.discard(item_id(item))
        self.notify(plain(f"Answered; task {item.task_key} goes on with it."), markup=False)

    def _decide(self, item: InboxItem, choice: str, *, settle: bool = False) -> None:
        if choice == "accept":
            if self._claim(item, settle=settle):
                self._review(item, "accept", "")
        elif choice == "reject":
            screen = AnswerScreen(f"Reject {item.task_key}: what should change?",
                                  f"{item.task_title}\n{item.text}",
                                  note="The agent tries again with this feedback in its prompt.")
            self.app.push_screen(screen, lambda text: self._feedback(item, text))
        elif choice == "discard":
            self._confirm_discard(item)

    def _feedback(self, item: InboxItem, text: str | None) -> None:
        if text is not None and self._claim(item):
            self._review(item, "reject", text)

    @work(exit_on_error=False)
    async def _confirm_discard(self, item: InboxItem) -> None:
        stranded = await self.engine.rejection_impact([item.task_key])
        screen = RejectScreen([item.task_key], stranded, title=f"Reject {item.task_key} for good",
                              note="Its changes are undone, except in files someone changed since.")
        reason = await self.app.push_screen_wait(screen)
        if reason is not None and self._claim(item):
            self._review(item, "discard", reason)

    @work(exit_on_error=False)
    async def _review(self, item: InboxItem, decision: str, text: str) -> None:
        try:
            if decision == "accept":
                await self.engine.accept_review(item.task_key)
                message = f"Task {item.task_key} accepted: done."
            elif decision == "reject":
                await self.engine.reject_review(item.task_key, text)
                message = f"Task {item.task_key} goes back to its agent with your feedback."
            else:
                kept = await self.engine.discard_review(item.task_key, text)
                message = f"Task {item.task_key} rejected for good; its changes were undone."
                if kept:
                    message += f" Left as they are (changed since): {', '.join(kept)}."
        except CommandRefused as exc:
            self.notify(plain(str(exc)), severity="warning", markup=False)
            return
        finally:
            self.sending.discard(item_id(item))
        self.notify(plain(message), markup=False)


def _describe(item: InboxItem, now: datetime) -> Text:
    who = plain(item.agent_id or "the engine")
    key = plain(item.task_key)  # keys come from the plan, as titles do
    text = Text()
    if item.kind == "review":
        text.append(f"Task {key} waits for your review", style="bold")
        text.append(f" ({who}, {format_wait(item.waited(now))})\n")
        text.append(plain(item.task_title) + "\n")
        text.append(plain(item.text) + "\n\n", style="dim")
        text.append("enter or d: the diff · y accept · n reject with feedback · x reject for good", style="italic")
        return text
    kind = "asks" if item.sync else "asks, and goes on meanwhile,"
    text.append(f"Task {key} {kind}", style="bold")
    text.append(f" ({who}, {format_wait(item.waited(now))}):\n")
    text.append(plain(item.text) + "\n")
    if item.assumption:
        text.append(f"Assuming meanwhile: {plain(item.assumption)}\n", style="dim")
    keys = "y yes · n no · enter write an answer" if item.yes_no else "enter: write an answer"
    text.append("\n" + keys, style="italic")
    return text
