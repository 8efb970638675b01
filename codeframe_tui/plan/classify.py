"""Picks a task's agent type from its files and words, matching whole words only, never substrings."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath

from codeframe_tui.domain import AgentType

# Whole words only: the ancestor matched substrings and sent "latest" to the tester and "build" to the
# frontend. Tokens are runs of letters and digits, so "front-end" is two tokens (handled as a pair).
_WORD = re.compile(r"[a-z0-9]+")
# Lower case and not a package name (react-window): the verb.
_REACT_VERB = re.compile(r"\breact\b(?!-)")
# A React hook or a hook file: useAuthStore, useCanvas.ts. Case matters, so it is read before lowering.
_HOOK = re.compile(r"\buse[A-Z][A-Za-z0-9]*")
# A named component is UI ("the HeroSection component", "a Footer component"), where "the coverage
# components" of a tool are not.
_NAMED_COMPONENT = re.compile(r"\b[A-Z][A-Za-z0-9]*\s+component\b")

_TEST_WORDS = frozenset({
    "test", "tests", "testing", "tested", "pytest", "unittest", "jest", "vitest", "mocha", "playwright",
    "cypress", "e2e", "coverage", "fixture", "fixtures", "tdd", "xunit", "nunit", "junit", "rspec",
    "testcontainers", "assert", "asserts", "assertion", "assertions", "hurl", "suite",
})
# Neither "html" nor "components" is here: "HTML coverage reports" and "the coverage components" are
# backend work. A frontend file or folder still says frontend.
_FRONTEND_WORDS = frozenset({
    "ui", "ux", "frontend", "react", "vue", "svelte", "angular", "css", "scss", "jsx", "tsx", "tailwind",
    "button", "buttons", "modal", "dialog", "layout", "page", "pages", "form", "forms", "stylesheet", "style",
    "styled", "styles", "styling", "responsive", "navbar", "sidebar", "browser", "dom", "screen", "screens",
    "widget", "widgets", "theme", "themes", "tab", "tabs", "skeleton", "skeletons", "canvas", "navigation",
    "card", "cards", "dashboard", "typography", "border", "strikethrough", "accessibility", "wcag", "aria",
    "a11y", "touch", "tablet", "pwa", "portal", "panel", "panels", "viewer", "drag", "dragover", "tooltip",
    "animation", "animations", "dark", "storybook",
})
_BACKEND_WORDS = frozenset({
    "backend", "api", "endpoint", "endpoints", "server", "database", "db", "sql", "migration", "migrations",
    "schema", "model", "models", "service", "services", "cli", "query", "queries", "repository", "worker",
    "cors", "middleware", "controller", "handler", "docker", "dockerfile", "deploy", "deployment",
    "kubernetes", "adapter", "adapters", "enum", "parser", "storage", "artifact", "artifacts", "cron", "queue",
    "monitoring", "alarm", "alarms", "logging", "metrics",
})
# A test word right before one of these names a part of a tool, not tests to write: "the coverage
# adapters", "the test result models", "a testing tool".
_MADE_THINGS = frozenset({
    "adapter", "adapters", "enum", "model", "models", "parser", "generator", "generators", "report", "reports",
    "result", "results", "tool", "tools", "components", "runner", "engine", "data", "metadata",
})
_VALIDATE_WORDS = frozenset({"validate", "validation", "verify", "verification"})

_TEST_DIRS = frozenset({"tests", "test", "__tests__", "spec", "e2e", "cypress", "testutil", "testutils",
                        "test-utils", "testdata", "conformance"})
_FRONTEND_DIRS = frozenset({"components", "frontend", "web", "web-ui", "webapp", "pages", "styles"})
# Places that hold UI code in a JS, TS or Dart project; in a Python or Go tree "ui/" or "views/" is not.
_CLIENT_DIRS = frozenset({"client", "ui", "views", "widgets", "screens", "theme", "hooks", "stores", "store",
                          "presentation", "layouts"})
_FRONTEND_SUFFIXES = frozenset({".tsx", ".jsx", ".vue", ".svelte", ".css", ".scss", ".sass", ".less", ".html",
                                ".postcss", ".pcss"})
# Dart is Flutter's, but its data and domain layers are not UI: a .dart file is UI by place or name only.
_CLIENT_SUFFIXES = frozenset({".ts", ".js", ".mjs", ".dart", ""})
_UI_NAME = re.compile(r".+_(screen|page|widget|view|dialog|theme|router)\.dart$")
_BACKEND_SUFFIXES = frozenset({".py", ".go", ".rs", ".java", ".kt", ".rb", ".php", ".cs", ".sql", ".ex"})
_BACKEND_DIRS = frozenset({"java", "kotlin", "server", "backend", "api"})
_DOC_SUFFIXES = frozenset({".md", ".rst", ".txt", ".adoc"})
_TEST_NAME = re.compile(r"^(test_.+\.py|.+_test\.(py|go|dart)|conftest\.py|.+\.(test|spec|cy)\.[a-z]+|.+\.hurl)$")
# Android's resources: res/layout, res/values (strings, colours), res/drawable...
_ANDROID_RES = re.compile(r"(^|/)res/(layout|values|drawable|mipmap|menu|navigation|anim|color|font)[^/]*/")
_FRONTEND_CONFIG = re.compile(r"^(vite|vitest|tailwind|postcss|next|nuxt|svelte|astro)\.config\.[a-z]+$")

# Things that look like paths in task text: a/b/c.ext, a/b/, or a bare file name with a known suffix.
# Quotes and punctuation around a word are stripped, not matched: a lazy group before a greedy tail
# backtracked quadratically on a long word of brackets.
_PATH_LEAD = "`'\"(["
_PATH_TAIL = "`'\")],.;:!?"
_PATH_CHARS = re.compile(r"[A-Za-z0-9_.@~\-/\[\]]+")
_SUFFIXES = frozenset({
    "py", "pyi", "ts", "tsx", "js", "jsx", "mjs", "vue", "svelte", "css", "scss", "html", "md", "json", "yaml",
    "yml", "toml", "ini", "cfg", "go", "rs", "java", "kt", "rb", "php", "sql", "sh", "c", "h", "cpp", "hpp", "cs",
    "swift", "txt", "lock", "env", "dart", "postcss", "pcss", "hurl", "rst", "xml",
})

# On a tie in words, the narrower kind wins: "add API tests" is a test task.
_TIE_ORDER = (AgentType.TEST, AgentType.FRONTEND, AgentType.BACKEND)


def _file_signal(path: str) -> str:
    """"test", "frontend", "backend" (a server-side language), "doc", or "" for a file that says nothing."""
    p = PurePosixPath(path.replace("\\", "/").lower())
    is_dir = path.endswith("/")
    dirs = set(p.parts) if is_dir else set(p.parts[:-1])
    suffix = "" if is_dir else p.suffix
    if dirs & _TEST_DIRS or (not is_dir and _TEST_NAME.match(p.name)):
        return "test"
    if suffix in _BACKEND_SUFFIXES:
        return "backend"
    if suffix in _DOC_SUFFIXES or "docs" in dirs:
        return "doc"
    if (suffix in _FRONTEND_SUFFIXES or dirs & _FRONTEND_DIRS or _FRONTEND_CONFIG.match(p.name)
            or _ANDROID_RES.search(p.as_posix() + ("" if is_dir else "/"))):
        return "frontend"
    if suffix in _CLIENT_SUFFIXES and (_HOOK.match(PurePosixPath(path).name) or _UI_NAME.match(p.name)):
        return "frontend"
    # The outer folder wins: client/src/shared/api/refresh.ts is the browser's side of the API, and
    # backend/internal/store/ is not a client's store.
    folders = p.parts if is_dir else p.parts[:-1]
    for folder in folders:
        if folder in _BACKEND_DIRS:
            return "backend"
        if folder in _CLIENT_DIRS and suffix in _CLIENT_SUFFIXES:
            return "frontend"
    return ""


def file_kind(path: str) -> AgentType:
    """What kind of work a file implies: test and frontend files by place or name, anything else backend."""
    signal = _file_signal(path)
    return AgentType.TEST if signal == "test" else AgentType.FRONTEND if signal == "frontend" else AgentType.BACKEND


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


def _by_files(signals: list[str]) -> AgentType | None:
    """Test and frontend files decide: more test files than frontend ones, or a tie, means test. Not
    when server code outnumbers them: "Create backend/internal/auth/, backend/internal/store/ and
    backend/tests/contract/" lays out a backend."""
    tests, fronts = signals.count("test"), signals.count("frontend")
    if (tests or fronts) and signals.count("backend") <= tests + fronts:
        return AgentType.TEST if tests >= fronts else AgentType.FRONTEND
    return None


