"""The shared worker pipeline: context, model, apply changes, run tests, self-correct, block."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from codeframe_tui.domain import (
    AgentType,
    Task,
    TestRun,
    TestStatus,
    Usage,
    WorkerOutcome,
    WorkerResult,
)
from codeframe_tui.engine import budget
from codeframe_tui.engine.asking import MAX_ENGINE_QUESTIONS, engine_questions
from codeframe_tui.engine.batching import Batcher
from codeframe_tui.engine.changes import ChangeError, apply_changes
from codeframe_tui.engine.context import EngineContext
from codeframe_tui.engine.events import (
    AgentStatusChanged,
    ChangesApplied,
    ChangesRejected,
    CorrectionAttempted,
    ModelCalled,
    ModelRetried,
    ModelTextStreamed,
    TestOutput,
    TestResult,
    TestStarted,
)
from codeframe_tui.engine.inbox import BlockerExpiredError
from codeframe_tui.engine.landing import run_suite
from codeframe_tui.engine.workers.asking import AskingMixin
from codeframe_tui.engine.workers.budget import BudgetMixin, BudgetStop
from codeframe_tui.engine.workspace import WorkspaceError
from codeframe_tui.llm import prompts
from codeframe_tui.llm.client import HumanQuestion, ModelReply, ModelReplyError
from codeframe_tui.runner import run_tests
from codeframe_tui.store.repos import ModelCallRecord
from codeframe_tui.vcs import GitError

log = logging.getLogger(__name__)


class WorkerAgent(AskingMixin, BudgetMixin):
    """One agent. `execute_task` runs the whole pipeline for a task and returns what happened."""

    agent_type: ClassVar[AgentType]
    test_part: ClassVar[str]

    def __init__(self, agent_id: str, ctx: EngineContext) -> None:
        self.agent_id = agent_id
        self.ctx = ctx
        self.task_key: str | None = None
        self.root = ctx.project  # where the current task works: its worktree, or the project
        self._unanswered: dict[int, str] = {}  # this attempt's ASYNC questions whose answer is still due

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
        await self.set_step("reading the project")
        messages: list[dict] = [{"role": "user", "content": await self._first_prompt(task, conflicts)}]
        system = prompts.system_prompt(self.agent_type, command_text)
        max_attempts = settings.max_corrections
        attempt = 0  # 0 is the first try; 1..max_attempts are corrections
        correction_id: int | None = None
        questions = 0
        self._unanswered = {}
        while True:
            step = "asking the model" if attempt == 0 else f"correcting ({attempt}/{max_attempts})"
            await self.set_step(step)
            try:
                reply = await self._ask(task, system, messages, may_ask=questions < settings.max_questions)
            except ModelReplyError as exc:
                if correction_id is not None:
                    await self._finish_correction(task, correction_id, attempt, max_attempts, False)
                return WorkerResult(WorkerOutcome.FAILED, reason=str(exc))
            except BudgetStop:
                if correction_id is not None:  # a cap stopped it: the correction did not happen
                    await self._finish_correction(task, correction_id, attempt, max_attempts, False)
                raise
            messages.append({"role": "assistant", "content": reply.assistant_content})
            if isinstance(reply, HumanQuestion):
                questions += 1
                blocker, text = await self._question(task, reply, settings.max_questions - questions)
                if text is None:
                    return WorkerResult(WorkerOutcome.BLOCKED, reason=reply.question, blocker_id=blocker.id)
                messages.append(await self._user_turn(reply, text))
                continue
            await self.set_step(f"applying {len(reply.change_set.changes)} file change(s)")
            try:
                applied = await apply_changes(reply.change_set, self.root, journal=self.ctx.journal_dir)
            except ChangeError as exc:
                await self.ctx.publish(ChangesRejected(task_id=task.key, agent_id=self.agent_id, reason=str(exc)))
                run = None
                feedback_reason = str(exc)
            else:
                await self.ctx.store.record_changes(task.key, applied.contents)
                await self.ctx.publish(ChangesApplied(
                    task_id=task.key, agent_id=self.agent_id,
                    files=applied.written + applied.deleted, summary=reply.change_set.summary,
                ))
                run = await self._run_tests(task, attempt)
                feedback_reason = ""
            if run is not None and not run.command:
                # No command to run: a correction cannot fix that, only a person can.
                answered, run = await self._ask_for_test_command(task, run, attempt)
                if not answered:
                    return WorkerResult(WorkerOutcome.BLOCKED, reason=run.output, test_run=run)
                if not run.command:
                    return WorkerResult(WorkerOutcome.FAILED, reason="still no test command after the answers",
                                        test_run=run, retryable=False)
            passed = run is not None and self.tests_pass(run)
            if passed and self.ctx.workspace is not None and self._suite_differs(run):
                # The agent's word is not enough: the tool reruns the full suite itself, in the worktree.
                # (When the agent's command is the full suite, the tool has just run exactly that.)
                await self.set_step("verifying: the full test suite")
                check = await run_suite(self.ctx, task, self.root, "verify")
                if not self.tests_pass(check):
                    run, passed = replace(check, output=prompts.VERIFY_FAILED + check.output), False
            if correction_id is not None:
                await self._finish_correction(task, correction_id, attempt, max_attempts, passed)
                correction_id = None
            if passed:
                reason = "no tests ran" if run.status == TestStatus.NO_TESTS else ""
                outcome = WorkerOutcome.REVIEW if settings.review == "review" else WorkerOutcome.DONE
                return WorkerResult(outcome, reason=reason, test_run=run)
            guidance: tuple[str, str] | None = None
            if attempt >= max_attempts:
                if await engine_questions(self.ctx, task.key) >= MAX_ENGINE_QUESTIONS:
                    return WorkerResult(WorkerOutcome.FAILED, test_run=run, retryable=False, reason=(
                        f"still failing after {MAX_ENGINE_QUESTIONS} questions to the person and their answers"
                    ))
                blocker, answer = await self._ask_person(task, self._stuck_question(task, run, feedback_reason))
                if answer is None:
                    return WorkerResult(WorkerOutcome.BLOCKED, reason=blocker.question, test_run=run,
                                        blocker_id=blocker.id)
                # The person's answer opens a fresh round of corrections, in the same conversation.
                attempt, guidance = 0, (blocker.question, answer)
            attempt += 1
            text = (
                prompts.correction_prompt(run, attempt, max_attempts)
                if run is not None
                else prompts.rejected_changes_prompt(feedback_reason, attempt, max_attempts)
            )
            if guidance is not None:
                text = prompts.answered_after_stuck(text, *guidance, max_attempts)
            failure = run.output if run is not None else feedback_reason
            correction_id = await self.ctx.store.start_correction(task.key, attempt, max_attempts, failure)
            await self.ctx.publish(CorrectionAttempted(
                task_id=task.key, attempt_number=attempt, max_attempts=max_attempts, status="started",
            ))
            messages.append(await self._user_turn(reply, text, is_error=run is None))

    def _suite_differs(self, run: TestRun) -> bool:
        def same(command) -> tuple:
            # Each built command names its own JUnit file; apart from that, is it the same command?
            junit = str(command.junit_path) if command.junit_path else None
            return tuple(a for a in command.argv if not (junit and junit in a)), command.description

        suite = self.ctx.test_command("test", self.root)
        mine = self.ctx.test_command(self.test_part, self.root)
        return suite is None or mine is None or not run.command or same(suite) != same(mine)

    async def _open_root(self, task: Task) -> tuple[Path, list[str]]:
        """The task's own worktree (with the base branch merged in again when it is reused, its
        conflicts left for the agent), or the project folder when worktrees are off."""
        workspace = self.ctx.workspace
        if workspace is None:
            return self.ctx.project, []
        await self.set_step("opening its worktree")
        path, made = await workspace.open_for(task.key)
        self.ctx.roots[task.key] = path
        if made:
            return path, []
        changed = [c.path for c in await self.ctx.store.task_changes(task.key)]
        return path, await workspace.refresh(path, changed)

    async def _first_prompt(self, task: Task, conflicts: list[str] = ()) -> str:
        store = self.ctx.store
        deps = [await store.get_task(k) for k in task.depends_on]
        notes = [prompts.DependencyNote(d.key, d.title) for d in deps]
        # A cap's question and its answer are for the person and the engine, not the model.
        answers = [(b.question, b.answer) for b in await store.blockers(task.key)
                   if b.answer and not (b.source or "").startswith(budget.SOURCE)]
        feedback = [r.feedback for r in await store.reviews(task.key) if r.decision == "rejected"]
        context = prompts.project_context(self.root, task.files, self.ctx.settings.secret_patterns)
        prompt = prompts.task_prompt(task, notes, context, answers, feedback)
        return prompt + (prompts.conflicts_note(conflicts) if conflicts else "")

    async def _ask(self, task: Task, system: str, messages: list[dict], *, may_ask: bool) -> ModelReply | HumanQuestion:
        batcher: Batcher[str] = Batcher(lambda parts: self.ctx.emit(ModelTextStreamed(
            task_id=task.key, agent_id=self.agent_id, text="".join(parts),
        )))
        await self._guard(task, messages)  # caps first: a call over a cap is never made
        model = self.ctx.settings.model_for(str(self.agent_type))
        try:
            reply = await self.ctx.model.work_step(system=system, messages=messages, on_text=batcher.add,
                                                   may_ask=may_ask, model=model,
                                                   on_retry=lambda *retry: self._announce_retry(task, *retry))
        except ModelReplyError as exc:
            # A failed call costs too (a truncated one most of all): stored and shown like any other.
            await self._record_call(task, messages, model, exc.usage, 0.0, exc.kind, str(exc))
            await self._announce_call(task, model, exc.usage, 0.0, exc.kind)
            raise
        finally:
            batcher.flush()
        said = reply.question if isinstance(reply, HumanQuestion) else reply.change_set.summary
        await self._record_call(task, messages, reply.model, reply.usage, reply.latency, reply.stop_reason, said)
        await self._announce_call(task, reply.model, reply.usage, reply.latency, reply.stop_reason)
        return reply

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

    async def _record_call(self, task: Task, messages: list[dict], model: str, usage: Usage, latency: float,
                           stop_reason: str, answer: str) -> None:
        last = messages[-1]["content"]
        prompt = last if isinstance(last, str) else str(last[0].get("content", ""))
        await self.ctx.store.record_model_call(task.key, ModelCallRecord(
            model=model, agent_id=self.agent_id, input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens, latency=latency, stop_reason=stop_reason,
            prompt_summary=prompt[:2000], answer_summary=answer[:2000],
            created_at=datetime.now(UTC).isoformat(), cache_creation_tokens=usage.cache_creation_input_tokens,
            cache_read_tokens=usage.cache_read_input_tokens, run_id=self.ctx.run_id,
        ))

    async def _run_tests(self, task: Task, attempt: int) -> TestRun:
        command = self.ctx.test_command(self.test_part, self.root)
        if command is None:
            run = TestRun(status=TestStatus.NO_TESTS, output="no test command configured or detected")
        else:
            await self.set_step("running tests")
            log = self.ctx.test_log(task.key, "agent")
            await self.ctx.publish(TestStarted(task_id=task.key, command=command.argv, attempt=attempt,
                                               log=str(log.relative_to(self.ctx.project))))
            batcher: Batcher[str] = Batcher(
                lambda lines: self.ctx.emit(TestOutput(task_id=task.key, lines=tuple(lines)))
            )
            try:
                run = await run_tests(command, timeout=self.ctx.settings.test_timeout, on_line=batcher.add,
                                      processes=self.ctx.processes, log_path=log)
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
