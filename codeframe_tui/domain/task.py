"""The one Task type used everywhere, its status and agent type enums, and natural ordering."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import lru_cache
from typing import Any


class TaskStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    RUNNING = "running"
    REVIEW = "review"  # tests passed; the person accepts or rejects the diff (review gate)
    LANDING = "landing"  # accepted, in the merge queue: its agent's slot is free meanwhile
    DONE = "done"
    FAILED = "failed"
    BLOCKED = "blocked"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def is_terminal_bad(self) -> bool:
        """A dependent of a task in one of these states can never start."""
        return self in (TaskStatus.FAILED, TaskStatus.REJECTED, TaskStatus.CANCELLED)


class AgentType(StrEnum):
    BACKEND = "backend"
    FRONTEND = "frontend"
    TEST = "test"


_NUM = re.compile(r"(\d+)")


@lru_cache(maxsize=65_536)
def natural_key(key: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key so that '1.2' < '1.10' and 'T2' < 'T10'."""
    # Cached: every listing of a big plan sorts the same few thousand keys again.
    # Each part is tagged, so a number never meets a string in a comparison ("2" vs "T2").
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part.lower()) for part in _NUM.split(key) if part)


@dataclass(frozen=True)
class Task:
    """A unit of work. `key` is the stable, human id ("1.3"); `id` is the database row id."""

    id: int
    key: str
    title: str
    description: str
    agent_type: AgentType
    status: TaskStatus = TaskStatus.PROPOSED
    depends_on: tuple[str, ...] = ()
    issue_key: str = ""
    priority: str = "medium"
    acceptance: str = ""
    test_strategy: str = ""
    files: tuple[str, ...] = ()
    retries: int = 0
    reason: str = ""
    agent_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def with_status(self, status: TaskStatus, reason: str = "") -> Task:
        return replace(self, status=status, reason=reason)
