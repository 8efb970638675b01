"""Entry point of `codeframe-tui import`: picks the format, reads, checks the whole graph, writes nothing."""

from __future__ import annotations

import logging
import re
import stat
from dataclasses import replace
from pathlib import Path

from codeframe_tui.domain.graph import PlanError, find_cycle, validate_dependencies
from codeframe_tui.plan.checklist import parse_checklist
from codeframe_tui.plan.model import ImportedPlan, PlanImportError, PlanRefused, Problems
from codeframe_tui.plan.same_file import same_file_tasks
from codeframe_tui.plan.speckit import looks_like_speckit, parse_speckit
from codeframe_tui.plan.taskmaster import parse_taskmaster

log = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024
# Where a folder keeps its plan: spec-kit's feature folder, then Task Master's current and old places.
_FOLDER_CANDIDATES = ("tasks.md", "tasks.json", ".taskmaster/tasks/tasks.json", "tasks/tasks.json")
_MARKDOWN = (".md", ".markdown")


def _pick_file(folder: Path) -> Path:
    found = [folder / name for name in _FOLDER_CANDIDATES if (folder / name).is_file()]
    if not found:
        raise PlanImportError(folder, "no plan here: expected " + ", ".join(_FOLDER_CANDIDATES))
    markdown = [p for p in found if p.suffix == ".md"]
    json_files = [p for p in found if p.suffix == ".json"]
    if markdown and json_files:
        # Guessing would import the wrong plan silently; the person names the one they mean.
        names = " and ".join(str(p.relative_to(folder)) for p in (markdown[0], json_files[0]))
        raise PlanImportError(folder, f"both {names} are here; import one of them by name")
    return found[0]


