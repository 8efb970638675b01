"""A task's detail: its description, status and reason, prompts and answers, test runs, attempts."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from codeframe_tui.store import Store
from codeframe_tui.ui.text import markup_safe, one_line


class TaskDetailScreen(ModalScreen[None]):
    CSS_PATH = Path(__file__).with_name("detail.tcss")
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("q", "dismiss", "Close", show=False),
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
    ]

    def __init__(self, store: Store, task_key: str) -> None:
        super().__init__()
        self.store = store
        self.task_key = task_key

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail") as scroll:
            scroll.border_title = f"Task {markup_safe(self.task_key)}"
            scroll.can_focus = True
            yield Static("Loading…", id="detail-body")
        yield Footer()

    async def on_mount(self) -> None:
        self.query_one("#detail").focus()
        self.query_one("#detail-body", Static).update(await self.render_detail())

    def action_scroll_down(self) -> None:
        self.query_one("#detail").scroll_down()

    def action_scroll_up(self) -> None:
        self.query_one("#detail").scroll_up()

    async def render_detail(self) -> str:
        s = self.store
        task = await s.get_task(self.task_key)
        out = [
            f"[b]{markup_safe(task.title)}[/b]",
            f"Status: [b]{task.status}[/b]   Agent: {markup_safe(task.agent_id or str(task.agent_type))}"
            f"   Retries: {task.retries}",
        ]
        if task.reason:
            out.append(f"Why: {markup_safe(task.reason)}")
        out.append(f"Depends on: {', '.join(task.depends_on) or 'nothing'}")
        if task.description:
            out += ["[b]Description[/b]", markup_safe(task.description)]
        calls = await s.model_calls(task.key)
        out.append(f"[b]Model calls ({len(calls)})[/b]")
        for i, call in enumerate(calls, 1):
            out.append(
                f"{i}. {markup_safe(call.model)} · {call.input_tokens} in / {call.output_tokens} out · "
                f"{call.latency:.1f}s · {markup_safe(call.stop_reason)}"
            )
            out.append(f"   asked: {markup_safe(one_line(call.prompt_summary, 160))}")
            out.append(f"   answer: {markup_safe(one_line(call.answer_summary, 160))}")
        runs = await s.test_runs(task.key)
        out.append(f"[b]Test runs ({len(runs)})[/b]")
        for attempt, run in runs:
            label = "first try" if attempt == 0 else f"correction {attempt}"
            names = f" · failing: {markup_safe(', '.join(run.failing_tests[:3]))}" if run.failing_tests else ""
            out.append(
                f"{label}: {run.status} · {run.passed} passed, {run.failed} failed, {run.errors} errors, "
                f"{run.skipped} skipped · {run.duration:.2f}s{names}"
            )
        corrections = await s.corrections(task.key)
        out.append(f"[b]Correction attempts ({len(corrections)})[/b]")
        for c in corrections:
            out.append(f"{c.attempt_number}/{c.max_attempts}: {c.status}")
        blockers = await s.blockers(task.key)
        if blockers:
            out.append(f"[b]Blockers ({len(blockers)})[/b]")
            for b in blockers:
                answer = f" → {markup_safe(b.answer)}" if b.answer else " (waiting for an answer)"
                out.append(f"#{b.id}: {markup_safe(b.question)}{answer}")
        return "\n".join(out)
