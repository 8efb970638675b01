"""Questions in flight: the futures agents await, who can answer now, and the lead agent's wake-up."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from codeframe_tui.domain import Blocker

Answerer = Callable[[Blocker], "str | None"]
"""Answers a blocker at once (a headless run's answers file), or returns None when it cannot."""


class BlockerExpiredError(Exception):
    """Set on an awaited answer whose blocker expired; the waiting worker fails its task with it."""


class Slots:
    """The `max_concurrent` working slots. The lead agent takes one to start a task and gives it
    back when the task's worker ends; a worker gives its slot up while it waits for the person and
    takes one again, before any new task starts, when the answer comes."""

    def __init__(self, limit: int = 1) -> None:
        self.limit = limit
        self.holders: set[str] = set()
        self._resuming = 0
        self._changed = asyncio.Event()

    def free(self) -> int:
        return self.limit - len(self.holders) - self._resuming

    def take(self, key: str) -> None:
        self.holders.add(key)

    def give(self, key: str) -> None:
        self.holders.discard(key)
        self._changed.set()

    async def retake(self, key: str) -> None:
        self._resuming += 1  # counted as taken, so the lead starts nothing new meanwhile
        try:
            while len(self.holders) >= self.limit:
                self._changed.clear()
                await self._changed.wait()
            self.holders.add(key)
        finally:
            self._resuming -= 1


class Inbox:
    """The live side of blockers; the store keeps the durable side.

    A worker that asks a SYNC question awaits a future here. Its task is `blocked` and gives up its
    slot, so the other agents keep working meanwhile.
    """

    def __init__(self, *, people_present: bool = False, answerer: Answerer | None = None) -> None:
        self.people_present = people_present  # someone at a screen may answer later
        self.answerer = answerer
        self.slots = Slots()
        self.resumed: dict[str, int] = {}  # task key -> the answered blocker it will start again with
        self._futures: dict[int, tuple[str, asyncio.Future[str]]] = {}
        self._wake = asyncio.Event()

    def register(self, blocker: Blocker) -> asyncio.Future[str]:
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._futures[blocker.id] = (blocker.task_key, future)
        self.slots.give(blocker.task_key)
        self.wake()  # a slot is free now
        return future

    def unregister(self, blocker_id: int) -> None:
        self._futures.pop(blocker_id, None)

    def is_live(self, blocker_id: int) -> bool:
        entry = self._futures.get(blocker_id)
        return entry is not None and not entry[1].done()

    def deliver(self, blocker_id: int, answer: str) -> bool:
        """Hand the answer to the worker awaiting it; False when no worker is waiting for it."""
        if not self.is_live(blocker_id):
            return False
        self._futures[blocker_id][1].set_result(answer)
        return True

    def expire(self, blocker_id: int, reason: str) -> bool:
        if not self.is_live(blocker_id):
            return False
        self._futures[blocker_id][1].set_exception(BlockerExpiredError(reason))
        return True

    def wake(self) -> None:
        self._wake.set()

    def clear_wake(self) -> None:
        self._wake.clear()

    async def woken(self) -> None:
        await self._wake.wait()
