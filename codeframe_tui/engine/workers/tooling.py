"""The worker's tools at work: each tool_use executed in the task's worktree, answered by a bounded
tool_result, shown on the Agents pane and recorded as a `tool_used` event."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codeframe_tui.domain import Blocker, Task, TestRun, WorkerOutcome, WorkerResult
from codeframe_tui.engine.batching import Batcher
from codeframe_tui.engine.events import ChangesApplied, ChangesRejected, TestOutput, ToolUsed
from codeframe_tui.engine.toolbox import finder, shell, snapshot
from codeframe_tui.engine.toolbox.editor import ToolInputError
from codeframe_tui.engine.toolbox.files import secret_matcher
from codeframe_tui.engine.workers.asking import QuestionFields, question_fields
from codeframe_tui.engine.workers.attempt import GRACE_CALLS, Attempt
from codeframe_tui.engine.workers.caps import BudgetStop
from codeframe_tui.llm import prompts
from codeframe_tui.llm.tools import ASK_HUMAN, BASH, EDITOR, FINISH, LIST_FILES, RUN_TESTS, SEARCH

if TYPE_CHECKING:
    from codeframe_tui.engine.context import EngineContext

log = logging.getLogger(__name__)

MAX_TEST_ARGS = 20
MAX_RESULT_CHARS = 40_000  # no tool_result is larger: the view cap and the test tail keep well under


class Stop(BudgetStop):
    """The attempt ends here with this result (a finish that passed, a question nobody can answer):
    a stop like a cap's, raised from within the tools."""


class _Failed(Exception):  # noqa: N818 (a tool's outcome, not an error of ours)
    def __init__(self, text: str, label: str) -> None:
        super().__init__(label)
        self.text = text
        self.label = label


