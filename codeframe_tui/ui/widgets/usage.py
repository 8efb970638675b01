"""The usage line: the run's tokens in and out, cache hits, spend so far and elapsed, with a sparkline."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Sparkline, Static

from codeframe_tui.engine.events import ModelCalled

BUCKET_SECONDS = 10  # each bar of the sparkline is the spend of this many seconds


def tokens(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    return f"{n / 1000:.1f}k" if n >= 1000 else str(n)


class UsageBar(Horizontal):
    """Fed by model_called events; the numbers are this run's, as the engine reported them."""

    DEFAULT_CSS = """
    UsageBar { height: 1; padding: 0 1; background: $boost; }
    UsageBar > #usage-text { width: 1fr; }
    UsageBar > Sparkline { width: 24; margin-left: 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.started: datetime | None = None
        self.last: datetime | None = None
        self.calls = self.input = self.output = self.cache_write = self.cache_read = 0
        self.cost = 0.0
        self.unpriced: set[str] = set()
        self.buckets: list[float] = []

    def compose(self) -> ComposeResult:
        yield Static("no model calls yet", id="usage-text")
        yield Sparkline([], id="spend")

    def start(self, when: datetime) -> None:
        self.started = self.last = when
        self.calls = self.input = self.output = self.cache_write = self.cache_read = 0
        self.cost, self.unpriced, self.buckets = 0.0, set(), []
        self._show()

    def record(self, event: ModelCalled) -> None:
        if self.started is None:
            self.started = event.ts
        self.last = event.ts
        self.calls += 1
        self.input += event.input_tokens
        self.output += event.output_tokens
        self.cache_write += event.cache_write_tokens
        self.cache_read += event.cache_read_tokens
        # Clamped: a wall clock stepped back must not index before the first bucket.
        bucket = max(0, int((event.ts - self.started).total_seconds() // BUCKET_SECONDS))
        self.buckets += [0.0] * (bucket + 1 - len(self.buckets))
        if event.cost_usd is None:
            self.unpriced.add(event.model)
        else:
            self.cost += event.cost_usd
            self.buckets[bucket] += event.cost_usd
        self._show()

    def text(self) -> str:
        if not self.calls:
            return "no model calls yet"
        inputs = self.input + self.cache_write + self.cache_read
        hit = f"{100 * self.cache_read / inputs:.0f}%" if inputs else "–"
        cost = f"${self.cost:.2f}" + ("+?" if self.unpriced else "") if self.cost or not self.unpriced else "$?"
        seconds = max(0, int((self.last - self.started).total_seconds())) if self.started and self.last else 0
        return (f"in {tokens(inputs)} · out {tokens(self.output)} · cache {hit} · {cost} · "
                f"{seconds // 60}:{seconds % 60:02d}")

    def _show(self) -> None:
        if not self.is_mounted:
            return
        # One line of fixed width: a new text never changes the layout, so none is asked for.
        self.query_one("#usage-text", Static).update(self.text(), layout=False)
        # From zero: a single bucket would otherwise draw as one full-height block.
        self.query_one(Sparkline).data = [0.0, *self.buckets]
