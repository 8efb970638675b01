"""What goes into a repository map before it is written: the visible files and their tree, the
task's files and folders, their neighbours (tests, in-repository imports, the same folders: those
defining a name the task mentions first), and the symbols of as many of those as the map could show.

Plain blocking code, for a worker thread; the files waiting for ctags are left in `need_ctags`
for the caller to run it once for all of them.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field

from codeframe_tui.engine.repomap.cache import SYMBOL_CACHE
from codeframe_tui.engine.repomap.hints import Hints
from codeframe_tui.engine.repomap.listing import visible_files
from codeframe_tui.engine.repomap.symbols import (
    CTAGS_EXTS,
    PYTHON_EXTS,
    SOURCE_EXTS,
    CacheKey,
    FileSymbols,
    Imports,
    cache_key,
    read_source,
)
from codeframe_tui.engine.repomap.symbols_js import JS_EXTS, js_symbols
from codeframe_tui.engine.repomap.symbols_js import available as js_parsers_available
from codeframe_tui.engine.repomap.symbols_other import REGEX_EXTS, regex_symbols
from codeframe_tui.engine.repomap.symbols_python import python_symbols
from codeframe_tui.engine.repomap.text import ext
from codeframe_tui.engine.repomap.tree import Folder, build_tree

FOCUS_CAP = 30  # files of the task parsed for symbols
NEIGHBOUR_CAP = 60  # neighbours parsed; the rest count as left out


@dataclass
class Plan:
    files: list[str]
    folders: dict[str, Folder]
    cut: bool = False  # the listing stopped early
    focus: list[str] = field(default_factory=list)  # the task's files that are listed, in the task's order
    missing: list[str] = field(default_factory=list)  # the task's files that are not there (yet)
    focus_folders: list[str] = field(default_factory=list)  # named by the task: kept open, files are neighbours
    neighbours: list[str] = field(default_factory=list)  # tests and imports, then the same folders
    close: int = 0  # how many of the neighbours are tests and imports
    hints: Hints = field(default_factory=Hints)  # the task's words, which rank symbols
    symbols: dict[str, FileSymbols] = field(default_factory=dict)
    need_ctags: list[tuple[str, CacheKey]] = field(default_factory=list)


def make_plan(real: str, listing: bytes | None, cut: bool, deleted: frozenset[str], focus: tuple[str, ...],
              secret_patterns: tuple[str, ...], use_regex: bool, budget_tokens: int, hints: Hints) -> Plan:
    files, cut, hider = visible_files(real, listing, cut, deleted, secret_patterns)
    plan = Plan(files, build_tree(files), cut, hints=hints)
    listed = set(files)
    for raw in focus:
        rel = _relative(real, raw)
        if rel is None or not hider.visible(rel) and rel not in plan.folders:
            continue  # outside the root, or a name the model must not see
        if rel in listed:
            if rel not in plan.focus:
                plan.focus.append(rel)
        elif rel in plan.folders:
            plan.focus_folders.append(rel)
        elif rel not in plan.missing:
            plan.missing.append(rel)
    # Parse no more than the budget could show twice over, the task's files and then their neighbours:
    # a folder of big generated modules would otherwise cost seconds for symbols that are left out
    # anyway. The rest count as left out.
    _parse(real, plan.focus[:FOCUS_CAP], plan, use_regex, budget_tokens * 4 * 2)
    close, same_folders = _neighbours(plan, listed)
    plan.neighbours = [*close, *same_folders]
    plan.close = len(close)
    _parse(real, plan.neighbours[:NEIGHBOUR_CAP], plan, use_regex, budget_tokens * 4 * 2)
    return plan


def ranked_neighbours(plan: Plan) -> list[str]:
    """The neighbours in the order the map shows them: tests and imports, then the folders' files;
    in each, those that define a name the task mentions first (once ctags has answered too)."""
    if not plan.hints:
        return plan.neighbours
    named = {rel for rel in plan.neighbours if _names_one(plan.symbols.get(rel), plan.hints)}
    out: list[str] = []
    for group in (plan.neighbours[: plan.close], plan.neighbours[plan.close:]):
        out += [rel for rel in group if rel in named] + [rel for rel in group if rel not in named]
    return out


def _names_one(found: FileSymbols | None, hints: Hints) -> bool:
    return found is not None and any(hints.names(s) for s in found.symbols)


def _relative(real: str, raw: str) -> str | None:
    path = raw.replace("\\", "/").strip()
    if os.path.isabs(path):
        path = os.path.relpath(path, real).replace(os.sep, "/")
    path = posixpath.normpath(path).rstrip("/")
    return None if path in (".", "") or path == ".." or path.startswith("../") else path


def _parse(real: str, rels: list[str], plan: Plan, use_regex: bool, room: int) -> int:
    """Symbols for `rels` into the plan, or into its need_ctags, while `room` (characters) lasts;
    the room left."""
    for rel in rels:
        if room <= 0:
            break
        key = cache_key(os.path.join(real, rel))
        if key is None:
            plan.symbols[rel] = FileSymbols(problem="not a regular file")
            continue
        found = _local_symbols(key, ext(rel), use_regex)
        if found is None:
            plan.need_ctags.append((rel, key))
            room -= min(key[1], 64 * 1024) // 8  # a guess until ctags has read it
        else:
            plan.symbols[rel] = found
            room -= sum(len(s.text) + 12 for s in found.symbols)
    return room


def _local_symbols(key: CacheKey, extension: str, use_regex: bool) -> FileSymbols | None:
    """The symbols of a file that needs no subprocess (Python, or the regex fallback), cached;
    None when the file waits for ctags."""
    cached = SYMBOL_CACHE.get(key)
    if cached is not None:
        return cached
    tree_sitter = extension in JS_EXTS and js_parsers_available()
    if extension in PYTHON_EXTS or tree_sitter or (use_regex and extension in REGEX_EXTS):
        found = read_source(key)
        if isinstance(found, str):
            if extension in PYTHON_EXTS:
                found = python_symbols(found)
            else:
                found = js_symbols(found, extension) if tree_sitter else regex_symbols(found, extension)
        SYMBOL_CACHE.put(key, found)
        return found
    return None if extension in CTAGS_EXTS and not use_regex else FileSymbols()


def _neighbours(plan: Plan, listed: set[str]) -> tuple[list[str], list[str]]:
    """Tests and in-repository imports of the focus files; then, apart, their folders' other sources."""
    names = {rel: _test_names(rel.rpartition("/")[2]) for rel in plan.focus}
    wanted = {name for tests in names.values() for name in tests}
    by_name: dict[str, list[str]] = {}
    for rel in plan.files:
        name = rel.rpartition("/")[2]
        if name in wanted:
            by_name.setdefault(name, []).append(rel)
    out: dict[str, None] = {}
    for rel in plan.focus:
        for test in names[rel]:
            out.update(dict.fromkeys(by_name.get(test, [])[:3]))
        found = plan.symbols.get(rel)
        if found is not None and found.imports:
            follow = _js_imported if ext(rel) in JS_EXTS else _imported
            out.update(dict.fromkeys(follow(rel, found.imports, listed)))
    folders: dict[str, None] = {}
    for path in dict.fromkeys([*(rel.rpartition("/")[0] for rel in plan.focus), *plan.focus_folders]):
        node = plan.folders.get(path)
        if node is not None:
            folders.update(dict.fromkeys(f"{path}/{n}" if path else n for n in node.files if ext(n) in SOURCE_EXTS))
    focus = set(plan.focus)
    return [rel for rel in out if rel not in focus], [rel for rel in folders if rel not in focus and rel not in out]


