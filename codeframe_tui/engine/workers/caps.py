"""The worker's side of the caps: checked before every model call; a cap reached asks the person."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from typing import TYPE_CHECKING, Any

from codeframe_tui.costs import budget
from codeframe_tui.costs.budget import Reached
from codeframe_tui.costs.usage import totals
from codeframe_tui.domain import Blocker, BlockerKind, Task, WorkerOutcome, WorkerResult

if TYPE_CHECKING:
    from codeframe_tui.engine.context import EngineContext

LOOP_REPEATS = 3  # the same request this many times in a row is a loop


class BudgetStop(Exception):
    """The task stops here: a cap was reached and not raised (or nobody could be asked)."""

    def __init__(self, result: WorkerResult) -> None:
        super().__init__(result.reason)
        self.result = result


class BudgetMixin:
    """Mixed into WorkerAgent. State per execution of a task: start time, calls, recent requests."""

    ctx: EngineContext
    agent_id: str
    _budget_started = 0.0
    _budget_waited = 0.0
    _budget_calls = 0
    _cap_questions = 0
    _budget_recent: list[str] = []  # noqa: RUF012 (replaced, never mutated: see _guard)

    if TYPE_CHECKING:  # WorkerAgent's and AskingMixin's, declared for the type checker only
        async def set_step(self, step: str, *, busy: bool = True) -> None: ...
        async def _ask_person(self, task: Task, question: str, *, kind: BlockerKind = BlockerKind.SYNC,
                              source: str = "engine", yes_no: bool = False,
                              assumption: str = "") -> tuple[Blocker, str | None]: ...

    def _start_budget(self) -> None:
        self._budget_started = time.monotonic()
        self._budget_waited = 0.0  # time waiting for the person does not count against the time cap
        self._budget_calls = 0
        self._cap_questions = 0
        self._budget_recent: list[str] = []

    async def _guard(self, task: Task, messages: list[dict[str, Any]]) -> None:
        """Before a model call: the run's cap, the task's caps, the call count and the loop guard.
        Returns when the call may go ahead; raises BudgetStop when it may not."""
        await self._guard_run(task)
        current = await self.ctx.store.get_task(task.key)
        if current.extra.get("budget_declined"):
            raise BudgetStop(WorkerResult(WorkerOutcome.FAILED, retryable=False,
                                          reason=f"stopped at its {current.extra['budget_declined']} cap"))
        while (reached := await self._task_cap_reached(current)) is not None:
            await self._ask_cap(current, reached)
            current = await self.ctx.store.get_task(task.key)
        self._budget_recent = [*self._budget_recent[-(LOOP_REPEATS - 1):], _turn_signature(messages)]
        if len(messages) > 1 and len(self._budget_recent) == LOOP_REPEATS and len(set(self._budget_recent)) == 1:
            await self._ask_cap(current, budget.loop_question(current, LOOP_REPEATS))
            self._budget_recent = []
        self._budget_calls += 1

    async def _task_cap_reached(self, task: Task) -> Reached | None:
        caps = budget.task_caps(self.ctx.settings, task)
        used = await totals(self.ctx.store, self.ctx.prices, task_key=task.key)
        checks = [
            ("usd", used.cap_cost),  # an unpriced model's tokens at the dearest known price
            ("tokens", float(used.tokens)),
            ("minutes", (time.monotonic() - self._budget_started - self._budget_waited) / 60),
            ("calls", float(self._budget_calls)),
        ]
        for kind, value in checks:
            if caps[kind] > 0 and value >= caps[kind]:
                return budget.reached_question(task, kind, caps[kind], value)
        return None

    async def _guard_run(self, task: Task) -> None:
        """One question for the whole run. It is never awaited under a lock: the asking task gives
        its slot back while it waits, and the others wait on an event that the answer sets."""
        ctx = self.ctx
        while True:
            if ctx.run_declined:
                raise BudgetStop(WorkerResult(WorkerOutcome.FAILED, retryable=False,
                                              reason="the run's cost cap was reached and not raised"))
            cap = ctx.run_usd_cap
            if cap <= 0 or ctx.run_id is None:
                return
            spent = await totals(ctx.store, ctx.prices, run_id=ctx.run_id)
            if spent.cap_cost < cap:
                return
            pending = ctx.run_cap_pending
            if pending is not None and not pending.is_set():
                waited = time.monotonic()
                await pending.wait()
                self._budget_waited += time.monotonic() - waited
                continue
            ctx.run_cap_pending = asyncio.Event()
            try:
                await self._ask_cap(task, budget.reached_question(task, "run_usd", cap, spent.cap_cost, ctx.run_id))
            finally:
                ctx.run_cap_pending.set()
                ctx.run_cap_pending = None

    async def _ask_cap(self, task: Task, reached: Reached) -> None:
        await self.set_step(f"waiting: {reached.kind} cap")
        self._cap_questions += 1
        if self._cap_questions > budget.MAX_CAP_QUESTIONS:
            raise BudgetStop(WorkerResult(WorkerOutcome.FAILED, retryable=False, reason=(
                f"stopped at its {reached.kind} cap: {budget.MAX_CAP_QUESTIONS} answers did not lift it")))
        blocker, answer = await self._ask_person(
            task, reached.question, source=reached.source, yes_no=True)
        if answer is None:
            raise BudgetStop(WorkerResult(WorkerOutcome.BLOCKED, reason=reached.question, blocker_id=blocker.id))
        try:
            raised = budget.parse_raise(answer, reached.kind, reached.suggested)
        except budget.Unclear:
            return  # the cap is still reached: the caller asks again, saying so
        if raised is None:
            raise BudgetStop(WorkerResult(WorkerOutcome.FAILED, retryable=False,
                                          reason=f"stopped at its {reached.kind} cap: {answer[:200]}"))


def _turn_signature(messages: list[dict[str, Any]]) -> str:
    """The model's last answer (its tool inputs, exactly) and what it was told back (numbers left
    out: attempt counts and timings change every time). No ids: the API's are random."""
    answer = [b.get("input") for m in messages[-2:-1] for b in _blocks(m) if b.get("type") == "tool_use"]
    told = [_text(b) for m in messages[-1:] for b in _blocks(m)]
    feedback = re.sub(r"\d+", "#", json.dumps(told, sort_keys=True, default=str))
    return hashlib.sha256(json.dumps([answer, feedback], sort_keys=True, default=str).encode()).hexdigest()


def _blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])


def _text(block: dict[str, Any]) -> str:
    content = block.get("content", block.get("text", ""))
    if isinstance(content, list):
        return " ".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
    return str(content)
