"""Coalescing of high-rate streams (test lines, model deltas) into one event per short interval."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

FLUSH_INTERVAL = 0.04  # 40 ms: fast enough to look live, slow enough to spare the screen
MAX_BATCH = 500


class Batcher(Generic[T]):
    """Collects items and hands them to `flush` at most every FLUSH_INTERVAL, or when full.

    Runs on the loop's own timer (call_later), so it needs no task of its own.
    """

    def __init__(self, flush: Callable[[list[T]], None], interval: float = FLUSH_INTERVAL,
                 max_batch: int = MAX_BATCH) -> None:
        self._flush = flush
        self._interval = interval
        self._max = max_batch
        self._items: list[T] = []
        self._timer: asyncio.TimerHandle | None = None

    def add(self, item: T) -> None:
        self._items.append(item)
        if len(self._items) >= self._max:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._interval, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._items:
            items, self._items = self._items, []
            self._flush(items)