def _test_names(name: str) -> list[str]:
    """Names of the tests of `name`, or of the module a test file tests."""
    stem, extension = posixpath.splitext(name)
    if extension in PYTHON_EXTS:
        if stem.startswith("test_"):
            return [stem[5:] + extension]
        if stem.endswith("_test"):
            return [stem[:-5] + extension]
        return [f"test_{stem}{extension}", f"{stem}_test{extension}"]
    for marker in (".test", ".spec", "_test"):
        if stem.endswith(marker):
            return [stem[: -len(marker)] + extension]
    return [f"{stem}.test{extension}", f"{stem}.spec{extension}", f"{stem}_test{extension}"]


def _imported(rel: str, imports: Imports, listed: set[str]) -> list[str]:
    """The repository's own modules that a Python file imports."""
    folder = rel.rpartition("/")[0]
    parts = folder.split("/") if folder else []
    # The folder holding the file's top package is where its absolute imports start; "" and src/ too.
    top = len(parts)
    while top > 0 and "/".join(parts[:top]) + "/__init__.py" in listed:
        top -= 1
    roots = list(dict.fromkeys(["/".join(parts[:top]), "", "src"]))
    out: list[str] = []
    for level, module, names in imports:
        if level - 1 > len(parts):
            continue
        bases = ["/".join(parts[: len(parts) - (level - 1)])] if level else roots
        mod = module.replace(".", "/")
        for base in bases:
            prefix = posixpath.join(base, mod) if mod else base
            # `from pkg import module` names a module too
            modules = ([prefix] if mod else []) + [posixpath.join(prefix, name) for name in names]
            hits = [found for m in modules if (found := _module_file(m, listed))]
            if hits:
                out.extend(h for h in hits if h != rel)
                break
    return out


def _module_file(prefix: str, listed: set[str]) -> str | None:
    """The listed file of the module at `prefix` (pkg/mod): pkg/mod.py, else pkg/mod/__init__.py."""
    return next((c for c in (f"{prefix}.py", f"{prefix}/__init__.py") if c in listed), None)


_JS_CANDIDATES = ("", ".ts", ".tsx", ".js", ".jsx", ".mjs", ".mts", ".vue", ".svelte",
                  "/index.ts", "/index.tsx", "/index.js", "/index.jsx")


def _js_imported(rel: str, imports: Imports, listed: set[str]) -> list[str]:
    """The repository's own files a JS/TS file imports by a relative path (`./cart`, `../lib/price.js`)."""
    folder = rel.rpartition("/")[0]
    out: list[str] = []
    for _, module, _ in imports:
        base = posixpath.normpath(posixpath.join(folder, module))
        if base.startswith(".."):
            continue
        stem, extension = posixpath.splitext(base)
        # TypeScript's ESM style names the .js that the .ts compiles to.
        tries = [base + c for c in _JS_CANDIDATES] + ([stem + ".ts", stem + ".tsx"] if extension == ".js" else [])
        found = next((t for t in tries if t in listed and t != rel), None)
        if found:
            out.append(found)
    return out
