"""The worker's side of talking to the person: its questions, late answers, and the engine's own questions."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict

from codeframe_tui.domain import MAX_QUESTION_CHARS, Blocker, BlockerKind, Task, TestRun
from codeframe_tui.engine.blockers import MAX_ENGINE_QUESTIONS, ask_person, engine_questions
from codeframe_tui.llm import prompts

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from codeframe_tui.engine.context import EngineContext


class QuestionFields(TypedDict):
    """An ask_human call's input, checked (`question_fields`)."""

    question: str
    blocking: bool
    yes_no: bool
    assumption: str


class AskingMixin:
    """Mixed into WorkerAgent; relies on its ctx, agent_id, task_key, test_part and helpers."""

    ctx: EngineContext
    agent_id: str
    task_key: str | None
    test_part: ClassVar[str]
    _unanswered: dict[int, str]
    _budget_waited: float  # seconds spent waiting for the person (BudgetMixin)

    if TYPE_CHECKING:  # WorkerAgent's own, declared for the type checker only
        async def set_step(self, step: str, *, busy: bool = True) -> None: ...
        async def _run_tests(self, task: Task, attempt: int, args: tuple[str, ...] = ()) -> TestRun: ...

    async def _question(self, task: Task, q: QuestionFields, left: int) -> tuple[Blocker, str | None]:
        """The model asked the person (`q`: llm.client.question_fields). SYNC: wait for the answer
        (None: nobody can answer in this run). ASYNC: go on with the stated assumption at once."""
        kind = BlockerKind.SYNC if q["blocking"] else BlockerKind.ASYNC
        await self.set_step("asking the person" if q["blocking"] else "noting a question, going on")
        blocker, answer = await self._ask_person(task, q["question"], kind=kind, source="model", yes_no=q["yes_no"],
                                                 assumption=q["assumption"])
        if kind == BlockerKind.ASYNC:
            self._unanswered[blocker.id] = q["question"]
            return blocker, prompts.went_on_with_assumption(q["assumption"], left)
        if answer is None:
            return blocker, None
        return blocker, prompts.person_answered(q["question"], answer, left)

    async def _late_answers(self) -> list[str]:
        if not self._unanswered or self.task_key is None:
            return []
        out = []
        for b in await self.ctx.store.blockers(self.task_key):
            if b.id in self._unanswered and b.answer is not None:
                out.append(prompts.late_answer(b.question, b.answer))
                del self._unanswered[b.id]
        return out

    async def _ask_for_test_command(self, task: Task, run: TestRun, attempt: int) -> tuple[bool, TestRun]:
        """Ask for a test command, then look it up again (the person may have set it in config)."""
        while await engine_questions(self.ctx, task.key) < MAX_ENGINE_QUESTIONS:
            question = (
                f"Task {task.key} '{task.title}' needs its tests to pass, but no test command was "
                f"found for the {self.test_part} part. Set one under [tests] in .codeframe/config.toml, "
                "then answer to run them."
            )
            _, answer = await self._ask_person(task, question)
            if answer is None:
                return False, replace(run, output=question)
            run = await self._run_tests(task, attempt)
            if run.command:
                break
        return True, run

    def _stuck_question(self, task: Task, run: TestRun | None, rejected: str) -> str:
        if run is not None:
            what = f"its tests still fail ({run.brief(5)})"
        else:
            what = f"its changes are still rejected ({rejected})"
        return (
            f"Task {task.key} '{task.title}': after {self.ctx.settings.max_corrections} correction attempts "
            f"{what}. How should the agent proceed?"
        )

    async def _ask_person(self, task: Task, question: str, *, kind: BlockerKind = BlockerKind.SYNC,
                          source: str = "engine", yes_no: bool = False,
                          assumption: str = "") -> tuple[Blocker, str | None]:
        current = await self.ctx.store.get_task(task.key)
        asked = time.monotonic()
        try:
            return await ask_person(self.ctx, current, question[:MAX_QUESTION_CHARS], agent_id=self.agent_id,
                                    kind=kind, source=source, yes_no=yes_no, assumption=assumption)
        finally:
            self._budget_waited += time.monotonic() - asked  # a person's time is not the task's


def question_fields(data: dict[str, Any]) -> QuestionFields:
    """Check an ask_human input (ValueError says what is wrong); an over-long question is cut, not
    refused (the person can still read it)."""
    question = data.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("ask_human needs a question")
    blocking = data.get("blocking", True)
    if not isinstance(blocking, bool):
        raise ValueError("ask_human 'blocking' must be true or false")
    assumption = data.get("assumption", "")
    question = question.strip()
    if len(question) > MAX_QUESTION_CHARS:
        log.warning("ask_human question of %d characters cut to %d", len(question), MAX_QUESTION_CHARS)
        question = question[: MAX_QUESTION_CHARS - 1] + "…"
    return {
        "question": question,
        "blocking": blocking,
        "yes_no": data.get("yes_no") is True,
        "assumption": assumption.strip()[:MAX_QUESTION_CHARS] if isinstance(assumption, str) else "",
    }
