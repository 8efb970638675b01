"""A plan as it arrives, before the store gives its tasks rows: from an import, the PRD's
decomposition, the demo or the person's new-task form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from codeframe_tui.domain.task import AgentType, TaskStatus


@dataclass(frozen=True)
class NewTask:
    """A task as a plan describes it, before it has a row."""

    key: str
    title: str
    agent_type: AgentType
    description: str = ""
    depends_on: tuple[str, ...] = ()
    issue_key: str = ""
    priority: str = "medium"
    acceptance: str = ""
    test_strategy: str = ""
    files: tuple[str, ...] = ()
    status: TaskStatus = TaskStatus.PROPOSED
    reason: str = ""  # why a task starts in its status (an imported plan's `[SKIP]`)
    # Whatever the source had that has no column of its own (story tags, details, unknown fields):
    # kept as JSON on the task, never dropped.
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class ImportRecord:
    """One plan import: where from, its warnings (dicts: line, task, what, text, message) and the
    checklists it kept as acceptance notes."""

    source: str
    format: str
    warnings: tuple[dict[str, Any], ...] = ()
    acceptance: str = ""
    created_at: str = ""
