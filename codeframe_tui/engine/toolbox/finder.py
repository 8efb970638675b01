"""The `search` and `list_files` tools: git grep and git ls-files in the task's worktree, bounded.

Both see what git sees: tracked files, plus new files that are not ignored, so an agent finds the
file it created a minute ago but never wades through node_modules or build output. Answers are
bounded in count and in line length, and each says when it was cut and how to narrow it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codeframe_tui.engine.changes import ChangeError, normalize_path
from codeframe_tui.engine.toolbox.editor import ToolInputError
from codeframe_tui.vcs import Git

DEFAULT_RESULTS = 50
MAX_RESULTS = 200
MAX_LINE_CHARS = 240
MAX_PATTERN_CHARS = 1000
MAX_LISTED = 500
SEARCH_TIMEOUT = 30.0


async def search(root: Path, data: dict[str, Any], is_secret: Callable[[str], bool]) -> tuple[str, str]:
    """(answer, label) for a `search` call; ToolInputError for an input that cannot be used."""
    pattern = data.get("pattern")
    if not isinstance(pattern, str) or not pattern:
        raise ToolInputError("search needs 'pattern': a regular expression")
    if "\x00" in pattern:
        raise ToolInputError("the pattern holds a NUL character")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise ToolInputError(f"the pattern is over {MAX_PATTERN_CHARS} characters")
    limit = data.get("max_results", DEFAULT_RESULTS)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise ToolInputError("max_results must be a positive whole number")
    capped = limit > MAX_RESULTS
    limit = min(limit, MAX_RESULTS)
    where = _scope(data.get("path"))
    # Perl-compatible, as models write them (\d, \s, \w); git built without PCRE takes extended ones.
    result = await Git(root).run(*_grep("-P", pattern, where), check=False, limit=SEARCH_TIMEOUT)
    if result.code == 128 and ("Perl" in result.err or "PCRE" in result.err):
        result = await Git(root).run(*_grep("-E", pattern, where), check=False, limit=SEARCH_TIMEOUT)
    label = f'search "{pattern[:40]}"' + (f" in {where}" if where else "")
    if result.code == 1:
        return f"No matches for {pattern!r}" + (f" under {where}" if where else "") + ".", label
    if result.code != 0:
        raise ToolInputError(f"search failed: {(result.err or result.out).strip()[:300]}")
    lines, hidden = [], 0
    for raw in result.out.splitlines():
        # -z: path NUL line NUL text, the path never quoted (a quoted "caf\303\251/x.pem" or a path
        # with a colon would slip past the secret check).
        path, _, rest = raw.partition("\0")
        number, _, text = rest.partition("\0")
        if _internal(path):
            continue
        if is_secret(path):
            hidden += 1
            continue
        if len(text) > MAX_LINE_CHARS:
            text = text[:MAX_LINE_CHARS] + f"… [line cut at {MAX_LINE_CHARS} characters]"
        lines.append(f"{path}:{number}: {text}")
    total = len(lines)
    out = lines[:limit]
    notes = []
    if total > limit:
        notes.append(f"[{total - limit} more matches not shown (of {total}): narrow the pattern or give a path]")
    if capped:
        notes.append(f"[max_results is at most {MAX_RESULTS}]")
    if hidden:
        notes.append(f"[{hidden} matches in secret-looking files left out]")
    if not out:
        return f"No matches for {pattern!r} outside secret-looking files.", label
    return "\n".join(out + notes), label


async def list_files(root: Path, data: dict[str, Any], is_secret: Callable[[str], bool]) -> tuple[str, str]:
    glob = data.get("glob")
    if glob is not None and not isinstance(glob, str):
        raise ToolInputError("glob must be text, e.g. 'src/**/*.py'")
    result = await Git(root).run("ls-files", "-z", "--cached", "--others", "--exclude-standard", check=False,
                                 limit=SEARCH_TIMEOUT)
    if result.code != 0:
        raise ToolInputError(f"list_files failed: {result.err.strip()[:300]}")
    names = sorted({n for n in result.out.split("\0") if n and not _internal(n) and not is_secret(n)})
    if glob:
        names = [n for n in names if _matches(n, glob)]
    label = f"list_files {glob}" if glob else "list_files"
    if not names:
        return (f"No files match {glob!r}." if glob else "The project has no files yet."), label
    shown = names[:MAX_LISTED]
    more = [f"[{len(names) - MAX_LISTED} more not shown (of {len(names)}): narrow the glob]"] \
        if len(names) > MAX_LISTED else []
    return "\n".join(shown + more), label


def _grep(syntax: str, pattern: str, where: str) -> list[str]:
    return ["grep", "-z", "-n", "-I", syntax, "--no-color", "--untracked", "-e", pattern, "--", where or "."]


def _internal(path: str) -> bool:
    """The tool's own state: git ignores it in a worktree, but a project without the exclude may not."""
    return path.split("/", 1)[0].casefold() == ".codeframe"


def _scope(path: object) -> str:
    if path is None or path in ("", "."):
        return ""
    if not isinstance(path, str) or "\x00" in path:
        raise ToolInputError("path must be text: a folder or file relative to the project root")
    try:
        return normalize_path(path)
    except ChangeError as exc:
        raise ToolInputError(str(exc)) from exc


def _matches(name: str, glob: str) -> bool:
    """`**/` may stand for no folder at all, and a glob without a slash matches file names anywhere."""
    glob = glob.removeprefix("./")
    if "/" not in glob:
        return fnmatch.fnmatch(name.rsplit("/", 1)[-1], glob)
    return fnmatch.fnmatch(name, glob) or fnmatch.fnmatch(name, glob.replace("**/", ""))
