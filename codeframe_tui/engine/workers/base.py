"""The shared worker pipeline: context, model, apply changes, run tests, self-correct, block."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import ClassVar

from codeframe_tui.domain import AgentType, Task, TestRun, TestStatus, WorkerOutcome, WorkerResult
from codeframe_tui.engine.batching import Batcher
from codeframe_tui.engine.changes import ChangeError, apply_changes
from codeframe_tui.engine.context import EngineContext
from codeframe_tui.engine.events import (
    AgentStatusChanged,
    BlockerCreated,
    ChangesApplied,
    ChangesRejected,
    CorrectionAttempted,
    ModelCalled,
    ModelTextStreamed,
    TestOutput,
    TestResult,
    TestStarted,
)
from codeframe_tui.llm import prompts
from codeframe_tui.llm.client import ModelReply, ModelReplyError
from codeframe_tui.runner import run_tests
from codeframe_tui.store.repos import ModelCallRecord

log = logging.getLogger(__name__)


class WorkerAgent:
    """One agent. `execute_task` runs the whole pipeline for a task and returns what happened."""

    agent_type: ClassVar[AgentType]
    test_part: ClassVar[str]

    def __init__(self, agent_id: str, ctx: EngineContext) -> None:
        self.agent_id = agent_id
        self.ctx = ctx
        self.task_key: str | None = None

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
        try:
            return await self._pipeline(task)
        finally:
            self.task_key = None

    async def _pipeline(self, task: Task) -> WorkerResult:
        settings = self.ctx.settings
        command = self.ctx.test_command(self.test_part)
        command_text = " ".join(command.argv) if command else "(no test command found)"
        await self.set_step("reading the project")
        messages = [{"role": "user", "content": await self._first_prompt(task)}]
        system = prompts.system_prompt(self.agent_type, command_text)
        max_attempts = settings.max_corrections
        attempt = 0  # 0 is the first try; 1..max_attempts are corrections
        correction_id: int | None = None
        while True:
            step = "asking the model" if attempt == 0 else f"correcting ({attempt}/{max_attempts})"
            await self.set_step(step)
            try:
                reply = await self._ask(task, system, messages)
            except ModelReplyError as exc:
                if correction_id is not None:
                    await self._finish_correction(task, correction_id, attempt, max_attempts, False)
                return WorkerResult(WorkerOutcome.FAILED, reason=str(exc))
            messages.append({"role": "assistant", "content": reply.assistant_content})
            await self.set_step(f"applying {len(reply.change_set.changes)} file change(s)")
            try:
                applied = await apply_changes(reply.change_set, settings.project)
            except ChangeError as exc:
                await self.ctx.publish(ChangesRejected(task_id=task.key, agent_id=self.agent_id, reason=str(exc)))
                run = None
                feedback_reason = str(exc)
            else:
                await self.ctx.publish(ChangesApplied(
                    task_id=task.key, agent_id=self.agent_id,
                    files=applied.written + applied.deleted, summary=reply.change_set.summary,
                ))
                run = await self._run_tests(task, attempt)
                feedback_reason = ""
            passed = run is not None and self.tests_pass(run)
            if correction_id is not None:
                await self._finish_correction(task, correction_id, attempt, max_attempts, passed)
                correction_id = None
            if passed:
                reason = "no tests ran" if run.status == TestStatus.NO_TESTS else ""
                return WorkerResult(WorkerOutcome.DONE, reason=reason, test_run=run)
            if run is not None and not run.command:
                # No command to run: a correction cannot fix that, only a person can.
                return await self._ask_person(task, (
                    f"Task {task.key} '{task.title}' needs its tests to pass, but no test command was "
                    f"found for the {self.test_part} part. Set one under [tests] in .codeframe/config.toml."
                ), run)
            if attempt >= max_attempts:
                return await self._block(task, run, feedback_reason, max_attempts)
            attempt += 1
            failure = run.output if run is not None else feedback_reason
            correction_id = await self.ctx.store.start_correction(task.key, attempt, max_attempts, failure)
            await self.ctx.publish(CorrectionAttempted(
                task_id=task.key, attempt_number=attempt, max_attempts=max_attempts, status="started",
            ))
            text = (
                prompts.correction_prompt(run, attempt, max_attempts)
                if run is not None
                else prompts.rejected_changes_prompt(feedback_reason, attempt, max_attempts)
            )
            results = [{
                "type": "tool_result", "tool_use_id": reply.tool_use_id, "content": text,
                **({"is_error": True} if run is None else {}),
            }]
            results += [
                {"type": "tool_result", "tool_use_id": extra, "is_error": True,
                 "content": "Only the first submit_changes call of a turn is applied; this one was ignored."}
                for extra in reply.other_tool_use_ids
            ]
            messages.append({"role": "user", "content": results})

    async def _first_prompt(self, task: Task) -> str:
        store = self.ctx.store
        deps = [await store.get_task(k) for k in task.depends_on]
        notes = [prompts.DependencyNote(d.key, d.title) for d in deps]
        answers = [(b.question, b.answer) for b in await store.blockers(task.key) if b.answer]
        return prompts.task_prompt(task, notes, prompts.project_context(self.ctx.project, task.files), answers)

    async def _ask(self, task: Task, system: str, messages: list[dict]) -> ModelReply:
        batcher: Batcher[str] = Batcher(lambda parts: self.ctx.emit(ModelTextStreamed(
            task_id=task.key, agent_id=self.agent_id, text="".join(parts),
        )))
        try:
            reply = await self.ctx.model.submit_changes(system=system, messages=messages, on_text=batcher.add)
        except ModelReplyError as exc:
            await self._record_call(task, messages, exc.usage.input_tokens, exc.usage.output_tokens,
                                    0.0, exc.kind, str(exc))
            raise
        finally:
            batcher.flush()
        await self._record_call(task, messages, reply.usage.input_tokens, reply.usage.output_tokens,
                                reply.latency, reply.stop_reason, reply.change_set.summary)
        await self.ctx.publish(ModelCalled(
            task_id=task.key, agent_id=self.agent_id, model=reply.model,
            input_tokens=reply.usage.input_tokens, output_tokens=reply.usage.output_tokens,
            latency=reply.latency, stop_reason=reply.stop_reason,
        ))
        return reply

    async def _record_call(self, task: Task, messages: list[dict], tokens_in: int, tokens_out: int,
                           latency: float, stop_reason: str, answer: str) -> None:
        last = messages[-1]["content"]
        prompt = last if isinstance(last, str) else str(last[0].get("content", ""))
        await self.ctx.store.record_model_call(task.key, ModelCallRecord(
            model=self.ctx.settings.model, agent_id=self.agent_id, input_tokens=tokens_in,
            output_tokens=tokens_out, latency=latency, stop_reason=stop_reason,
            prompt_summary=prompt[:2000], answer_summary=answer[:2000],
            created_at=datetime.now(UTC).isoformat(),
        ))

    async def _run_tests(self, task: Task, attempt: int) -> TestRun:
        command = self.ctx.test_command(self.test_part)
        if command is None:
            run = TestRun(status=TestStatus.NO_TESTS, output="no test command configured or detected")
        else:
            await self.set_step("running tests")
            await self.ctx.publish(TestStarted(task_id=task.key, command=command.argv, attempt=attempt))
            batcher: Batcher[str] = Batcher(
                lambda lines: self.ctx.emit(TestOutput(task_id=task.key, lines=tuple(lines)))
            )
            try:
                run = await run_tests(command, timeout=self.ctx.settings.test_timeout, on_line=batcher.add)
            finally:
                batcher.flush()
        await self.ctx.store.add_test_run(task.key, attempt, run)
        await self.ctx.publish(TestResult(task_id=task.key, attempt=attempt, **run.as_dict()))
        return run

    async def _finish_correction(self, task: Task, correction_id: int, attempt: int, max_attempts: int,
                                 success: bool) -> None:
        await self.ctx.store.finish_correction(correction_id, success)
        await self.ctx.publish(CorrectionAttempted(
            task_id=task.key, attempt_number=attempt, max_attempts=max_attempts,
            status="success" if success else "failed",
        ))

    async def _block(self, task: Task, run: TestRun | None, rejected: str, max_attempts: int) -> WorkerResult:
        if run is not None:
            names = ", ".join(run.failing_tests[:5]) or "names not reported"
            what = f"its tests still fail ({run.status}: {run.failed} failed, {run.errors} errors; {names})"
        else:
            what = f"its changes are still rejected ({rejected})"
        question = (
            f"Task {task.key} '{task.title}': after {max_attempts} correction attempts {what}. "
            "How should the agent proceed?"
        )
        return await self._ask_person(task, question, run)

    async def _ask_person(self, task: Task, question: str, run: TestRun | None) -> WorkerResult:
        question = question[:2000]
        blocker = await self.ctx.store.create_blocker(task.key, question)
        await self.ctx.publish(BlockerCreated(blocker_id=blocker.id, task_id=task.key, question=question))
        return WorkerResult(WorkerOutcome.BLOCKED, reason=question, test_run=run, blocker_id=blocker.id)
