"""Picks a task's agent type from its files and words, matching whole words only, never substrings."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath

from codeframe_tui.domain import AgentType

# Whole words only: the ancestor matched substrings and sent "latest" to the tester and "build" to the
# frontend. Tokens are runs of letters and digits, so "front-end" is two tokens (handled as a pair).
_WORD = re.compile(r"[a-z0-9]+")

_TEST_WORDS = frozenset({
    "test", "tests", "testing", "tested", "pytest", "unittest", "jest", "vitest", "mocha", "playwright",
    "cypress", "e2e", "coverage", "fixture", "fixtures", "tdd",
})
_FRONTEND_WORDS = frozenset({
    "ui", "ux", "frontend", "component", "components", "react", "vue", "svelte", "angular", "css", "scss",
    "html", "jsx", "tsx", "tailwind", "button", "buttons", "modal", "dialog", "layout", "page", "pages",
    "form", "forms", "stylesheet", "styles", "styling", "responsive", "navbar", "sidebar", "browser", "dom",
})
_BACKEND_WORDS = frozenset({
    "backend", "api", "endpoint", "endpoints", "server", "database", "db", "sql", "migration", "migrations",
    "schema", "model", "models", "service", "services", "cli", "query", "queries", "repository", "worker",
})

_TEST_DIRS = frozenset({"tests", "test", "__tests__", "spec", "specs", "e2e"})
_FRONTEND_DIRS = frozenset({"components", "frontend", "web", "web-ui", "webapp", "pages", "styles"})
_FRONTEND_SUFFIXES = frozenset({".tsx", ".jsx", ".vue", ".svelte", ".css", ".scss", ".sass", ".less", ".html"})
_TEST_NAME = re.compile(r"^(test_.+\.py|.+_test\.(py|go)|conftest\.py|.+\.(test|spec)\.[a-z]+)$")

# Things that look like paths in task text: a/b/c.ext, a/b/, or a bare file name with a known suffix.
# Quotes and punctuation around a word are stripped, not matched: a lazy group before a greedy tail
# backtracked quadratically on a long word of brackets.
_PATH_LEAD = "`'\"(["
_PATH_TAIL = "`'\")],.;:!?"
_PATH_CHARS = re.compile(r"[A-Za-z0-9_.@~\-/\[\]]+")
_SUFFIXES = frozenset({
    "py", "pyi", "ts", "tsx", "js", "jsx", "mjs", "vue", "svelte", "css", "scss", "html", "md", "json", "yaml",
    "yml", "toml", "ini", "cfg", "go", "rs", "java", "kt", "rb", "php", "sql", "sh", "c", "h", "cpp", "hpp", "cs",
    "swift", "txt", "lock", "env",
})

# On a tie in words, the narrower kind wins: "add API tests" is a test task.
_TIE_ORDER = (AgentType.TEST, AgentType.FRONTEND, AgentType.BACKEND)


def file_kind(path: str) -> AgentType:
    """What kind of work a file implies: test and frontend files by place or name, anything else backend."""
    p = PurePosixPath(path.replace("\\", "/").lower())
    dirs = set(p.parts) if path.endswith("/") else set(p.parts[:-1])
    if dirs & _TEST_DIRS or _TEST_NAME.match(p.name):
        return AgentType.TEST
    if p.suffix in _FRONTEND_SUFFIXES or dirs & _FRONTEND_DIRS:
        return AgentType.FRONTEND
    return AgentType.BACKEND


def find_paths(text: str) -> tuple[str, ...]:
    """File and folder paths mentioned in free text, in order, without repeats."""
    found: dict[str, None] = {}
    for word in text.split():
        token = word.lstrip(_PATH_LEAD).rstrip(_PATH_TAIL)
        if not _PATH_CHARS.fullmatch(token) or "://" in word:
            continue
        name = token.rstrip("/").rsplit("/", 1)[-1]
        stem, dot, suffix = name.rpartition(".")
        has_suffix = bool(dot and stem and suffix.lower() in _SUFFIXES)
        if "/" in token.strip("/"):
            # "and/or" or "client/server" is prose; a path ends in a file name or a slash.
            if has_suffix or token.endswith("/"):
                found[token] = None
        elif token.endswith("/") and len(token) > 1:
            found[token] = None
        elif has_suffix and not (suffix == "js" and stem[:1].isupper()):
            # "Node.js" and "Vue.js" are names of tools, not files.
            found[token] = None
    return tuple(found)


def _word_votes(text: str, weight: int, scores: dict[AgentType, int]) -> None:
    # Paths are judged as files, not as words: "codeframe/ui/routers.py" is not a UI task.
    prose = " ".join(word for word in text.split() if "/" not in word)
    words = _WORD.findall(prose.lower())
    for i, word in enumerate(words):
        if word in _TEST_WORDS:
            scores[AgentType.TEST] += weight
        elif word in _FRONTEND_WORDS or (word == "front" and i + 1 < len(words) and words[i + 1] == "end"):
            scores[AgentType.FRONTEND] += weight
        elif word in _BACKEND_WORDS:
            scores[AgentType.BACKEND] += weight


def classify_agent_type(
    title: str, description: str = "", files: Sequence[str] | Iterable[str] = (), *,
    default: AgentType = AgentType.BACKEND,
) -> AgentType:
    """Decide backend, frontend or test for a task that did not say.

    Files weigh most: if any named file is a test or frontend file, the files decide (more test files
    than frontend files means test; a tie means test). A plain source file does not decide on its own,
    because a test task names the module it tests ("Write tests for src/parser.py"). With no files
    given, the paths mentioned in the text are used. Otherwise whole words decide (paths excluded),
    a title word counting twice a description word; ties go test, then frontend. No signal at all
    gives `default`: backend, or for a subtask its parent's type ("Theme switcher" under a page).
    """
    kinds = [file_kind(f) for f in (tuple(files) or find_paths(f"{title}\n{description}"))]
    tests, fronts = kinds.count(AgentType.TEST), kinds.count(AgentType.FRONTEND)
    if tests or fronts:
        return AgentType.TEST if tests >= fronts else AgentType.FRONTEND
    scores = dict.fromkeys(AgentType, 0)
    _word_votes(title, 2, scores)
    _word_votes(description, 1, scores)
    best = max(scores.values())
    if best == 0:
        return default
    return next(kind for kind in _TIE_ORDER if scores[kind] == best)
