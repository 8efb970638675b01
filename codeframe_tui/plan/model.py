"""What an importer returns: the plan as NewTasks, its error type, and its JSON form for scripts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from codeframe_tui.domain import NewTask

# Limits every format shares. A real plan has tens or hundreds of tasks, short titles and a few levels
# of nesting; far past these it is generated junk, and would make the store and the TUI crawl.
MAX_TASKS = 10_000
MAX_TITLE_CHARS = 2_000
MAX_TEXT_CHARS = 100_000  # a description, or a field kept as data: longer is a document, not a task
MAX_NAME_CHARS = 100  # ids, tags, statuses, priorities
MAX_NESTING = 32
_MAX_PROBLEM_CHARS = 300  # a message quotes the file's text; a hostile file must not fill the terminal
# Terminal escapes start with ESC or a C1 code (U+009B is a one-byte CSI), so C0, DEL and C1 are refused.
# Text may keep tab, newline, carriage return and form feed; a one-line value (a title) only tab.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_LINE_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with control characters written as \\xNN, so a message cannot drive the terminal."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class PlanImportError(ValueError):
    """A plan file cannot be imported; the message names the file, the line or task id, and the problem."""

    def __init__(self, path: Path | str, problem: str, *, line: int | None = None, task: str | None = None) -> None:
        self.path = Path(path)
        problem = printable(problem)
        if len(problem) > _MAX_PROBLEM_CHARS:
            problem = problem[:_MAX_PROBLEM_CHARS - 1] + "…"
        self.problem = problem
        self.line = line
        self.task = task
        shown = printable(str(self.path))
        if line is not None:
            where = f"{shown}:{line}"
        elif task is not None:
            where = f"{shown}: task {printable(task)[:MAX_NAME_CHARS]}"
        else:
            # Whole-file problems (too large, not JSON at all, no such tag) have no better place to point.
            where = shown
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class ImportWarning:
    """Something an import could not read with confidence, and what it did instead (skipped the line,
    read it as X, left an edge out). `text` is the source line when the line was skipped, so the person
    can read it in plan review and add it as a task."""

    what: str
    line: int | None = None
    task: str | None = None
    text: str = ""

    def message(self, path: Path | str) -> str:
        shown = printable(str(path))
        if self.line is not None:
            where = f"{shown}:{self.line}"
        elif self.task is not None:
            where = f"{shown}: task {printable(self.task)[:MAX_NAME_CHARS]}"
        else:
            where = shown
        return f"{where}: {self.what}"

    def as_json(self) -> dict:
        return {"line": self.line, "task": self.task, "what": self.what, "text": self.text}


class Problems:
    """The warnings of one import, gathered as the parser goes: every problem is named at once."""

    def __init__(self) -> None:
        self.items: list[ImportWarning] = []

    def warn(self, what: str, *, line: int | None = None, task: str | None = None, text: str = "") -> None:
        what = printable(what)
        if len(what) > _MAX_PROBLEM_CHARS:
            what = what[:_MAX_PROBLEM_CHARS - 1] + "…"
        self.items.append(ImportWarning(what, line, task, printable(text)[:MAX_TITLE_CHARS]))

    def fit(self, what: str, text: str, limit: int, *, line: int | None = None, task: str | None = None) -> str:
        """`text` cut at `limit` characters, with a warning when it was longer (a title, a description)."""
        if len(text) <= limit:
            return text
        self.warn(f"{what} is {len(text):,} characters: cut at {limit:,}", line=line, task=task)
        return text[: limit - 1] + "…"

    def skipped(self, what: str, *, line: int, text: str) -> None:
        """A line left out: `what` says why; the message quotes the line."""
        self.warn(f"{what}; skipped '{quote(text)}'", line=line, text=text.strip())


class PlanRefused(PlanImportError):
    """Nothing imported, and every warning named: `--strict` with warnings, or a file refused as a whole
    (no tasks left) after lines were skipped, which is then why."""

    def __init__(self, path: Path, warnings: tuple[ImportWarning, ...], problem: str = "") -> None:
        self.warnings = warnings
        super().__init__(path, problem or f"{len(warnings)} problem(s), so nothing is imported"
                                          " (without --strict, the rest imports)")
        self.args = ("\n".join([str(self.args[0]), *(w.message(path) for w in warnings)]),)

    def __str__(self) -> str:
        return str(self.args[0])


def quote(text: str, limit: int = 80) -> str:
    """A source line as a message quotes it: printable, and cut."""
    shown = printable(text.strip())
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def scrub(text: str, *, limit: int, one_line: bool = False) -> str:
    """`text` without control characters, cut at `limit`: for text the model wrote, where a stray
    escape should not cost the whole plan but must not reach the store or the screen either."""
    clean = (_LINE_CONTROL if one_line else _CONTROL).sub("", text).strip()
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def control_character(text: str, *, one_line: bool = False) -> re.Match | None:
    """The first control character in `text` (tab, newlines and form feed allowed unless `one_line`)."""
    return (_LINE_CONTROL if one_line else _CONTROL).search(text)


def check_text(path: Path, what: str, text: str, *, limit: int = MAX_TEXT_CHARS, one_line: bool = False,
               line: int | None = None, task: str | None = None) -> str:
    """Refuse `text` if it is longer than `limit` or holds a control character (a terminal escape)."""
    if len(text) > limit:
        raise PlanImportError(path, f"{what} is {len(text):,} characters; at most {limit:,}", line=line, task=task)
    if m := control_character(text, one_line=one_line):
        raise PlanImportError(path, f"{what} holds the control character U+{ord(m.group()):04X}",
                              line=line, task=task)
    return text


def check_title(path: Path, title: str, *, line: int | None = None, task: str | None = None) -> str:
    """Refuse an over-long title, or one holding a line break or control character, naming where."""
    return check_text(path, "title", title, limit=MAX_TITLE_CHARS, one_line=True, line=line, task=task)


def check_count(path: Path, count: int, *, what: str = "tasks", line: int | None = None) -> None:
    """Refuse a plan of more than MAX_TASKS tasks (or phases); parsers call it as they go, so junk is
    not read to the end."""
    if count > MAX_TASKS:
        raise PlanImportError(path, f"more than {MAX_TASKS:,} {what}; split the plan", line=line)


@dataclass(frozen=True)
class ImportedPlan:
    """A plan read from a file, checked, and not yet stored: the caller inserts it in one transaction."""

    source: Path
    format: str  # "speckit", "taskmaster" or "checklist"
    issues: tuple[tuple[str, str], ...]  # (issue_key, title): phases, headings or a Task Master tag
    tasks: tuple[NewTask, ...]
    context_files: tuple[Path, ...] = ()
    warnings: tuple[ImportWarning, ...] = ()
    acceptance: str = ""  # checklists that are not tasks (spec-kit's validation lists), as markdown

    def warnings_json(self) -> list[dict]:
        """The warnings as stored with the import and printed by `--json`: each with its message."""
        return [dict(w.as_json(), message=w.message(self.source)) for w in self.warnings]

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
        "acceptance": plan.acceptance,
        "warnings": plan.warnings_json(),
    }