def _read_text(path: Path) -> str:
    try:
        info = path.stat()
    except OSError as exc:
        raise PlanImportError(path, f"cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        # A fifo would block the read forever and a device (/dev/zero) never ends.
        raise PlanImportError(path, "not a regular file")
    if info.st_size > MAX_BYTES:
        raise PlanImportError(path, f"file is {info.st_size / 1024 / 1024:.1f} MB; "
                                    f"the limit is {MAX_BYTES // 1024 // 1024} MB")
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)  # the file may grow after stat()
    except OSError as exc:
        raise PlanImportError(path, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise PlanImportError(path, f"file is over the limit of {MAX_BYTES // 1024 // 1024} MB")
    nul = data.find(b"\0")
    if nul >= 0:
        raise PlanImportError(path, f"a binary file, not a plan (a NUL byte at byte {nul})",
                              line=data.count(b"\n", 0, nul) + 1)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PlanImportError(path, f"not UTF-8 text (byte {exc.start})", line=line) from None


def _parse(path: Path, tag: str | None, problems: Problems) -> ImportedPlan:
    suffix = path.suffix.lower()
    if suffix == ".json":
        return parse_taskmaster(path, _read_text(path), tag, problems)
    if suffix in _MARKDOWN:
        if tag is not None:
            raise PlanImportError(path, "a tag only applies to a Task Master tasks.json")
        text = _read_text(path)
        if looks_like_speckit(text, path.name):
            return parse_speckit(path, text, problems)
        if path.name == "tasks.md":
            problems.warn("no spec-kit task lines ('- [ ] T001 ...') in this tasks.md: read as a checklist, "
                          "each checkbox a task in listed order")
        return parse_checklist(path, text, problems)
    raise PlanImportError(path, "unknown plan format: expected a spec-kit tasks.md, a Task Master tasks.json"
                                " or a markdown checklist (.md)")


def import_plan(path: Path, *, tag: str | None = None, strict: bool = False,
                same_file: str = "serialize", prefix: str | None = None) -> ImportedPlan:
    """Read a plan file or folder into an ImportedPlan, or raise PlanImportError; nothing is written.

    A folder means its tasks.md or tasks.json (or .taskmaster/tasks/tasks.json). `.json` is Task
    Master (`tag` picks the tag); a `.md` with T-id tasks under "## Phase" headings (or named
    tasks.md) is spec-kit; any other `.md` is a checklist.

    Lenient: what cannot be read with confidence is left out, and the plan's `warnings` name each
    thing at its file:line, with what was done. The dependency graph is repaired the same way: an
    unknown id, a self-dependency, or one edge of each cycle is left out, named. `strict` refuses
    the whole file when there is any warning, naming every one (PlanRefused). Open tasks that may
    run at the same time and name the same file are named too; `same_file="serialize"` orders them
    (plan.same_file).

    `prefix` goes before every task and issue id, so that several spec-kit features (each numbered
    from T001) fit in one project. None means the default: a spec-kit file's folder number
    (`specs/005-login/tasks.md` gives `005-`), else none.
    """
    path = Path(path)
    if not path.exists():
        raise PlanImportError(path, "no such file or folder")
    if path.is_dir():
        path = _pick_file(path)
    problems = Problems()
    try:
        plan = _parse(path, tag, problems)
    except PlanRefused:
        raise
    except PlanImportError as exc:
        if not problems.items:
            raise
        # Refused as a whole after lines were left out: those lines are why, so they are named too.
        raise PlanRefused(path, tuple(problems.items), exc.problem) from None
    plan = _repair_graph(plan, problems)
    plan = same_file_tasks(plan, problems, same_file)
    if prefix is None:
        prefix = default_prefix(plan)
    if prefix:
        plan = with_prefix(plan, prefix)
    warnings = (*plan.warnings, *problems.items)
    if strict and warnings:
        raise PlanRefused(path, tuple(warnings))
    try:
        validate_dependencies({t.key: t.depends_on for t in plan.tasks})
    except PlanError as exc:  # a bug in a repair: refuse rather than store a bad graph
        raise PlanImportError(path, str(exc)) from None
    log.info("read %d tasks from %s (%s), %d warning(s)", len(plan.tasks), path, plan.format, len(warnings))
    return replace(plan, warnings=tuple(warnings))


def _repair_graph(plan: ImportedPlan, problems: Problems) -> ImportedPlan:
    """Leave out what would make the graph invalid, naming each edge: unknown ids, self-dependencies,
    and for each cycle the edge that points furthest forward in the file (a plan lists a task's
    dependencies before it, so that edge is the likeliest slip)."""
    order = {t.key: i for i, t in enumerate(plan.tasks)}
    lines = {t.key: t.extra.get("line") for t in plan.tasks}
    deps: dict[str, list[str]] = {}
    for t in plan.tasks:
        kept = []
        for dep in dict.fromkeys(t.depends_on):
            if dep == t.key:
                problems.warn(f"task {t.key} depends on itself: that dependency is left out", line=lines[t.key],
                              task=t.key)
            elif dep not in order:
                problems.warn(f"task {t.key} depends on unknown task {dep}: that dependency is left out",
                              line=lines[t.key], task=t.key)
            else:
                kept.append(dep)
        deps[t.key] = kept
    while cycle := find_cycle(deps):
        pairs = list(zip(cycle, cycle[1:], strict=False))  # (task, a dependency of it)
        task, dep = max(pairs, key=lambda p: order[p[1]] - order[p[0]])
        deps[task].remove(dep)
        problems.warn(f"dependency cycle: {' -> '.join(cycle)}; the edge {task} -> {dep} is left out",
                      line=lines[task], task=task)
    if all(tuple(deps[t.key]) == tuple(dict.fromkeys(t.depends_on)) for t in plan.tasks):
        return plan
    return replace(plan, tasks=tuple(replace(t, depends_on=tuple(deps[t.key])) for t in plan.tasks))


_FEATURE_NUMBER = re.compile(r"^([0-9]{1,6})-")
_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$")


def default_prefix(plan: ImportedPlan) -> str:
    """A spec-kit feature folder's number and dash (`005-`): spec-kit numbers its features that way."""
    if plan.format != "speckit":
        return ""
    m = _FEATURE_NUMBER.match(plan.source.parent.name)
    return m.group(0) if m else ""


def with_prefix(plan: ImportedPlan, prefix: str) -> ImportedPlan:
    """Every task and issue id with `prefix` before it, and every reference to them too."""
    if not _PREFIX.match(prefix):
        raise PlanImportError(plan.source, f"prefix {prefix!r}: use letters, digits, '.', '-' or '_', "
                                           "at most 31, like 005-")
    keys = {t.key for t in plan.tasks}

    def ref(value):
        if isinstance(value, str) and value in keys:
            return prefix + value
        if isinstance(value, list):
            return [ref(v) for v in value]
        return value

    linked = ("subtasks", "parent", "added_deps")
    tasks = tuple(replace(
        t, key=prefix + t.key, depends_on=tuple(prefix + d for d in t.depends_on),
        issue_key=prefix + t.issue_key if t.issue_key else "",
        extra={k: ref(v) if k in linked else v for k, v in t.extra.items()} | {"source_id": t.key},
    ) for t in plan.tasks)
    issues = tuple((prefix + key, title) for key, title in plan.issues)
    return replace(plan, tasks=tasks, issues=issues)
