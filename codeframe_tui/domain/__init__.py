"""Plain domain types shared by the engine, the store, the runner and the UI."""

from codeframe_tui.domain.results import (
    Blocker,
    CorrectionStatus,
    TestRun,
    TestStatus,
    Usage,
    WorkerOutcome,
    WorkerResult,
)
from codeframe_tui.domain.task import AgentType, Task, TaskStatus, natural_key
from codeframe_tui.domain.transitions import IllegalTransition, can_transition, check_transition

__all__ = [
    "AgentType",
    "Blocker",
    "CorrectionStatus",
    "IllegalTransition",
    "Task",
    "TaskStatus",
    "TestRun",
    "TestStatus",
    "Usage",
    "WorkerOutcome",
    "WorkerResult",
    "can_transition",
    "check_transition",
    "natural_key",
]
