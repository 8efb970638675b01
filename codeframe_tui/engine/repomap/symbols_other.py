"""Symbols of files in languages other than Python: through universal-ctags when it is installed
(one bounded subprocess for a batch of files), else a few regular expressions for JS/TS exports and
top-level Go functions and Rust items."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
from collections.abc import Sequence

from codeframe_tui.engine.repomap.cache import SYMBOL_CACHE
from codeframe_tui.engine.repomap.process import run_bounded
from codeframe_tui.engine.repomap.symbols import CacheKey, FileSymbols, Symbol, read_source

CTAGS_TIMEOUT = 5.0
CTAGS_MAX_OUTPUT = 8 * 1024 * 1024

_JS_EXPORT = re.compile(r"^export\s+(?:default\s+)?(?:declare\s+)?(?:async\s+)?"
                        r"(?:function\*?|class|const|let|var|interface|type|enum|abstract\s+class)\s+([A-Za-z_$][\w$]*)")
_GO_FUNC = re.compile(r"^func\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)")
_RUST_ITEM = re.compile(r"^(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?(?:extern\s+\"\w+\"\s+)?"
                        r"(?:fn|struct|enum|trait)\s+([A-Za-z_]\w*)")
REGEX_EXTS = {
    **dict.fromkeys((".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts"), _JS_EXPORT),
    ".go": _GO_FUNC,
    ".rs": _RUST_ITEM,
}

# ctags tags never shown: they are not declarations a reader navigates by.
_CTAGS_SKIP_KINDS = frozenset({"package", "packageName", "import", "local", "parameter", "label", "field",
                               "property", "member", "enumerator", "macroparam", "externvar", "alias"})
_CTAGS_TOP_SCOPES = frozenset({"package", "namespace", "module", "file"})
_CTAGS_METHOD_KINDS = frozenset({"method", "function", "func", "constructor", "singletonMethod"})

_ctags: str | None | bool = None  # None: not looked for yet; False: none; else its path


def regex_symbols(text: str, ext: str) -> FileSymbols:
    pattern = REGEX_EXTS.get(ext)
    if pattern is None:
        return FileSymbols()
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        match = pattern.match(line)
        if match:
            out.append(Symbol(0, line.strip().rstrip("{").rstrip(), match.group(1), number))
    return FileSymbols(tuple(out))


async def ctags_available() -> bool:
    """Whether `ctags` is universal-ctags (Exuberant ctags has no JSON output). Asked once a process."""
    global _ctags
    if _ctags is None:
        exe = shutil.which("ctags")
        found: str | bool = False
        if exe:
            code, out, _ = await run_bounded([exe, "--version"], "/", seconds=CTAGS_TIMEOUT, max_bytes=64 * 1024)
            found = exe if code == 0 and b"Universal Ctags" in out else False
        _ctags = found
    return bool(_ctags)


async def ctags_symbols(root: str, files: Sequence[tuple[str, CacheKey]]) -> dict[str, FileSymbols]:
    """Symbols of `files` ((relative path, cache key) pairs) through one ctags run, cached. A file
    ctags says nothing about gets the regex fallback's symbols (ctags may not know its language)."""
    if not files or not await ctags_available():
        return {}
    argv = [str(_ctags), "--options=NONE", "--map-TypeScript=+.tsx", "--output-format=json", "--fields=+n",
            "--sort=no", "-f", "-", *(f"./{rel}" for rel, _ in files)]  # ./: a name starting with - is no option
    code, out, cut = await run_bounded(argv, root, seconds=CTAGS_TIMEOUT, max_bytes=CTAGS_MAX_OUTPUT)
    return await asyncio.to_thread(_read_ctags, out, files, code is not None and not cut)


def _read_ctags(out: bytes, files: Sequence[tuple[str, CacheKey]], complete: bool) -> dict[str, FileSymbols]:
    tags: dict[str, list[dict[str, object]]] = {}
    for raw in out.splitlines():
        try:
            tag = json.loads(raw)
        except ValueError:
            continue
        if isinstance(tag, dict) and tag.get("_type") == "tag" and isinstance(tag.get("path"), str):
            tags.setdefault(str(tag["path"]).removeprefix("./"), []).append(tag)
    result: dict[str, FileSymbols] = {}
    for rel, key in files:
        found = tags.get(rel)
        if found:
            symbols = FileSymbols(_from_ctags(found, rel.endswith(".go")))
        else:
            text = read_source(key)
            symbols = regex_symbols(text, os.path.splitext(rel)[1]) if isinstance(text, str) else text
        if not found and not complete and not symbols.symbols and not symbols.problem:
            symbols = FileSymbols(problem="ctags did not finish in time")  # not cached: next time it may
        else:
            SYMBOL_CACHE.put(key, symbols)
        result[rel] = symbols
    return result


def _from_ctags(tags: list[dict[str, object]], go: bool) -> tuple[Symbol, ...]:
    top: set[str] = set()
    out: list[Symbol] = []
    for tag in sorted(tags, key=_line):
        name, kind, line = str(tag.get("name", "")), str(tag.get("kind", "")), _line(tag)
        if not name or not line or kind in _CTAGS_SKIP_KINDS:
            continue
        scope, scope_kind = tag.get("scope"), str(tag.get("scopeKind", ""))
        text = _pattern_text(tag.get("pattern"), kind, name)
        if scope is None or scope_kind in _CTAGS_TOP_SCOPES or (go and kind in _CTAGS_METHOD_KINDS):
            # Go's methods stand at the top level of the file, apart from their type.
            top.add(name)
            out.append(Symbol(0, text, name, line))
        elif kind in _CTAGS_METHOD_KINDS and scope in top:
            out.append(Symbol(1, text, f"{scope}.{name}", line))
    return tuple(out)


def _line(tag: dict[str, object]) -> int:
    line = tag.get("line")
    return line if isinstance(line, int) else 0


def _pattern_text(pattern: object, kind: str, name: str) -> str:
    """The declaration's own source line, from ctags' search pattern (`/^export function f(a) {$/`)."""
    if not isinstance(pattern, str) or not pattern.startswith("/^"):
        return f"{kind} {name}"
    body = pattern[2:]
    whole = body.endswith("$/")
    body = body[:-2] if whole else body.rstrip("/")
    body = body.replace("\\/", "/").replace("\\\\", "\\").strip()
    body = body.rstrip("{").rstrip()
    return body if whole else body + "…"