class ToolingMixin:
    """Mixed into WorkerAgent: `_answer_tools` runs one turn's tool calls in order."""

    ctx: EngineContext
    agent_id: str

    if TYPE_CHECKING:  # WorkerAgent's and the other mixins', declared for the type checker only
        async def set_step(self, step: str, *, busy: bool = True) -> None: ...
        async def _run_tests(self, task: Task, attempt: int, args: tuple[str, ...] = ()) -> TestRun: ...
        async def _finish(self, task: Task, attempt: Attempt, summary: str) -> str: ...
        async def _question(self, task: Task, q: QuestionFields, left: int) -> tuple[Blocker, str | None]: ...

    async def _answer_tools(self, task: Task, attempt: Attempt, uses: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The tool_result blocks for every tool_use of a turn (finish last); raises Stop."""
        ordered = [u for u in uses if u.get("name") != FINISH] + [u for u in uses if u.get("name") == FINISH]
        results: dict[str, dict[str, Any]] = {}
        for use in ordered:
            text, ok = await self._one_tool(task, attempt, use)
            if len(text) > MAX_RESULT_CHARS:
                text = text[:MAX_RESULT_CHARS] + f"\n[cut at {MAX_RESULT_CHARS} characters]"
            results[use["id"]] = {"type": "tool_result", "tool_use_id": use["id"], "content": text or "(empty)",
                                  **({} if ok else {"is_error": True})}
        return [results[u["id"]] for u in uses]  # in the order the model called them

    async def _one_tool(self, task: Task, attempt: Attempt, use: dict[str, Any]) -> tuple[str, bool]:
        name, data = use.get("name", ""), use.get("input")
        attempt.calls += 1
        limit = self.ctx.settings.max_tool_calls
        if not isinstance(data, dict):
            return await self._told(task, name, name, f"the input of {name} is not a JSON object", False)
        if attempt.calls > limit + GRACE_CALLS and name != FINISH:
            raise Stop(WorkerResult(WorkerOutcome.FAILED, reason=(
                f"used its {limit} tool calls and {GRACE_CALLS} more without finishing")))
        if attempt.calls > limit and name not in (FINISH, ASK_HUMAN):
            if attempt.calls > limit + GRACE_CALLS:
                raise Stop(WorkerResult(WorkerOutcome.FAILED, reason=(
                    f"used its {limit} tool calls and {GRACE_CALLS} more without finishing")))
            return await self._told(task, name, f"{name} (over the limit)", (
                f"The limit of {limit} tool calls for this attempt is reached: this call was not run. "
                "Call finish now (the tool checks your work), or ask_human if you are stuck."), False)
        left = limit - attempt.calls
        try:
            text, label = await self._dispatch(task, attempt, name, data)
        except _Failed as failed:  # ran, and failed (a command's non-zero exit): told as an error
            return await self._told(task, name, failed.label, failed.text, False)
        except ToolInputError as exc:
            if name == EDITOR and data.get("command") in ("create", "str_replace", "insert"):
                await self.ctx.publish(ChangesRejected(task_id=task.key, agent_id=self.agent_id,
                                                       reason=str(exc)[:500]))
            return await self._told(task, name, _label(name, data), f"Error: {exc}", False)
        except Stop:
            await self._tool_used(task, name, _label(name, data), True)  # a finish that passed, a question
            raise
        if left in (10, 3, 1) and name not in (FINISH, ASK_HUMAN):
            text += f"\n[{left} tool call(s) left in this attempt]"
        await self._tool_used(task, name, label, True)
        return text, True

    async def _dispatch(self, task: Task, attempt: Attempt, name: str, data: dict[str, Any]) -> tuple[str, str]:
        """(answer, label); ToolInputError for a call that is refused."""
        editor = attempt.editor
        if name == EDITOR:
            await self.set_step(_label(name, data, short=True))
            result = await editor.run(data)
            if result.applied is not None:  # recorded before it was written (Editor.on_write)
                await self.ctx.publish(ChangesApplied(task_id=task.key, agent_id=self.agent_id,
                                                      files=result.applied.written, summary=result.label))
            return result.text, result.label
        if name == SEARCH:
            await self.set_step(_label(name, data, short=True))
            return await finder.search(editor.root, data, editor.is_secret)
        if name == LIST_FILES:
            await self.set_step(_label(name, data, short=True))
            return await finder.list_files(editor.root, data, editor.is_secret)
        if name == RUN_TESTS:
            args = data.get("args", [])
            if not isinstance(args, list) or len(args) > MAX_TEST_ARGS \
                    or not all(isinstance(a, str) and 0 < len(a) <= 500 and "\x00" not in a for a in args):
                raise ToolInputError(f"args must be at most {MAX_TEST_ARGS} test files or test ids, as text")
            run = await self._run_tests(task, attempt.correction, tuple(args))
            if not run.command:
                raise ToolInputError("no test command is configured or detected for this project")
            return prompts.test_report(run), _label(name, data)
        if name == BASH and any(t.get("name") == BASH for t in attempt.tools):
            return await self._bash(task, attempt, data)
        if name == ASK_HUMAN:
            return await self._ask_tool(task, attempt, data), "ask_human"
        if name == FINISH:
            return await self._finish(task, attempt, str(data.get("summary", ""))), "finish"
        raise ToolInputError(f"there is no tool named {name!r}")

    async def _bash(self, task: Task, attempt: Attempt, data: dict[str, Any]) -> tuple[str, str]:
        """One command in the worktree, confined; what it changed there becomes the task's changes."""
        label, root = shell.label(data), attempt.editor.root
        command = shell.command_of(data)
        if command is None:
            return shell.RESTART, label
        await self.set_step(label[:120])
        before = await snapshot.snapshot(root)
        # Kept durably until the command's changes are recorded: after a kill -9 mid-command, the
        # next attempt's opening of the worktree records them from this tree (base.py).
        await self.ctx.store.set_extra(task.key, **{snapshot.PENDING: before})
        batcher: Batcher[str] = Batcher(lambda lines: self.ctx.emit(TestOutput(task_id=task.key, lines=tuple(lines))))
        try:
            text, ok = await shell.run_bash(command, root, sandbox=self.ctx.confined(root),
                                            seconds=self.ctx.settings.bash_timeout, on_line=batcher.add,
                                            processes=self.ctx.processes)
        finally:
            batcher.flush()
        found = await self._keep_shell_changes(task, root, before, attempt.editor.is_secret, label)
        text += shell.changes_note(sorted(found.contents), found.too_big)
        if not ok:
            raise _Failed(text, label)
        return text, label

    async def _keep_shell_changes(self, task: Task, root: Path, before: str, is_secret: Callable[[str], bool],
                                  label: str) -> snapshot.Found:
        """What a command changed since the tree `before`, recorded as the task's changes."""
        found = await snapshot.changed(root, before, await snapshot.snapshot(root), is_secret)
        if found.contents:
            await self.ctx.store.record_changes(task.key, found.contents)
            await self.ctx.publish(ChangesApplied(task_id=task.key, agent_id=self.agent_id,
                                                  files=tuple(sorted(found.contents)), summary=label))
        await self.ctx.store.set_extra(task.key, **{snapshot.PENDING: ""})
        return found

    async def _recover_shell_changes(self, task: Task, root: Path) -> None:
        """A bash command cut off by a stop (a quit, kill -9) left its changes in the worktree, unrecorded:
        recorded now from the tree taken before it, so that they land with the task."""
        pending = (await self.ctx.store.get_task(task.key)).extra.get(snapshot.PENDING)
        if not pending:
            return
        try:
            await self._keep_shell_changes(task, root, pending, secret_matcher(self.ctx.settings.secret_patterns),
                                           "a command cut off by the last stop")
        except snapshot.GitSnapshotError as exc:  # its tree is gone (pruned): nothing left to compare with
            log.warning("task %s: the changes of a command cut off are lost: %s", task.key, exc)
            await self.ctx.store.set_extra(task.key, **{snapshot.PENDING: ""})

    async def _ask_tool(self, task: Task, attempt: Attempt, data: dict[str, Any]) -> str:
        limit = self.ctx.settings.max_questions
        if attempt.questions >= limit:
            raise ToolInputError(f"you have asked the {limit} questions this attempt allows: decide yourself, "
                                 "choosing the most conventional option, and say so in your finish summary")
        try:
            question = question_fields(data)
        except ValueError as exc:
            raise ToolInputError(str(exc)) from exc
        attempt.questions += 1
        blocker, text = await self._question(task, question, limit - attempt.questions)
        if text is None:
            raise Stop(WorkerResult(WorkerOutcome.BLOCKED, reason=question["question"], blocker_id=blocker.id))
        return text

    async def _told(self, task: Task, name: str, label: str, text: str, ok: bool) -> tuple[str, bool]:
        await self._tool_used(task, name, label, ok, text)
        return text, ok

    async def _tool_used(self, task: Task, name: str, label: str, ok: bool, note: str = "") -> None:
        await self.ctx.publish(ToolUsed(task_id=task.key, agent_id=self.agent_id, tool=name, label=label[:200],
                                        ok=ok, note=note[:500]))


def _label(name: str, data: dict[str, Any], *, short: bool = False) -> str:
    """What a call does in a few words: `view more_itertools/more.py:120-180`, `search "def chunked"`.
    `short` names files without their folders, for the Agents pane's narrow step column."""
    path = str(data.get("path", ""))[:80]
    if short and "/" in path.rstrip("/"):
        path = path.rstrip("/").rsplit("/", 1)[-1]
    if name == EDITOR:
        command = data.get("command")
        if command == "view":
            span = data.get("view_range")
            where = f":{span[0]}-{span[1]}" if isinstance(span, list) and len(span) == 2 else ""
            return f"view {path or '.'}{where}"
        verb = {"str_replace": "edit", "create": "create", "insert": "insert"}.get(str(command), str(command)[:20])
        return f"{verb} {path}"
    if name == SEARCH:
        where = f" in {data['path']}" if isinstance(data.get("path"), str) and data.get("path") else ""
        return f'search "{str(data.get("pattern", ""))[:40]}"{where}'
    if name == LIST_FILES:
        return f"list_files {data.get('glob') or ''}".strip()
    if name == BASH:
        return shell.label(data)
    if name == RUN_TESTS:
        given = data.get("args")
        args = given if isinstance(given, list) else []
        return f"run_tests {' '.join(str(a) for a in args)[:80]}".strip()
    return name[:40]
