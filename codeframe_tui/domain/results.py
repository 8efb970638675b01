"""Result types: test runs, worker outcomes, blockers and model usage."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from codeframe_tui.domain.task import TaskStatus


class TestStatus(StrEnum):
    __test__ = False  # not a pytest test class

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    TIMEOUT = "timeout"
    NO_TESTS = "no_tests"


@dataclass(frozen=True)
class StepOutcome:
    """How one step of a chained test script went: `label` ("vitest", "lint", "types"), `kind`
    ("test", "lint", "types", "build", "other"), `status` ("passed", "failed", "error", "timeout",
    "no_tests" or "not run"), its counts for a test runner, `where` (the workspace package, "" at
    the root) and, for a step that failed, up to five `problems` as `file:line: message`."""

    label: str
    kind: str
    status: str
    passed: int = 0
    total: int = 0
    where: str = ""
    problems: tuple[str, ...] = ()

    @property
    def short(self) -> str:
        """`vitest 23/23`, `lint ✗`, `types ✓`, `build not run`; with its package when it has one."""
        name = f"{self.label} ({self.where})" if self.where else self.label
        if self.status == "not run":
            return f"{name} not run"
        if self.kind == "test" and self.total:
            mark = "" if self.status == "passed" else f" {self.status}"
            return f"{name} {self.passed}/{self.total}{mark}"
        mark = {"passed": "✓", "failed": "✗", "error": "✗", "no_tests": "✓ no tests"}.get(self.status, self.status)
        return f"{name} {mark}"

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "kind": self.kind, "status": self.status, "passed": self.passed,
                "total": self.total, "where": self.where, "problems": list(self.problems)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepOutcome:
        return cls(str(data["label"]), str(data["kind"]), str(data["status"]), int(data.get("passed", 0)),
                   int(data.get("total", 0)), str(data.get("where", "")), tuple(map(str, data.get("problems", ()))))


@dataclass(frozen=True)
class TestRun:
    """The parsed outcome of one run of a project's test command."""

    __test__ = False

    status: TestStatus
    total: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    duration: float = 0.0
    exit_code: int | None = None
    command: tuple[str, ...] = ()
    output: str = ""  # the tail of the combined output, bounded
    failing_tests: tuple[str, ...] = ()
    steps: tuple[StepOutcome, ...] = ()  # a chained script's steps, in order; empty for one command

    def brief(self, names: int = 3) -> str:
        """The failure in a line: `failed: 1 failed, 0 errors; t::a`, or for a chained script the steps,
        each failed one with its first problem: `failed: lint ✗ (src/a.ts:3: x unused) · vitest 6/6`."""
        if self.steps:
            shown = [f"{s.short} ({s.problems[0]})" if s.problems else s.short for s in self.steps]
            return f"{self.status}: {' · '.join(shown)}"
        listed = ", ".join(self.failing_tests[:names]) or "names not reported"
        return f"{self.status}: {self.failed} failed, {self.errors} errors; {listed}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "total": self.total,
            "passed": self.passed,
            "failed": self.failed,
            "errors": self.errors,
            "skipped": self.skipped,
            "duration": round(self.duration, 3),
            "steps": tuple(step.short for step in self.steps),
        }


class CorrectionStatus(StrEnum):
    STARTED = "started"
    SUCCESS = "success"
    FAILED = "failed"


class WorkerOutcome(StrEnum):
    DONE = "done"
    REVIEW = "review"
    FAILED = "failed"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"

    @property
    def task_status(self) -> TaskStatus:
        return TaskStatus(self.value)

    @property
    def is_success(self) -> bool:
        return self in (WorkerOutcome.DONE, WorkerOutcome.REVIEW)


@dataclass(frozen=True)
class WorkerResult:
    """What a worker says happened; the lead agent honours it as given."""

    outcome: WorkerOutcome
    reason: str = ""
    test_run: TestRun | None = None
    blocker_id: int | None = None
    retryable: bool = True  # False when a retry cannot help (an expired question, a person's no)


class BlockerKind(StrEnum):
    SYNC = "sync"    # the task and its dependents wait for the answer
    ASYNC = "async"  # the task goes on with a stated assumption; the answer joins its next step


MAX_QUESTION_CHARS = 2_000
MAX_ANSWER_CHARS = 5_000


@dataclass(frozen=True)
class Blocker:
    """A question for the person, raised by an agent (`source` model) or the engine itself."""

    id: int
    task_key: str
    question: str
    kind: str = "sync"
    answer: str | None = None
    created_at: str = ""
    resolved_at: str | None = None
    status: str = "pending"  # pending | resolved | expired
    agent_id: str | None = None
    source: str = "engine"
    yes_no: bool = False
    assumption: str = ""


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_creation_input_tokens + other.cache_creation_input_tokens,
            self.cache_read_input_tokens + other.cache_read_input_tokens,
        )
