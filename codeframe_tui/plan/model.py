"""What an importer returns: the plan as NewTasks, its error type, and its JSON form for scripts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codeframe_tui.store.repos import NewTask


class PlanImportError(ValueError):
    """A plan file cannot be imported; the message names the file, the line or task id, and the problem."""

    def __init__(self, path: Path | str, problem: str, *, line: int | None = None, task: str | None = None) -> None:
        self.path = Path(path)
        self.problem = problem
        self.line = line
        self.task = task
        if line is not None:
            where = f"{self.path}:{line}"
        elif task is not None:
            where = f"{self.path}: task {task}"
        else:
            # Whole-file problems (too large, not JSON at all, no such tag) have no better place to point.
            where = str(self.path)
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class ImportedPlan:
    """A plan read from a file, checked, and not yet stored: the caller inserts it in one transaction."""

    source: Path
    format: str  # "speckit", "taskmaster" or "checklist"
    issues: tuple[tuple[str, str], ...]  # (issue_key, title): phases, headings or a Task Master tag
    tasks: tuple[NewTask, ...]
    context_files: tuple[Path, ...] = ()

    def edges(self) -> list[tuple[str, str]]:
        """(task, depends_on) pairs in task order, for display and for `import --dry-run --json`."""
        return [(t.key, dep) for t in self.tasks for dep in t.depends_on]


def plan_to_json(plan: ImportedPlan) -> dict:
    """The plan as plain JSON-ready data: what `codeframe-tui import --dry-run --json` prints.

    Tasks keep the source's order (phases and listed order), which is also the order a person reads.
    """
    return {
        "source": str(plan.source),
        "format": plan.format,
        "context_files": [str(p) for p in plan.context_files],
        "issues": [{"key": key, "title": title} for key, title in plan.issues],
        "tasks": [
            {
                "task_id": t.key,
                "title": t.title,
                "agent_type": str(t.agent_type),
                "status": str(t.status),
                "depends_on": list(t.depends_on),
                "issue": t.issue_key,
                "priority": t.priority,
                "description": t.description,
                "acceptance": t.acceptance,
                "test_strategy": t.test_strategy,
                "files": list(t.files),
                "extra": t.extra,
            }
            for t in plan.tasks
        ],
        "edges": [[key, dep] for key, dep in plan.edges()],
    }