def _by_words(text: str, words: list[str], ui_ruled_out: bool, docs: bool) -> AgentType | None:
    """Whole words vote; ties go test, then frontend. Frontend words are not counted when the files
    are server code ("the CORS policy for the frontend origin in Program.cs") or documents only
    ("Write frontend/README.md"). A docs task is backend work unless its words say it tests something,
    and checking documents counts as testing them ("Run the quickstart.md validation")."""
    scores = dict.fromkeys(AgentType, 0)
    if not ui_ruled_out:
        scores[AgentType.FRONTEND] += bool(_HOOK.search(text)) + bool(_NAMED_COMPONENT.search(text))
    for i, word in enumerate(words):
        following = words[i + 1:i + 3]
        if docs and word in _VALIDATE_WORDS:
            scores[AgentType.TEST] += 1
        elif word in _TEST_WORDS:
            made = _MADE_THINGS.intersection(following) or (i and words[i - 1] in ("generated", "generate"))
            scores[AgentType.BACKEND if made else AgentType.TEST] += 1
        elif word == "end" and following == ["to", "end"]:
            scores[AgentType.TEST] += 1
        elif word in _FRONTEND_WORDS or (word == "front" and following[:1] == ["end"]):
            if not ui_ruled_out:
                scores[AgentType.FRONTEND] += 1
        elif word in _BACKEND_WORDS:
            scores[AgentType.BACKEND] += 1
    best = max(scores.values())
    if best:
        return next(kind for kind in _TIE_ORDER if scores[kind] == best)
    return AgentType.BACKEND if docs else None


