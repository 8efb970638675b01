"""Questions in flight: the futures agents await, who can answer now, and the lead agent's wake-up."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from codeframe_tui.domain import Blocker

Answerer = Callable[[Blocker], "str | None"]
"""Answers a blocker at once (a headless run's answers file), or returns None when it cannot."""


class BlockerExpiredError(Exception):
    """Set on an awaited answer whose blocker expired; the waiting worker fails its task with it."""


class Inbox:
    """The live side of blockers; the store keeps the durable side.

    A worker that asks a SYNC question awaits a future here. Its task is `blocked` and holds no
    concurrency slot (`waiting_tasks`), so the other agents keep working meanwhile.
    """

    def __init__(self, *, people_present: bool = False, answerer: Answerer | None = None) -> None:
        self.people_present = people_present  # someone at a screen may answer later
        self.answerer = answerer
        self.waiting_tasks: set[str] = set()
        self.resumed: dict[str, int] = {}  # task key -> the answered blocker it will start again with
        self._futures: dict[int, tuple[str, asyncio.Future[str]]] = {}
        self._wake = asyncio.Event()

    def register(self, blocker: Blocker) -> asyncio.Future[str]:
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._futures[blocker.id] = (blocker.task_key, future)
        self.waiting_tasks.add(blocker.task_key)
        self.wake()  # a slot is free now
        return future

    def unregister(self, blocker_id: int) -> None:
        entry = self._futures.pop(blocker_id, None)
        if entry is not None and not any(key == entry[0] for key, _ in self._futures.values()):
            self.waiting_tasks.discard(entry[0])

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
