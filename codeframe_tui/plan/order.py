"""Turns "listed order, some items parallel" into dependency edges with as few edges as the meaning needs."""

from __future__ import annotations

from collections.abc import Sequence

Deps = dict[str, tuple[str, ...]]


def chain(items: Sequence[tuple[str, bool]], after: tuple[str, ...] = ()) -> tuple[Deps, tuple[str, ...]]:
    """Order `items` ((key, parallel) in listed order) behind `after`; return each key's deps and the exits.

    Consecutive parallel items form one group; every other item is a group of its own. Groups run in
    listed order, and each group waits for the whole group before it (the first group waits for
    `after`). So:
      - a sequential item after a sequential item depends on that one item;
      - each item of a parallel run depends on the item (or run) just before the run, not on each other;
      - a sequential item after a parallel run depends on every item of the run (a join).
    The exits are the last group: nothing in `items` waits for them, and each of them transitively
    waits for every item, so "all of these done" is "the exits done". With no items the exits are
    `after`, so an empty phase passes its predecessor through.
    """
    deps: Deps = {}
    previous = tuple(after)
    run: list[str] = []
    for key, parallel in items:
        if parallel:
            deps[key] = previous
            run.append(key)
            continue
        if run:
            previous, run = tuple(run), []
        deps[key] = previous
        previous = (key,)
    if run:
        previous = tuple(run)
    return deps, previous


def merge(*groups: Sequence[str]) -> tuple[str, ...]:
    """Concatenate dependency lists, dropping repeats and keeping first-seen order."""
    return tuple(dict.fromkeys(dep for group in groups for dep in group))
