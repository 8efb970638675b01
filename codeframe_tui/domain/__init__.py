"""Plain domain types shared by the engine, the store, the runner and the UI."""

from codeframe_tui.domain.plan import ImportRecord, NewTask
from codeframe_tui.domain.results import (
    MAX_ANSWER_CHARS,
    MAX_QUESTION_CHARS,
    Blocker,
    BlockerKind,
    CorrectionStatus,
    StepOutcome,
    TestRun,
    TestStatus,
    Usage,
    WorkerOutcome,
    WorkerResult,
)
from codeframe_tui.domain.task import AgentType, Task, TaskStatus, natural_key
from codeframe_tui.domain.transitions import IllegalTransition, can_transition, check_transition

__all__ = [
    "MAX_ANSWER_CHARS",
    "MAX_QUESTION_CHARS",
    "AgentType",
    "Blocker",
    "BlockerKind",
    "CorrectionStatus",
    "IllegalTransition",
    "ImportRecord",
    "NewTask",
    "Task",
    "TaskStatus",
    "StepOutcome",
    "TestRun",
    "TestStatus",
    "Usage",
    "WorkerOutcome",
    "WorkerResult",
    "can_transition",
    "check_transition",
    "natural_key",
]
