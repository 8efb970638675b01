"""The lead agent's own model calls (planning, discovery), stored, priced and announced like a worker's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from codeframe_tui.domain.clock import now_text
from codeframe_tui.engine.events import ModelCalled
from codeframe_tui.store.repos import ModelCallRecord

if TYPE_CHECKING:
    from codeframe_tui.engine.context import EngineContext
    from codeframe_tui.llm.client import ToolCall


async def record_lead_call(ctx: EngineContext, call: ToolCall) -> None:
    """The lead's planning calls count like any worker's: stored, priced and announced."""
    usage = call.usage
    await ctx.store.record_model_call(None, ModelCallRecord(
        model=call.model, agent_id="lead", input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
        latency=call.latency, stop_reason=call.stop_reason, prompt_summary="(planning)", answer_summary=call.name,
        created_at=now_text(), cache_creation_tokens=usage.cache_creation_input_tokens,
        cache_read_tokens=usage.cache_read_input_tokens, run_id=ctx.run_id,
    ))
    await ctx.publish(ModelCalled(
        task_id="", agent_id="lead", model=call.model, input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens, cache_write_tokens=usage.cache_creation_input_tokens,
        cache_read_tokens=usage.cache_read_input_tokens, cost_usd=ctx.prices.cost(call.model, usage),
        latency=call.latency, stop_reason=call.stop_reason,
    ))
