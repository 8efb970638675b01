"""Validation of the task dependency graph: unknown ids, self-dependencies and cycles."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class PlanError(ValueError):
    """The plan's dependency graph is invalid; the message names the offending task ids."""


def validate_dependencies(edges: Mapping[str, Iterable[str]]) -> None:
    """Raise PlanError on an unknown id, a self-dependency or a cycle (naming the ids on it)."""
    keys = set(edges)
    for key, deps in edges.items():
        for dep in deps:
            if dep == key:
                raise PlanError(f"task {key} depends on itself")
            if dep not in keys:
                raise PlanError(f"task {key} depends on unknown task {dep}")
    cycle = find_cycle(edges)
    if cycle:
        raise PlanError("dependency cycle: " + " -> ".join(cycle))


def find_cycle(edges: Mapping[str, Iterable[str]]) -> list[str] | None:
    """Return one cycle as [a, b, ..., a], or None. Iterative, so deep plans cannot overflow."""
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(edges, white)
    for start in edges:
        if colour[start] != white:
            continue
        stack: list[tuple[str, list[str]]] = [(start, list(edges[start]))]
        path = [start]
        colour[start] = grey
        while stack:
            node, pending = stack[-1]
            if not pending:
                colour[node] = black
                stack.pop()
                path.pop()
                continue
            nxt = pending.pop()
            if colour.get(nxt, black) == grey:
                return path[path.index(nxt):] + [nxt]
            if colour.get(nxt) == white:
                colour[nxt] = grey
                stack.append((nxt, list(edges[nxt])))
                path.append(nxt)
    return None
