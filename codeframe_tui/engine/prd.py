"""From an idea to a plan: the lead agent's discovery questions, the PRD it writes, and the plan
it decomposes the PRD into, stored through the engine and announced (`PlanAdded`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from codeframe_tui.domain.graph import PlanError
from codeframe_tui.engine.events import PlanAdded
from codeframe_tui.engine.refused import CommandRefused
from codeframe_tui.llm.client import ModelReplyError
from codeframe_tui.plan import planning
from codeframe_tui.plan.planning import QA, DecompositionError, Question
from codeframe_tui.store import StoreError

if TYPE_CHECKING:
    from codeframe_tui.engine.context import EngineContext
    from codeframe_tui.llm.client import ModelClient


class PrdCommands:
    """Mixed into `Engine`. A failure the person can act on comes back as the engine's refusal."""

    ctx: EngineContext
    model: ModelClient

    async def next_question(self, goal: str, answers: list[QA]) -> Question | None:
        """The lead agent's next discovery question, or None when it has enough to write the PRD."""
        return await planning.next_question(self.model, goal, answers)

    async def write_prd(self, goal: str, answers: list[QA]) -> str:
        """The PRD from the goal and the answers, saved as .codeframe/prd.md."""
        prd = await planning.write_prd(self.model, goal, answers)
        await self.save_prd(prd)
        return prd

    async def save_prd(self, markdown: str) -> None:
        """Save the PRD atomically: a crash leaves the old one or the new one."""
        planning.save_prd(self.ctx.project, markdown)

    async def make_plan(self, prd: str) -> int:
        """Decompose the PRD into issues and tasks, all proposed, stored in one transaction."""
        try:
            issues, tasks = await planning.decompose(self.model, prd)
            await self.ctx.store.add_plan(issues, tasks)
        except (ModelReplyError, DecompositionError, PlanError, StoreError) as exc:
            raise CommandRefused(str(exc)) from exc
        await self.ctx.publish(PlanAdded(source="prd", tasks=len(tasks), issues=len(issues)))
        return len(tasks)
