"""A task's detail: its description, status and reason, prompts and answers, test runs, attempts."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from codeframe_tui.engine.session import Engine
from codeframe_tui.ui.content import literal, one_line, plain
from codeframe_tui.ui.screens.log_view import latest_log, open_log
from codeframe_tui.ui.widgets.usage import tokens


class TaskDetailScreen(ModalScreen[None]):
    CSS_PATH = Path(__file__).with_name("detail.tcss")
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("q", "dismiss", "Close", show=False),
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
        Binding("o", "open_log", "Full test log"),
    ]

    def __init__(self, engine: Engine, task_key: str) -> None:
        super().__init__()
        self.engine = engine
        self.task_key = task_key

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail") as scroll:
            scroll.border_title = literal(f"Task {self.task_key}")
            scroll.can_focus = True
            yield Static("Loading…", id="detail-body")
        yield Footer()

    async def on_mount(self) -> None:
        self.query_one("#detail").focus()
        self.query_one("#detail-body", Static).update(await self.render_detail())

    def action_open_log(self) -> None:
        open_log(self.app, self.task_key, latest_log(self.engine.settings.project, self.task_key))

    def action_scroll_down(self) -> None:
        self.query_one("#detail").scroll_down()

    def action_scroll_up(self) -> None:
        self.query_one("#detail").scroll_up()

    async def render_detail(self) -> Text:
        """The body as styled Text built from plain strings: no untrusted text is parsed as markup."""
        project = self.engine.settings.project
        detail = await self.engine.task_detail(self.task_key)
        out = Text()
        if detail is None:
            return Text(plain(f"There is no task {self.task_key}."))
        task = detail.task

        def line(text: str = "", style: str = "") -> None:
            out.append(plain(text) + "\n", style=style)

        line(task.title, "bold")
        line(f"Status: {task.status}   Agent: {task.agent_id or task.agent_type}   Retries: {task.retries}")
        if task.reason:
            line(f"Why: {task.reason}")
        line(f"Depends on: {', '.join(task.depends_on) or 'nothing'}")
        for label, text in isolation_lines(task, project):
            line(f"{label}: {text}")
        if task.description:
            line("Description", "bold")
            line(task.description)
        calls, used = detail.calls, detail.usage
        hit = f" (cache {used.cache_hit:.0%})" if used.cache_hit is not None else ""
        line(f"Model calls ({len(calls)}) · in {tokens(used.input_total)}{hit} · out {tokens(used.output_tokens)}"
             f" · {used.cost_text()}", "bold")
        for i, call in enumerate(calls, 1):
            cached = f" (+{call.cache_read_tokens} cached)" if call.cache_read_tokens else ""
            line(f"{i}. {call.model} · {call.input_tokens}{cached} in / {call.output_tokens} out · "
                 f"{call.latency:.1f}s · {call.stop_reason}")
            line(f"   asked: {one_line(call.prompt_summary, 160)}", "dim")
            line(f"   answer: {one_line(call.answer_summary, 160)}", "dim")
        used_tools = detail.tools
        if used_tools:
            refused = sum(1 for t in used_tools if not t.get("ok", True))
            line(f"Tool calls ({len(used_tools)}{f', {refused} refused' if refused else ''})", "bold")
            for t in used_tools:
                why = "" if t.get("ok", True) else f" (refused: {one_line(str(t.get('note', '')), 100)})"
                line(f"{t.get('agent_id', '')}: {one_line(str(t.get('label', '')), 100)}{why}",
                     "" if t.get("ok", True) else "red")
        runs = detail.runs
        line(f"Test runs ({len(runs)})", "bold")
        if detail.latest_log is not None:
            line(f"The latest run's whole output: {detail.latest_log.relative_to(project)} (o opens it)", "dim")
        for attempt, run in runs:
            # landing.py records its own runs as attempts -1 (full-suite check) and -2 (after the merge).
            label = {0: "first try", -1: "full-suite check", -2: "after landing"}.get(attempt, f"correction {attempt}")
            names = f" · failing: {', '.join(run.failing_tests[:3])}" if run.failing_tests else ""
            style = "green" if run.status == "passed" else "red" if run.status in ("failed", "error", "timeout") else ""
            line(f"{label}: {run.status} · {run.passed} passed, {run.failed} failed, {run.errors} errors, "
                 f"{run.skipped} skipped · {run.duration:.2f}s{names}", style)
            if run.steps:  # a chained JavaScript test script: its steps, and what failed in them
                line("  " + " · ".join(step.short for step in run.steps), style)
                for problem in (p for step in run.steps for p in step.problems[:3]):
                    line(f"    {one_line(problem, 110)}", "red")
        corrections = detail.corrections
        line(f"Correction attempts ({len(corrections)})", "bold")
        for c in corrections:
            line(f"{c.attempt_number}/{c.max_attempts}: {c.status}")
        blockers = detail.blockers
        if blockers:
            line(f"Questions ({len(blockers)})", "bold")
            for b in blockers:
                who = b.agent_id or "the engine"
                line(f"#{b.id} {b.kind}, asked by {who}: {b.question}")
                if b.status == "resolved":
                    line(f"   answer: {b.answer}", "green")
                elif b.status == "expired":
                    line("   expired without an answer", "red")
                else:
                    line("   waiting for your answer (b opens the inbox)", "bold magenta")
                if b.assumption:
                    line(f"   assumed meanwhile: {b.assumption}", "dim")
        reviews = detail.reviews
        if reviews:
            line(f"Reviews ({len(reviews)})", "bold")
            for r in reviews:
                line(f"{r.decision}" + (f": {r.feedback}" if r.feedback else ""))
        out.rstrip()
        return out


def isolation_lines(task, project: Path | None) -> list[tuple[str, str]]:
    """Where the task works and what landed: its branch and worktree, its merge, its undo."""
    from codeframe_tui.engine.workspace import branch_for

    extra = task.extra if isinstance(task.extra, dict) else {}
    lines = []
    branch = branch_for(task.key)
    if project is not None:
        folder = project / ".codeframe" / "worktrees" / branch.removeprefix("codeframe/")
        if folder.is_dir():
            lines.append(("Worktree", f"{folder.relative_to(project)} on branch {branch}"))
    if extra.get("landed_commit"):
        batch = f", in the batch {extra['landed_batch']}" if extra.get("landed_batch") else ""
        lines.append(("Landed", f"{str(extra['landed_commit'])[:10]}, merged from {extra.get('branch', branch)}"
                                f"{batch}"))
    if extra.get("guilty_batch") and not extra.get("landed_commit"):
        lines.append(("Not landed", f"the merge queue's suite went red with it alone (after the batch "
                                    f"with it failed): {str(extra.get('landing_failure', ''))[:200]}"))
    if extra.get("undone_by"):
        lines.append(("Undone", f"by {str(extra['undone_by'])[:10]}"))
    return lines
