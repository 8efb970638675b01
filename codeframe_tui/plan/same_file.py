"""Tasks that may run at the same time and name the same file: their worktrees will conflict.

Every real spec-kit file marks `[P]` tasks that name one file (37 such pairs in one of them): the
tasks run side by side in their own worktrees, and the second to land meets a conflict. Two tasks
"may run at the same time" when neither waits for the other, directly or not. Each such pair is
named in a warning; with `serialize` (the default), the later one in the plan also waits for the
earlier, and the edge is marked as added (`extra["added_deps"]`) so plan review can show it.
"""

from __future__ import annotations

from dataclasses import replace

from codeframe_tui.domain import TaskStatus
from codeframe_tui.plan.model import ImportedPlan, Problems

MODES = ("serialize", "warn")


def _waits_for(deps: dict[str, list[str]], task: str, other: str) -> bool:
    """Whether `task` waits for `other`, directly or through others."""
    seen: set[str] = set()
    stack = list(deps[task])
    while stack:
        key = stack.pop()
        if key == other:
            return True
        if key not in seen:
            seen.add(key)
            stack.extend(deps.get(key, ()))
    return False


def same_file_tasks(plan: ImportedPlan, problems: Problems, mode: str = "serialize") -> ImportedPlan:
    """Warn about (and, serializing, order) each pair of open tasks that may run together on one file."""
    if mode not in MODES:
        raise ValueError(f"same_file must be one of {', '.join(MODES)}, got {mode!r}")
    open_tasks = [t for t in plan.tasks if t.status == TaskStatus.PROPOSED]
    by_file: dict[str, list[str]] = {}
    for task in open_tasks:
        for path in dict.fromkeys(task.files):
            by_file.setdefault(path, []).append(task.key)
    deps = {t.key: list(t.depends_on) for t in plan.tasks}
    lines = {t.key: t.extra.get("line") for t in plan.tasks}
    added: dict[str, list[str]] = {}
    for path, keys in by_file.items():
        # Consecutive tasks of the file in plan order: once each waits for the one before, all are ordered.
        for before, after in zip(keys, keys[1:], strict=False):
            if _waits_for(deps, after, before) or _waits_for(deps, before, after):
                continue
            if mode == "serialize":
                deps[after].append(before)
                added.setdefault(after, []).append(before)
                done = f"{after} now waits for {before}"
            else:
                done = "left as it is; their worktrees will conflict when the second lands"
            problems.warn(f"tasks {before} and {after} may run at the same time and both name {path}: {done}",
                          line=lines.get(after), task=after)
    if not added:
        return plan
    return replace(plan, tasks=tuple(
        replace(t, depends_on=tuple(deps[t.key]), extra={**t.extra, "added_deps": added[t.key]})
        if t.key in added else t for t in plan.tasks))
