"""The shared worker: a tool loop in the task's worktree, as an engineer works.

The first prompt holds the task and a repository map; then each turn is one streamed model call
whose tool calls (search, view, edit, run the tests, ask, finish) run in the worktree and answer in
the next user turn. Every turn is kept exactly as received. `finish` hands over to the engine's own
checks (workers/finishing.py); stop reasons are handled as the API documents them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from codeframe_tui.costs import budget
from codeframe_tui.domain import (
    AgentType,
    Task,
    TaskStatus,
    TestRun,
    TestStatus,
    Usage,
    WorkerOutcome,
    WorkerResult,
)
from codeframe_tui.domain.clock import now_text
from codeframe_tui.engine.batching import Batcher
from codeframe_tui.engine.context import EngineContext
from codeframe_tui.engine.events import (
    AgentStatusChanged,
    ModelCalled,
    ModelRetried,
    ModelTextStreamed,
    TestOutput,
    TestResult,
    TestStarted,
)
from codeframe_tui.engine.in_flight import BlockerExpiredError
from codeframe_tui.engine.repomap import repository_map
from codeframe_tui.engine.toolbox.editor import Editor
from codeframe_tui.engine.workers.asking import AskingMixin
from codeframe_tui.engine.workers.attempt import MAX_CUTS, MAX_NUDGES, MAX_PAUSES, Attempt
from codeframe_tui.engine.workers.caps import BudgetMixin, BudgetStop
from codeframe_tui.engine.workers.finishing import FinishingMixin
from codeframe_tui.engine.workers.tooling import Stop, ToolingMixin
from codeframe_tui.engine.workspace import WorkspaceError
from codeframe_tui.llm import prompts
from codeframe_tui.llm.client import ModelReplyError, Turn
from codeframe_tui.llm.models import output_tokens
from codeframe_tui.llm.tools import MAX_VIEW_CHARACTERS, worker_tools
from codeframe_tui.runner import run_tests
from codeframe_tui.runner.js.plan import is_workspace
from codeframe_tui.store.repos import ModelCallRecord
from codeframe_tui.vcs import Git, GitError

log = logging.getLogger(__name__)


class WorkerAgent(ToolingMixin, FinishingMixin, AskingMixin, BudgetMixin):
    """One agent. `execute_task` runs the whole pipeline for a task and returns what happened."""

    agent_type: ClassVar[AgentType]
    test_part: ClassVar[str]

    def __init__(self, agent_id: str, ctx: EngineContext) -> None:
        self.agent_id = agent_id
        self.ctx = ctx
        self.task_key: str | None = None
        self.root = ctx.project  # where the current task works: its worktree, or the project
        self._unanswered: dict[int, str] = {}  # this attempt's ASYNC questions whose answer is still due

    @property
    def _shell(self) -> bool:
        """The bash tool: only confined (bwrap), and only in a worktree: in place, a command would
        write the person's files past the change journal."""
        return self.ctx.executor.name != "none" and self.ctx.workspace is not None

    def tests_pass(self, run: TestRun) -> bool:
        # No tests is not a failure for code work: there is nothing to correct, and burning three
        # model calls on it (the ancestor's bug) helps no one. The result still records no_tests.
        return run.status in (TestStatus.PASSED, TestStatus.NO_TESTS)

    async def set_step(self, step: str, *, busy: bool = True) -> None:
        status = "busy" if busy else "idle"
        task = self.task_key if busy else None
        await self.ctx.store.save_agent(self.agent_id, str(self.agent_type), status, task, step)
        self.ctx.emit(AgentStatusChanged(
            agent_id=self.agent_id, agent_type=str(self.agent_type), status=status, task_id=task, step=step,
        ))

    async def execute_task(self, task: Task) -> WorkerResult:
        self.task_key = task.key
        self._start_budget()
        try:
            return await self._pipeline(task)
        except BudgetStop as exc:
            return exc.result
        except BlockerExpiredError as exc:
            # Nobody answered in time: another attempt would only ask again.
            return WorkerResult(WorkerOutcome.FAILED, reason=str(exc), retryable=False)
        finally:
            self.task_key = None

    async def _pipeline(self, task: Task) -> WorkerResult:
        settings = self.ctx.settings
        try:
            self.root, conflicts = await self._open_root(task)
        except (WorkspaceError, GitError) as exc:
            return WorkerResult(WorkerOutcome.FAILED, reason=f"could not prepare its worktree: {exc}")
        command = self.ctx.test_command(self.test_part, self.root)
        command_text = " ".join(command.argv) if command else "(no test command found)"
        await self.set_step("mapping the repository")
        model = settings.model_for(str(self.agent_type))
        attempt = Attempt(
            editor=Editor(self.root, self.ctx.journal_dir, settings.secret_patterns, MAX_VIEW_CHARACTERS,
                          on_write=lambda changes: self.ctx.store.record_changes(task.key, changes)),
            system=prompts.system_prompt(self.agent_type, command_text, settings.max_tool_calls,
                                         shell_timeout=settings.bash_timeout if self._shell else 0),
            tools=worker_tools(model, shell=self._shell), model=model,
        )
        attempt.add("user", await self._first_prompt(task, conflicts))
        self._unanswered = {}
        while True:
            try:
                turn = await self._turn(task, attempt)
            except ModelReplyError as exc:
                await self._close_correction(task, attempt, False)
                return WorkerResult(WorkerOutcome.FAILED, reason=str(exc))
            except BudgetStop:
                await self._close_correction(task, attempt, False)  # a cap stopped it mid-correction
                raise
            try:
                follow = await self._follow(task, attempt, turn)
            except Stop as stop:
                if stop.result.outcome not in (WorkerOutcome.DONE, WorkerOutcome.REVIEW):
                    await self._close_correction(task, attempt, False)
                return stop.result
            if follow is not None:
                attempt.add("user", follow)

    async def _follow(self, task: Task, attempt: Attempt, turn: Turn) -> list[dict[str, Any]] | str | None:
        """Keep the turn, then what the conversation needs next: tool results, a nudge, or nothing
        (pause_turn: the same conversation is sent again and the model goes on). Raises Stop."""
        stop, uses = turn.stop_reason, turn.tool_uses
        if stop == "max_tokens":
            # The docs: never run a call cut off at max_tokens. The turn is kept without its tool
            # calls (a cut tool_use cannot be sent back); its thinking and text stay exactly as sent.
            kept = [b for b in turn.content if b.get("type") != "tool_use"]
            attempt.add("assistant", kept or [{"type": "text", "text": "(answer cut off at the output limit)"}])
            attempt.cuts += 1
            if attempt.cuts > MAX_CUTS:
                raise Stop(WorkerResult(WorkerOutcome.FAILED, reason=(
                    f"the model's answer was cut at max_tokens {MAX_CUTS + 1} times in a row")))
            limit = output_tokens(attempt.model, self.ctx.settings.max_tokens)
            return prompts.cut_off(limit, [u.get("name", "") for u in uses]) + await self._late_text()
        attempt.add("assistant", turn.content or [{"type": "text", "text": "(empty answer)"}])
        attempt.cuts = 0
        if stop == "refusal":
            raise Stop(WorkerResult(WorkerOutcome.FAILED, reason=(
                "the model declined the task (stop_reason refusal); a retry starts a fresh conversation")))
        if stop == "model_context_window_exceeded":
            raise Stop(WorkerResult(WorkerOutcome.FAILED, reason=(
                "the conversation filled the model's context window; a retry starts a fresh conversation")))
        if stop == "pause_turn":
            attempt.pauses += 1
            if attempt.pauses > MAX_PAUSES:
                raise Stop(WorkerResult(WorkerOutcome.FAILED, reason=f"the model paused {MAX_PAUSES} times in a row"))
            return None  # the docs: send the paused turn back as it is, and the model resumes
        attempt.pauses = 0
        if not uses:
            attempt.nudges += 1
            if attempt.nudges > MAX_NUDGES:
                raise Stop(WorkerResult(WorkerOutcome.FAILED, reason=(
                    f"the model answered {MAX_NUDGES + 1} times in a row without calling a tool")))
            return prompts.NUDGE + await self._late_text()
        attempt.nudges = 0
        results = await self._answer_tools(task, attempt, uses)
        return results + [{"type": "text", "text": t} for t in await self._late_answers()]

    async def _late_text(self) -> str:
        return "".join("\n\n" + t for t in await self._late_answers())

    async def _open_root(self, task: Task) -> tuple[Path, list[str]]:
        """The task's own worktree (with the base branch merged in again when it is reused, its
        conflicts left for the agent), or the project folder when worktrees are off."""
        workspace = self.ctx.workspace
        if workspace is None:
            return self.ctx.project, []
        await self.set_step("opening its worktree")
        # Dependencies still in the merge queue: their committed work is merged in (it is on the
        # base once they land; the queue lands this task only behind them). Read before the
        # worktree is made from the base: read after, a dependency that landed in between was in
        # neither (seen once under load: 3.2 without 2.2's file). The base only moves forward, and
        # merging a branch that has landed since is a no-op (stack_on skips an ancestor or a gone branch).
        landing = [k for k in task.depends_on if (await self.ctx.store.get_task(k)).status == TaskStatus.LANDING]
        path, made = await workspace.open_for(task.key)
        self.ctx.roots[task.key] = path
        if made:
            return path, await workspace.stack_on(path, landing)
        await self._recover_shell_changes(task, path)
        changed = [c.path for c in await self.ctx.store.task_changes(task.key)]
        conflicts = await workspace.refresh(path, changed)
        return path, conflicts or await workspace.stack_on(path, landing)

    async def _first_prompt(self, task: Task, conflicts: Sequence[str] = ()) -> str:
        store = self.ctx.store
        deps = [await store.get_task(k) for k in task.depends_on]
        notes = [prompts.DependencyNote(d.key, d.title) for d in deps]
        # A cap's question and its answer are for the person and the engine, not the model.
        answers = [(b.question, b.answer) for b in await store.blockers(task.key)
                   if b.answer and not (b.source or "").startswith(budget.SOURCE)]
        feedback = [r.feedback for r in await store.reviews(task.key) if r.decision == "rejected"]
        if task.extra.get("landing_failure"):  # the merge queue's suite went red with this work
            feedback.append(f"Your last work could not land: {task.extra['landing_failure']}")
        repo_map = await repository_map(
            self.root, task.files, budget_tokens=self.ctx.settings.repo_map_tokens,
            secret_patterns=self.ctx.settings.secret_patterns,
            hints="\n".join(p for p in (task.title, task.description, task.acceptance) if p))
        prompt = prompts.task_prompt(task, notes, repo_map, answers, feedback)
        return prompt + (prompts.conflicts_note(conflicts) if conflicts else "")

    async def _turn(self, task: Task, attempt: Attempt) -> Turn:
        """One model call of the loop: the caps first (a call over a cap is never made), then the
        call, streamed to the Agents pane, recorded and announced whatever its outcome."""
        batcher: Batcher[str] = Batcher(lambda parts: self.ctx.emit(ModelTextStreamed(
            task_id=task.key, agent_id=self.agent_id, text="".join(parts),
        )))
        await self._guard(task, attempt.messages)
        if len(attempt.messages) == 1:  # later, the step keeps naming the last tool call while the model thinks
            await self.set_step("reading the task")
        try:
            turn = await self.ctx.model.turn(system=attempt.system, messages=attempt.messages, tools=attempt.tools,
                                             model=attempt.model, on_text=batcher.add,
                                             on_retry=lambda *retry: self._announce_retry(task, *retry))
        except ModelReplyError as exc:
            # A failed call costs too (a truncated one most of all): stored and shown like any other.
            await self._record_call(task, attempt.messages, attempt.model, exc.usage, 0.0, exc.kind, str(exc))
            await self._announce_call(task, attempt.model, exc.usage, 0.0, exc.kind)
            raise
        finally:
            batcher.flush()
        said = "; ".join(_said(b) for b in turn.content if b.get("type") in ("text", "tool_use"))
        await self._record_call(task, attempt.messages, turn.model, turn.usage, turn.latency, turn.stop_reason, said)
        await self._announce_call(task, turn.model, turn.usage, turn.latency, turn.stop_reason)
        return turn

    async def _announce_retry(self, task: Task, retry: int, of: int, wait: float, reason: str) -> None:
        await self.set_step(f"model call failed; retry {retry}/{of} in {wait:.1f}s")
        await self.ctx.publish(ModelRetried(task_id=task.key, agent_id=self.agent_id, retry=retry, of=of,
                                            wait=wait, reason=reason[:500]))

    async def _announce_call(self, task: Task, model: str, usage: Usage, latency: float, stop_reason: str) -> None:
        await self.ctx.publish(ModelCalled(
            task_id=task.key, agent_id=self.agent_id, model=model,
            input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
            cache_write_tokens=usage.cache_creation_input_tokens, cache_read_tokens=usage.cache_read_input_tokens,
            cost_usd=self.ctx.prices.cost(model, usage), latency=latency, stop_reason=stop_reason,
        ))

    async def _record_call(self, task: Task, messages: list[dict[str, Any]], model: str, usage: Usage, latency: float,
                           stop_reason: str, answer: str) -> None:
        last = messages[-1]["content"]
        prompt = last if isinstance(last, str) else " ".join(_said(b) for b in last)
        await self.ctx.store.record_model_call(task.key, ModelCallRecord(
            model=model, agent_id=self.agent_id, input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens, latency=latency, stop_reason=stop_reason,
            prompt_summary=prompt[:2000], answer_summary=answer[:2000],
            created_at=now_text(), cache_creation_tokens=usage.cache_creation_input_tokens,
            cache_read_tokens=usage.cache_read_input_tokens, run_id=self.ctx.run_id,
        ))

    async def _focus(self, task: Task) -> tuple[str, ...]:
        """The task's own files (planned, and changed so far), when the project is a JavaScript
        workspace: its tests run in the package those files belong to. Empty otherwise."""
        if not any(is_workspace(self.root / sub) for sub in ("frontend", "web", ".")):
            return ()
        changed: list[str] = []
        try:
            changed = await Git(self.root).dirty_files()
        except GitError as exc:  # not a repository (worktrees off): the planned files still say it
            log.debug("no changed files for %s: %s", task.key, exc)
        return tuple(dict.fromkeys([*task.files, *changed]))

    async def _run_tests(self, task: Task, attempt: int, args: tuple[str, ...] = ()) -> TestRun:
        """The task's test command (with `args`: narrowed to a file or a test id), streamed to the Test
        output pane and to its log, recorded, announced."""
        command = self.ctx.test_command(self.test_part, self.root, focus=await self._focus(task))
        if command is not None and args:
            command = command.narrowed(args)
        if command is None:
            run = TestRun(status=TestStatus.NO_TESTS, output="no test command configured or detected")
        else:
            short = " ".join(a.rsplit("/", 1)[-1] for a in args)
            await self.set_step(f"run_tests {short}"[:120] if args else "running tests")
            log = self.ctx.test_log(task.key, "agent")
            await self.ctx.publish(TestStarted(task_id=task.key, command=command.argv, attempt=attempt,
                                               log=str(log.relative_to(self.ctx.project))))
            batcher: Batcher[str] = Batcher(
                lambda lines: self.ctx.emit(TestOutput(task_id=task.key, lines=tuple(lines)))
            )
            try:
                run = await run_tests(command, timeout=self.ctx.settings.test_timeout, on_line=batcher.add,
                                      processes=self.ctx.processes, log_path=log, sandbox=self.ctx.confined(self.root))
            finally:
                batcher.flush()
        await self.ctx.store.add_test_run(task.key, attempt, run)
        await self.ctx.publish(TestResult(task_id=task.key, attempt=attempt, **run.as_dict()))
        return run


def _said(block: dict[str, Any]) -> str:
    """A block in a few words, for the stored call's summary."""
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text", ""))[:500]
    if kind == "tool_use":
        return f"{block.get('name')}({json.dumps(block.get('input'))[:300]})"
    if kind == "tool_result":
        content = block.get("content")
        return str(content if isinstance(content, str) else "")[:500]
    return ""