def _prose_words(text: str) -> list[str]:
    # Paths are judged as files, not as words: "codeframe/ui/routers.py" is not a UI task. "React" is
    # the library, "react to auth changes" the verb: the one word whose case decides.
    prose = _REACT_VERB.sub("reacts", " ".join(word for word in text.split() if "/" not in word))
    return _WORD.findall(prose.lower())


def classify_agent_type(
    title: str, description: str = "", files: Sequence[str] | Iterable[str] = (), *,
    default: AgentType = AgentType.BACKEND,
) -> AgentType:
    """Decide backend, frontend or test for a task that did not say.

    The task's own files weigh most: a test or frontend file decides (see `_by_files`). Then the title
    is read, and only if it says nothing, the description: first the paths it mentions, then its
    whole words (paths excluded). A title is what the task is; a description often names the
    neighbours it touches. No signal at all gives `default`: backend, or for a subtask its parent's type.
    """
    given = [_file_signal(f) for f in files]
    if decided := _by_files(given):
        return decided
    for text in (title, description):
        signals = given or [_file_signal(p) for p in find_paths(text)]
        if not given and (decided := _by_files(signals)):
            return decided
        kinds = set(signals)
        if decided := _by_words(text, _prose_words(text), "backend" in kinds or kinds == {"doc"}, kinds == {"doc"}):
            return decided
    return default
