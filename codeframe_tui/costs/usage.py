"""Usage and cost totals per task, per agent and per run, read from the store and priced."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from codeframe_tui.costs.pricing import PriceTable
from codeframe_tui.domain import Usage
from codeframe_tui.store import Store

# (group, model, calls, input, output, cache write, cache read), as Store.usage_rows gives them.
UsageRow = tuple[str, str, int, int, int, int, int]


@dataclass(frozen=True)
class UsageTotals:
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    cost: float = 0.0  # of the priced models only
    unpriced: tuple[str, ...] = ()  # models with no price: their cost is unknown, not $0
    # What the caps compare: the cost, with every unpriced model's tokens at the dearest known price.
    # An unknown model never spends past a cap unseen.
    cap_cost: float = 0.0

    @property
    def cost_known(self) -> bool:
        return not self.unpriced

    @property
    def input_total(self) -> int:
        """Every input token, read from the cache or not."""
        return self.input_tokens + self.cache_write_tokens + self.cache_read_tokens

    @property
    def tokens(self) -> int:
        """Every token billed: input (cached or not) and output."""
        return self.input_total + self.output_tokens

    @property
    def cache_hit(self) -> float | None:
        """Share of input tokens read from the prompt cache (None before any input)."""
        return self.cache_read_tokens / self.input_total if self.input_total else None

    def cost_text(self) -> str:
        if not self.calls:
            return "$0.00"
        if self.unpriced:
            known = f" + ${self.cost:.2f}" if self.cost else ""
            return f"$? ({', '.join(self.unpriced)} unpriced){known}"
        return f"${self.cost:.2f}"

    def as_dict(self) -> dict[str, Any]:
        return {"calls": self.calls, "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "cache_write_tokens": self.cache_write_tokens, "cache_read_tokens": self.cache_read_tokens,
                "cache_hit": round(self.cache_hit, 4) if self.cache_hit is not None else None,
                "cost_usd": round(self.cost, 6) if self.cost_known else None, "unpriced_models": list(self.unpriced)}


def sum_rows(rows: Iterable[UsageRow], prices: PriceTable) -> UsageTotals:
    """Totals over usage rows (group, model, calls, input, output, cache write, cache read)."""
    calls = tin = tout = cw = cr = 0
    cost = bound = 0.0
    unpriced: list[str] = []
    for _, model, n, i, o, w, r in rows:
        calls, tin, tout, cw, cr = calls + n, tin + i, tout + o, cw + w, cr + r
        priced = prices.cost(model, Usage(i, o, w, r))
        if priced is None:
            if model not in unpriced:
                unpriced.append(model)
            bound += prices.dearest().cost(Usage(i, o, w, r))
        else:
            cost += priced
            bound += priced
    return UsageTotals(calls, tin, tout, cw, cr, cost, tuple(unpriced), bound)


async def totals(store: Store, prices: PriceTable, *, task_key: str | None = None,
                 run_id: int | None = None) -> UsageTotals:
    return sum_rows(await store.usage_rows(task_key=task_key, run_id=run_id), prices)


async def totals_by(store: Store, prices: PriceTable, by: str, *, run_id: int | None = None) -> dict[str, UsageTotals]:
    """Per task key (`by="task"`) or per agent id (`by="agent"`)."""
    rows = await store.usage_rows(by=by, run_id=run_id)
    groups: dict[str, list[UsageRow]] = {}
    for row in rows:
        groups.setdefault(row[0], []).append(row)
    return {key: sum_rows(group, prices) for key, group in groups.items()}
