"""`finish`: the agent says it is done, and the engine checks for itself.

The task's own tests run, then the project's full suite in the worktree when that is a different
command. Green ends the attempt (review or done). Red goes back into the same conversation as
finish's tool_result, with the failure and the attempt number, up to max_corrections; then the
person is asked, and their answer opens a fresh round.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from codeframe_tui.domain import Blocker, BlockerKind, Task, TestRun, TestStatus, WorkerOutcome, WorkerResult
from codeframe_tui.engine.blockers import MAX_ENGINE_QUESTIONS, engine_questions
from codeframe_tui.engine.events import CorrectionAttempted
from codeframe_tui.engine.suite import run_suite
from codeframe_tui.engine.workers.attempt import Attempt
from codeframe_tui.engine.workers.tooling import Stop
from codeframe_tui.llm import prompts

if TYPE_CHECKING:
    from codeframe_tui.engine.context import EngineContext
    from codeframe_tui.runner import TestCommand


class FinishingMixin:
    """Mixed into WorkerAgent, after ToolingMixin and before AskingMixin."""

    ctx: EngineContext
    root: Path
    test_part: ClassVar[str]

    if TYPE_CHECKING:  # WorkerAgent's and AskingMixin's, declared for the type checker only
        def tests_pass(self, run: TestRun) -> bool: ...
        async def set_step(self, step: str, *, busy: bool = True) -> None: ...
        async def _run_tests(self, task: Task, attempt: int, args: tuple[str, ...] = ()) -> TestRun: ...
        async def _ask_for_test_command(self, task: Task, run: TestRun, attempt: int) -> tuple[bool, TestRun]: ...
        def _stuck_question(self, task: Task, run: TestRun | None, rejected: str) -> str: ...
        async def _ask_person(self, task: Task, question: str, *, kind: BlockerKind = BlockerKind.SYNC,
                              source: str = "engine", yes_no: bool = False,
                              assumption: str = "") -> tuple[Blocker, str | None]: ...

    async def _finish(self, task: Task, attempt: Attempt, summary: str) -> str:
        """finish's answer when the checks fail; raises Stop when they pass (or the task must wait).
        The summary is the agent's word, recorded with the call; the tests decide."""
        settings = self.ctx.settings
        await self.set_step("checking: the task's tests")
        run = await self._run_tests(task, attempt.correction)
        if not run.command:
            # No command to run: a correction cannot fix that, only a person can.
            answered, run = await self._ask_for_test_command(task, run, attempt.correction)
            if not answered:
                raise Stop(WorkerResult(WorkerOutcome.BLOCKED, reason=run.output, test_run=run))
            if not run.command:
                raise Stop(WorkerResult(WorkerOutcome.FAILED, reason="still no test command after the answers",
                                        test_run=run, retryable=False))
        passed = self.tests_pass(run)
        if passed and self.ctx.workspace is not None and self._suite_differs(run):
            # The agent's word is not enough: the tool reruns the full suite itself, in the worktree.
            await self.set_step("verifying: the full test suite")
            check = await run_suite(self.ctx, (task.key,), self.root, "verify")
            if not self.tests_pass(check):
                run, passed = replace(check, output=prompts.VERIFY_FAILED + check.output), False
        await self._close_correction(task, attempt, passed)
        if passed:
            reason = "no tests ran" if run.status == TestStatus.NO_TESTS else ""
            outcome = WorkerOutcome.REVIEW if settings.review == "review" else WorkerOutcome.DONE
            raise Stop(WorkerResult(outcome, reason=reason, test_run=run))
        return await self._correct(task, attempt, run)

    async def _correct(self, task: Task, attempt: Attempt, run: TestRun) -> str:
        max_attempts = self.ctx.settings.max_corrections
        guidance: tuple[str, str] | None = None
        if attempt.correction >= max_attempts:
            if await engine_questions(self.ctx, task.key) >= MAX_ENGINE_QUESTIONS:
                raise Stop(WorkerResult(WorkerOutcome.FAILED, test_run=run, retryable=False, reason=(
                    f"still failing after {MAX_ENGINE_QUESTIONS} questions to the person and their answers")))
            blocker, answer = await self._ask_person(task, self._stuck_question(task, run, ""))
            if answer is None:
                raise Stop(WorkerResult(WorkerOutcome.BLOCKED, reason=blocker.question, test_run=run,
                                        blocker_id=blocker.id))
            # The person's answer opens a fresh round of corrections, in the same conversation.
            attempt.correction, guidance = 0, (blocker.question, answer)
        attempt.correction += 1
        attempt.calls = 0  # a fresh allowance of tool calls for the round
        text = prompts.correction_prompt(run, attempt.correction, max_attempts)
        if guidance is not None:
            text = prompts.answered_after_stuck(text, *guidance, max_attempts)
        attempt.correction_id = await self.ctx.store.start_correction(task.key, attempt.correction, max_attempts,
                                                                      run.output)
        await self.ctx.publish(CorrectionAttempted(
            task_id=task.key, attempt_number=attempt.correction, max_attempts=max_attempts, status="started",
        ))
        await self.set_step(f"correcting ({attempt.correction}/{max_attempts})")
        return text

    async def _close_correction(self, task: Task, attempt: Attempt, success: bool) -> None:
        """The correction in progress, if any, ends: it worked or it did not."""
        if attempt.correction_id is None:
            return
        await self.ctx.store.finish_correction(attempt.correction_id, success)
        attempt.correction_id = None
        await self.ctx.publish(CorrectionAttempted(
            task_id=task.key, attempt_number=attempt.correction, max_attempts=self.ctx.settings.max_corrections,
            status="success" if success else "failed",
        ))

    def _suite_differs(self, run: TestRun) -> bool:
        def same(command: TestCommand) -> tuple[tuple[str, ...], str]:
            # Each built command names its own JUnit file; apart from that, is it the same command?
            junit = str(command.junit_path) if command.junit_path else None
            return tuple(a for a in command.argv if not (junit and junit in a)), command.description

        suite = self.ctx.test_command("test", self.root)
        mine = self.ctx.test_command(self.test_part, self.root)
        return suite is None or mine is None or not run.command or same(suite) != same(mine)
