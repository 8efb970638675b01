"""Discovery: the lead agent asks one question at a time, then writes the PRD for the person to read."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from textual import getters
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Markdown, Static, TextArea

from codeframe_tui.engine.refused import CommandRefused
from codeframe_tui.engine.session import Engine
from codeframe_tui.plan.planning import QA, Question
from codeframe_tui.ui.content import literal, plain

if TYPE_CHECKING:  # the app imports this screen
    from codeframe_tui.ui.app import CodeframeApp

log = logging.getLogger(__name__)
GOAL_QUESTION = "What do you want to build? One or two sentences are enough."


class DiscoveryScreen(Screen):
    CSS_PATH = Path(__file__).with_name("discovery.tcss")
    AUTO_FOCUS = "#answer"
    BINDINGS = [
        Binding("ctrl+n", "skip", "Skip question", priority=True),
        Binding("ctrl+f", "finish", "Finish: write the PRD", priority=True),
    ]

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self.goal = ""
        self.answers: list[QA] = []
        self.current: Question | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="chat") as chat:
            chat.border_title = "Discovery"
            yield Static(literal(GOAL_QUESTION), classes="question")
        yield Input(placeholder="Your answer; enter sends", id="answer")
        yield Footer()

    def _say(self, text: str, css: str) -> None:
        chat = self.query_one("#chat", VerticalScroll)
        chat.mount(Static(literal(text), classes=css))
        chat.scroll_end(animate=False)

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if self.busy or not text:
            return
        event.input.value = ""
        self._say(text, "answer")
        if not self.goal:
            self.goal = text
        elif self.current is not None:
            self.answers.append(QA(self.current.text, self.current.topic, text))
        self.run_worker(self._ask(), exclusive=True, exit_on_error=False)

    async def action_skip(self) -> None:
        if self.busy or self.current is None:
            return
        self._say("(skipped)", "answer")
        self.answers.append(QA(self.current.text, self.current.topic, None))
        self.run_worker(self._ask(), exclusive=True, exit_on_error=False)

    async def _ask(self) -> None:
        self.busy = True
        self.query_one("#answer", Input).placeholder = "The lead agent is thinking…"
        try:
            self.current = await self.engine.next_question(self.goal, self.answers)
        finally:
            self.busy = False
            self.query_one("#answer", Input).placeholder = "Your answer; enter sends"
        if self.current is None:
            await self.action_finish()
        else:
            note = "" if self.current.from_model else "  (fixed question: the model was not reached)"
            self._say(self.current.text + note, "question")

    async def action_finish(self) -> None:
        if self.busy or not self.goal:
            if not self.goal:
                self.notify("Say what you want to build first", severity="warning")
            return
        self.busy = True
        self._say("Writing the PRD…", "question")
        prd = await self.engine.write_prd(self.goal, self.answers)
        self.busy = False
        self.app.switch_screen(PrdScreen(self.engine, prd))


class PrdScreen(Screen):
    """The PRD as markdown: `e` edits it, `c` decomposes it into a plan for review."""

    if TYPE_CHECKING:  # the type checker's view of self.app (textual's own pattern); no runtime check
        app = getters.app(CodeframeApp)

    CSS_PATH = Path(__file__).with_name("discovery.tcss")
    BINDINGS = [
        Binding("e", "edit", "Edit"),
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("c", "decompose", "Make the plan"),
        Binding("escape", "close", "Back"),
    ]

    def __init__(self, engine: Engine, prd: str, *, can_decompose: bool = True) -> None:
        super().__init__()
        self.engine = engine
        self.prd = prd
        self.editing = False
        # Opened later from plan review, the PRD is to read and edit: the plan already exists.
        self.can_decompose = can_decompose

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "decompose":
            return self.can_decompose
        if action == "close":
            return not self.can_decompose
        return True

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="prd") as box:
            box.border_title = "PRD · .codeframe/prd.md"
            # The model wrote it: Markdown and the editor draw text as it is, escapes and all.
            yield Markdown(plain(self.prd), id="prd-view")
        yield Footer()

    def action_edit(self) -> None:
        if self.editing:
            return
        self.editing = True
        self.query_one("#prd-view").display = False
        editor = TextArea(plain(self.prd), id="prd-editor", soft_wrap=True)
        self.query_one("#prd").mount(editor)
        editor.focus()

    async def action_save(self) -> None:
        if not self.editing:
            return
        editor = self.query_one("#prd-editor", TextArea)
        self.prd = editor.text
        await self.engine.save_prd(self.prd)
        await editor.remove()
        view = self.query_one("#prd-view", Markdown)
        await view.update(plain(self.prd))
        view.display = True
        self.editing = False
        self.notify("PRD saved")

    def action_close(self) -> None:
        if not self.editing:
            self.app.pop_screen()

    async def action_decompose(self) -> None:
        if self.editing:
            return
        self.notify("The lead agent is making the plan…")
        self.run_worker(self._decompose(), exclusive=True, exit_on_error=False)

    async def _decompose(self) -> None:
        try:
            await self.engine.make_plan(self.prd)
        except CommandRefused as exc:
            log.warning("decomposition failed: %s", exc)
            self.notify(plain(f"Could not make the plan: {exc}"), severity="error", timeout=15, markup=False)
            return
        self.app.show_review()
