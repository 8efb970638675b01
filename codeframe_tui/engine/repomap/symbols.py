"""What the repository map knows of a source file: its symbols (names and signatures with line
numbers), or why it was not parsed, and the key its symbols are cached by.

The parsers are symbols_python (ast), symbols_js (tree-sitter's JavaScript and TypeScript grammars,
compiled into their wheels) and symbols_other (universal-ctags, else a few regular expressions);
plan picks one per file. tree-sitter-language-pack is not used: 1.x fetches its grammars from the
network at run time.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

MAX_PARSE_BYTES = 2 * 1024 * 1024  # bigger files are listed, never read

PYTHON_EXTS = frozenset({".py", ".pyi"})
# Handed to ctags when it is there; the regex fallback knows the first few only.
CTAGS_EXTS = frozenset({
    ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts", ".go", ".rs", ".java", ".kt", ".kts",
    ".c", ".h", ".cc", ".cpp", ".cxx", ".hh", ".hpp", ".hxx", ".cs", ".rb", ".php", ".swift", ".scala",
})
SOURCE_EXTS = PYTHON_EXTS | CTAGS_EXTS | {".vue", ".svelte"}  # the last two: symbols_js

Imports = tuple[tuple[int, str, tuple[str, ...]], ...]  # (level, module, imported names) of each import
CacheKey = tuple[str, int, int]  # (real path, size, mtime_ns)


@dataclass(frozen=True)
class Symbol:
    depth: int  # 0: top level; 1: a method of a top-level class
    text: str  # as shown: "def chunked(iterable, n, strict=False)"
    name: str  # for the compact form: "chunked", "Foo.method"
    line: int


@dataclass(frozen=True)
class FileSymbols:
    symbols: tuple[Symbol, ...] = ()
    problem: str = ""  # why it was not parsed ("over 2 MB", "not UTF-8", "syntax error at line 3")
    imports: Imports = ()  # Python only: the map follows them to the file's neighbours


def cache_key(path: str) -> CacheKey | None:
    """(path, size, mtime_ns) of a regular file; None for anything else. Symlinks are never followed:
    one could point out of the repository (at ~/.ssh, say)."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (path, st.st_size, st.st_mtime_ns) if stat.S_ISREG(st.st_mode) else None


def read_source(key: CacheKey) -> str | FileSymbols:
    """The file's text, or the FileSymbols saying why it is not parsed."""
    if key[1] > MAX_PARSE_BYTES:
        return FileSymbols(problem="over 2 MB")
    try:
        with open(key[0], "rb") as fh:
            return fh.read(MAX_PARSE_BYTES + 1).decode("utf-8")
    except UnicodeDecodeError:
        return FileSymbols(problem="not UTF-8")
    except OSError as exc:
        return FileSymbols(problem=f"unreadable ({exc.strerror or exc})")
