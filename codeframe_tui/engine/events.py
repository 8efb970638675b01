"""Every fact the engine broadcasts, as frozen dataclasses with past-tense names.

Each event has a `type` (the snake_case name used in the headless JSON contract) and a `ts`.
`to_json_dict()` gives the JSON-lines form; `Event.high_rate` marks streams the sink may coalesce.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from codeframe_tui.domain.clock import now


@dataclass(frozen=True, kw_only=True)
class Event:
    type: ClassVar[str] = "event"
    high_rate: ClassVar[bool] = False
    ts: datetime = field(default_factory=now)

    def to_json_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "ts": self.ts.isoformat()}
        for f in dataclasses.fields(self):
            if f.name == "ts":
                continue
            out[f.name] = _jsonable(getattr(self, f.name))
        return out


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, str):
        return str(value)  # StrEnum -> plain str
    return value


@dataclass(frozen=True)
class TaskInfo:
    task_id: str
    title: str
    agent_type: str
    depends_on: tuple[str, ...]
    status: str


@dataclass(frozen=True, kw_only=True)
class PlanAdded(Event):
    """A plan was stored through the engine (from the PRD's decomposition), every task proposed."""

    type: ClassVar[str] = "plan_added"
    source: str  # "prd"
    tasks: int
    issues: int


@dataclass(frozen=True, kw_only=True)
class RunStarted(Event):
    type: ClassVar[str] = "run_started"
    project: str
    tasks: tuple[TaskInfo, ...]
    model: str = ""
    offline: bool = False
    # Where test commands run: "bwrap · no network", "none", or "sandbox off: why" when `auto` fell back.
    sandbox: str = ""


@dataclass(frozen=True, kw_only=True)
class TaskStatusChanged(Event):
    type: ClassVar[str] = "task_status_changed"
    task_id: str
    title: str
    status: str
    agent_id: str | None
    previous: str = ""
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class TaskHeld(Event):
    """An approved task cannot start because a dependency failed, was rejected or cancelled."""

    type: ClassVar[str] = "task_held"
    task_id: str
    reason: str
    blocked_by: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class TaskReleased(Event):
    """A held task can start again: the dependency that held it was answered and queued again."""

    type: ClassVar[str] = "task_released"
    task_id: str


@dataclass(frozen=True, kw_only=True)
class AgentStatusChanged(Event):
    type: ClassVar[str] = "agent_status_changed"
    agent_id: str
    agent_type: str
    status: str  # idle | busy
    task_id: str | None
    step: str = ""


@dataclass(frozen=True, kw_only=True)
class ModelCalled(Event):
    type: ClassVar[str] = "model_called"
    task_id: str
    agent_id: str
    model: str
    input_tokens: int
    output_tokens: int
    latency: float
    stop_reason: str
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float | None = None  # None: the model has no price (unknown, not free)


@dataclass(frozen=True, kw_only=True)
class ModelRetried(Event):
    """A model call failed in a way worth another try (overloaded, rate limited, dropped...): the
    backoff before retry `retry` of `of`, and why."""

    type: ClassVar[str] = "model_retried"
    task_id: str
    agent_id: str
    retry: int
    of: int
    wait: float
    reason: str


@dataclass(frozen=True, kw_only=True)
class ModelTextStreamed(Event):
    """A coalesced batch of streamed model output for the activity pane."""

    type: ClassVar[str] = "model_text_streamed"
    high_rate: ClassVar[bool] = True
    task_id: str
    agent_id: str
    text: str


@dataclass(frozen=True, kw_only=True)
class ChangesApplied(Event):
    type: ClassVar[str] = "changes_applied"
    task_id: str
    agent_id: str
    files: tuple[str, ...]
    summary: str


@dataclass(frozen=True, kw_only=True)
class ChangesRejected(Event):
    type: ClassVar[str] = "changes_rejected"
    task_id: str
    agent_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class ToolUsed(Event):
    """A worker's tool call, executed: `label` is what it did in a few words (`view more.py:120-180`,
    `search "def chunked"`, `edit more.py:151`), `ok` false when the call was refused or failed."""

    type: ClassVar[str] = "tool_used"
    task_id: str
    agent_id: str
    tool: str
    label: str
    ok: bool = True
    note: str = ""  # for a refused call: why, in the words the model was told


@dataclass(frozen=True, kw_only=True)
class TestStarted(Event):
    __test__ = False
    type: ClassVar[str] = "test_started"
    task_id: str
    command: tuple[str, ...]
    attempt: int
    purpose: str = "agent"  # agent: the worker's own run; verify: the tool's rerun; merge: after landing
    log: str = ""  # where the run's whole output is written, relative to the project (runner.logfile)


@dataclass(frozen=True, kw_only=True)
class TestOutput(Event):
    """A coalesced batch of test-output lines (sent every few tens of ms, never per line)."""

    __test__ = False
    type: ClassVar[str] = "test_output"
    high_rate: ClassVar[bool] = True
    task_id: str
    lines: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class TestResult(Event):
    __test__ = False
    type: ClassVar[str] = "test_result"
    task_id: str
    status: str
    total: int
    passed: int
    failed: int
    errors: int
    skipped: int
    duration: float
    attempt: int = 0
    purpose: str = "agent"
    steps: tuple[str, ...] = ()  # a chained script's steps: "lint ✗", "vitest 23/23"


@dataclass(frozen=True, kw_only=True)
class CorrectionAttempted(Event):
    type: ClassVar[str] = "correction_attempt"
    task_id: str
    attempt_number: int
    max_attempts: int
    status: str  # started | success | failed


@dataclass(frozen=True, kw_only=True)
class BlockerCreated(Event):
    type: ClassVar[str] = "blocker_created"
    blocker_id: int
    task_id: str
    question: str
    kind: str = "sync"  # sync: the task waits; async: it goes on with `assumption`
    agent_id: str | None = None
    source: str = "engine"  # model (asked through ask_human) | engine
    yes_no: bool = False
    assumption: str = ""


@dataclass(frozen=True, kw_only=True)
class BlockerResolved(Event):
    type: ClassVar[str] = "blocker_resolved"
    blocker_id: int
    task_id: str
    answer: str


@dataclass(frozen=True, kw_only=True)
class BlockerExpired(Event):
    type: ClassVar[str] = "blocker_expired"
    blocker_id: int
    task_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class AgentResumed(Event):
    """An agent took up its task again with the person's answer."""

    type: ClassVar[str] = "agent_resumed"
    agent_id: str | None
    task_id: str
    blocker_id: int


@dataclass(frozen=True, kw_only=True)
class ReviewRequested(Event):
    """Tests passed under the review gate: the task's diff waits for the person."""

    type: ClassVar[str] = "review_requested"
    task_id: str
    agent_id: str | None
    files: tuple[str, ...]
    summary: str
    modified_tests: tuple[str, ...] = ()  # existing test files it edited or deleted: flagged


@dataclass(frozen=True, kw_only=True)
class LandingBatchStarted(Event):
    """The merge queue built a candidate (the base and these tasks' branches) and tests it;
    `speculative` when it is built on a candidate still under test rather than on the base."""

    type: ClassVar[str] = "landing_batch_started"
    tasks: tuple[str, ...]
    queued: int = 0  # tasks still waiting behind this batch
    speculative: bool = False


@dataclass(frozen=True, kw_only=True)
class LandingBatchFinished(Event):
    """A candidate's suite ended: `landed` (the base moved to it), `failed` (split, or its culprit
    named), `refused` (green, but the base could not move), or `discarded` (speculative, and the
    candidate under it was not landed: its tasks queue again)."""

    type: ClassVar[str] = "landing_batch_finished"
    tasks: tuple[str, ...]
    result: str
    culprits: tuple[str, ...] = ()
    queued: int = 0


@dataclass(frozen=True, kw_only=True)
class TaskLanded(Event):
    """The task's branch was merged into the base branch."""

    type: ClassVar[str] = "task_landed"
    task_id: str
    commit: str
    branch: str
    base: str


@dataclass(frozen=True, kw_only=True)
class TaskUndone(Event):
    type: ClassVar[str] = "task_undone"
    task_id: str
    commit: str  # the revert commit
    status: str  # approved | rejected, as the person chose


@dataclass(frozen=True, kw_only=True)
class WorkspaceChecked(Event):
    """The repository at the start of a run: its base branch and the person's own uncommitted files."""

    type: ClassVar[str] = "workspace_checked"
    base: str
    dirty: tuple[str, ...]
    worktrees: tuple[str, ...] = ()  # task worktrees found again from an earlier run


@dataclass(frozen=True, kw_only=True)
class WorkPaused(Event):
    """New tasks wait: the worktrees take more disk than `worktree_disk_limit_gb`."""

    type: ClassVar[str] = "work_paused"
    reason: str
    used_bytes: int
    limit_bytes: int


@dataclass(frozen=True, kw_only=True)
class ReviewDecided(Event):
    type: ClassVar[str] = "review_decided"
    task_id: str
    decision: str  # accepted | rejected (tries again with the feedback) | discarded (for good)
    feedback: str = ""


@dataclass(frozen=True, kw_only=True)
class InterruptedRunRecovered(Event):
    """A run that died (`killed`) or was stopped (`stopped`) is picked up: what the start had to mend."""

    type: ClassVar[str] = "interrupted_run_recovered"
    how: str  # killed | stopped
    started_at: str
    pid: int
    restarted: tuple[str, ...]  # tasks that were running, back to approved with their attempts kept
    processes_ended: tuple[int, ...]  # stray test processes of the dead run, killed
    change_sets: tuple[str, ...]  # half-applied change sets, "finished: a.py, b.py" or "rolled back: ..."


@dataclass(frozen=True, kw_only=True)
class RunFinished(Event):
    type: ClassVar[str] = "run_finished"
    done: int
    failed: int
    blocked: int
    total: int
    elapsed: float
    held: int = 0
    waiting: int = 0  # blockers and reviews left for the person (a headless run without answers)


EventSink = Callable[[Event], None]
"""Where the engine sends events. It must not block: the UI posts a message, headless prints."""



def _all_events() -> dict[str, type[Event]]:
    """Every concrete event class by its `type`, found from the classes themselves, so a new event
    is known to the log reader, the words and the screen's router the moment it is defined."""
    found: dict[str, type[Event]] = {}
    pending = list(Event.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.type in found and found[cls.type] is not cls:
            raise TypeError(f"two events named {cls.type!r}: {found[cls.type].__name__} and {cls.__name__}")
        found[cls.type] = cls
    return dict(sorted(found.items()))


EVENTS_BY_TYPE: dict[str, type[Event]] = _all_events()
ALL_EVENTS: tuple[type[Event], ...] = tuple(EVENTS_BY_TYPE.values())
