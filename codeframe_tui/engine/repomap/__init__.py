"""The repository map in a worker's first prompt: the file tree, collapsed where large, and symbols
with line numbers for the task's files and their neighbours, within a token budget.

It replaces a bulk dump of files: the model sees where things are and asks for what it needs
(view, search, list_files). The budget is a cap, not a target: the map holds what is useful to the
task and stops there. A large tree opens only on the task's paths (a small one is shown whole);
each file's symbols are capped, those the task's text names first; what is left out is always said,
with how to find it.

The work runs off the event loop (git and ctags as bounded asyncio subprocesses, the rest in a
thread), and maps are cached by (root, HEAD, the working tree's status, focus, budget, the task's
words); parsed symbols are cached per file. The modules, in the order a map is made:

- listing: the repository's state (the cache key) and the files the model may see
- plan: the task's files, their neighbours, and their symbols (symbols, symbols_python, symbols_other)
- hints: the task's words, which rank symbols
- tree and render: the tree collapsed where it is not the task's, and the map's text within the budget
- cache, process, text: the caches, bounded subprocesses, and small text helpers
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

from codeframe_tui.engine.repomap.cache import MAPS, clear_caches
from codeframe_tui.engine.repomap.hints import Hints
from codeframe_tui.engine.repomap.listing import git_listing, repo_state
from codeframe_tui.engine.repomap.plan import make_plan
from codeframe_tui.engine.repomap.render import render
from codeframe_tui.engine.repomap.symbols_other import ctags_available, ctags_symbols

__all__ = ["clear_caches", "repository_map"]


async def repository_map(root: Path, focus: Sequence[str] = (), *, budget_tokens: int = 4000,
                         secret_patterns: Sequence[str] = (), hints: str = "") -> str:
    """The map of the repository at `root` for a task whose files are `focus` (paths relative to
    root), at most `budget_tokens` tokens long (len(text) // 4). `hints` is the task's text (title,
    description, acceptance): the symbols it names come first."""
    focus = (focus,) if isinstance(focus, str) else tuple(os.fspath(f) for f in focus)
    secret_patterns = tuple(secret_patterns)
    words = Hints(hints)
    real = await asyncio.to_thread(os.path.realpath, root)  # it stats every component: file work goes off the loop
    use_ctags = await ctags_available()
    state = await repo_state(real)
    key = None
    listing: bytes | None = None  # None: not a git repository, or git failed; the folder is walked
    cut = False
    deleted: frozenset[str] = frozenset()
    if state is not None:
        key = (real, state.head, state.digest, focus, budget_tokens, secret_patterns, use_ctags, words.key)
        cached = MAPS.get(key)
        if cached is not None:
            return cached
        listing, cut, complete = await git_listing(real)
        if not complete:
            key = None  # git failed to start or hung: what it gave is not worth keeping
        deleted = state.deleted
    plan = await asyncio.to_thread(make_plan, real, listing, cut, deleted, focus, secret_patterns,
                                   not use_ctags, budget_tokens, words)
    if plan.need_ctags:
        plan.symbols.update(await ctags_symbols(real, plan.need_ctags))
    text = await asyncio.to_thread(render, plan, budget_tokens)
    if key is not None:
        MAPS.put(key, text)
    return text
