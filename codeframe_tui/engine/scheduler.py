"""Which approved tasks may start now, which can never start, and why."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from codeframe_tui.domain import Task, TaskStatus, natural_key


@dataclass(frozen=True)
class Schedule:
    ready: list[Task]             # approved, every dependency done: may start now (natural order)
    held: dict[str, tuple[str, ...]]  # approved but a dependency failed/rejected/cancelled: key -> culprits
    waiting: list[Task]           # approved, dependencies still on their way


def plan_schedule(tasks: Iterable[Task], running: set[str]) -> Schedule:
    by_key = {t.key: t for t in tasks}
    ready: list[Task] = []
    waiting: list[Task] = []
    held: dict[str, tuple[str, ...]] = {}
    for task in sorted(by_key.values(), key=lambda t: natural_key(t.key)):
        if task.status != TaskStatus.APPROVED or task.key in running:
            continue
        culprits = _bad_ancestors(task, by_key)
        if culprits:
            held[task.key] = culprits
        elif all(by_key[d].status == TaskStatus.DONE for d in task.depends_on if d in by_key):
            ready.append(task)
        else:
            waiting.append(task)
    return Schedule(ready, held, waiting)


def _bad_ancestors(task: Task, by_key: dict[str, Task]) -> tuple[str, ...]:
    """Dependencies, direct or not, that failed, were rejected or cancelled."""
    bad: list[str] = []
    seen: set[str] = set()
    stack = list(task.depends_on)
    while stack:
        key = stack.pop()
        if key in seen or key not in by_key:
            continue
        seen.add(key)
        dep = by_key[key]
        if dep.status.is_terminal_bad:
            bad.append(key)
        elif dep.status != TaskStatus.DONE:
            stack.extend(dep.depends_on)
    return tuple(sorted(bad, key=natural_key))


def can_still_run(task: Task, by_key: dict[str, Task]) -> bool:
    """An approved task whose dependencies could all still finish."""
    return task.status == TaskStatus.APPROVED and not _bad_ancestors(task, by_key)


def blocked_forever_by(tasks: Iterable[Task], keys: Iterable[str]) -> list[str]:
    """Tasks that could never run if `keys` were rejected: their dependents, direct or not, not done."""
    by_key = {t.key: t for t in tasks}
    dependents: dict[str, list[str]] = {}
    for task in by_key.values():
        for dep in task.depends_on:
            dependents.setdefault(dep, []).append(task.key)
    seen: set[str] = set()
    stack = list(keys)
    while stack:
        for child in dependents.get(stack.pop(), []):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    seen -= set(keys)
    return sorted((k for k in seen if by_key[k].status != TaskStatus.DONE), key=natural_key)
