"""Which approved tasks may start now, which can never start, and why."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from codeframe_tui.domain import Task, TaskStatus, natural_key


@dataclass(frozen=True)
class Schedule:
    ready: list[Task]             # approved, every dependency done or landing: may start now (longest chain first)
    held: dict[str, tuple[str, ...]]  # approved but a dependency failed/rejected/cancelled: key -> culprits
    waiting: list[Task]           # approved, dependencies still on their way


# A dependency in the merge queue (`landing`) has passed its checks and its work is committed on its
# branch: its dependents start on top of that branch, and land behind it, in the same batch or a
# later one (merge_queue.py); waiting for the landing itself would put a suite run on every step
# of a chain.
_LANDED_ENOUGH = (TaskStatus.DONE, TaskStatus.LANDING)


def plan_schedule(tasks: Iterable[Task], running: set[str]) -> Schedule:
    """Run at every wake-up of the lead agent, so linear in tasks and edges, whatever the graph's depth."""
    by_key = {t.key: t for t in tasks}
    order, dependents = _topological(by_key)
    bad = _bad_ancestry(by_key, order)
    chain = _chain_lengths(by_key, order, dependents)
    ready: list[Task] = []
    waiting: list[Task] = []
    held: dict[str, tuple[str, ...]] = {}
    for task in sorted(by_key.values(), key=lambda t: natural_key(t.key)):
        if task.status != TaskStatus.APPROVED or task.key in running:
            continue
        culprits = tuple(sorted(bad.get(task.key, ()), key=natural_key))
        if culprits:
            held[task.key] = culprits
        elif all(by_key[d].status in _LANDED_ENOUGH for d in task.depends_on if d in by_key):
            ready.append(task)
        else:
            waiting.append(task)
    # The longest chain of work still to do first (natural order among equals): started late, a long
    # chain leaves the other slots idle at the end while it runs one task at a time.
    ready.sort(key=lambda t: -chain.get(t.key, 1))
    return Schedule(ready, held, waiting)


def _topological(by_key: dict[str, Task]) -> tuple[list[str], dict[str, list[str]]]:
    """Keys with every dependency before its dependents, and each key's dependents. (Plans are checked
    for cycles when stored; a task on one would be left out, and counts as held by nothing.)"""
    dependents: dict[str, list[str]] = {k: [] for k in by_key}
    missing = dict.fromkeys(by_key, 0)
    for task in by_key.values():
        for dep in set(task.depends_on):
            if dep in by_key:
                dependents[dep].append(task.key)
                missing[task.key] += 1
    order = [k for k, n in missing.items() if n == 0]
    for key in order:  # grows as it goes: each dependent joins once its last dependency has
        for child in dependents[key]:
            missing[child] -= 1
            if missing[child] == 0:
                order.append(child)
    return order, dependents


def _bad_ancestry(by_key: dict[str, Task], order: list[str]) -> dict[str, frozenset[str]]:
    """What `_bad_ancestors` finds, for every task in one pass: the failed, rejected or cancelled tasks
    reached through dependencies that are not done."""
    if not any(t.status.is_terminal_bad for t in by_key.values()):
        return {}
    bad: dict[str, frozenset[str]] = {}
    for key in order:
        found: set[str] = set()
        for dep in by_key[key].depends_on:
            if dep not in by_key:
                continue
            if by_key[dep].status.is_terminal_bad:
                found.add(dep)
            elif by_key[dep].status != TaskStatus.DONE:
                found |= bad.get(dep, frozenset())
        bad[key] = frozenset(found)
    return bad


def _chain_lengths(by_key: dict[str, Task], order: list[str], dependents: dict[str, list[str]]) -> dict[str, int]:
    """For each task, the longest line of unfinished tasks that starts with it and runs through its dependents."""
    length: dict[str, int] = {}
    for key in reversed(order):
        after = [length[c] for c in dependents[key]
                 if by_key[c].status != TaskStatus.DONE and not by_key[c].status.is_terminal_bad]
        length[key] = 1 + max(after, default=0)
    return length


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
