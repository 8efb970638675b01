"""The docs stay true to the repository: their links resolve, the README starts with the two quick-start
commands, every event type is in the event contract, and the modules and names the docs point at exist."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from codeframe_tui.engine.events import ALL_EVENTS

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "codeframe_tui"
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
# `engine/lead.py LeadAgent._start_ready`, in prose or in a diagram: a module and a name in it.
MODULE_AND_NAME = re.compile(r"((?:\w+/)+\w+\.py) ([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)\b")
MODULE = re.compile(r"`((?:codeframe_tui/|tests/|benchmarks/)?(?:\w+/)+[\w.]+\.(?:py|toml|tcss))`")


def anchors(page: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces as hyphens."""
    found = set()
    for line in FENCE.sub("", page.read_text()).splitlines():
        if line.startswith("#"):
            text = line.lstrip("#").strip().lower()
            found.add(re.sub(r"\s", "-", re.sub(r"[^\w\- ]", "", text)))
    return found


def links(page: Path) -> list[str]:
    return [m.group(1) for m in LINK.finditer(FENCE.sub("", page.read_text()))]


def source(path: str) -> Path | None:
    for base in (PACKAGE, ROOT):
        if (base / path).exists():
            return base / path
    return None


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_resolves(page):
    broken = []
    for target in links(page):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto: not checked here
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(target)
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target} (no such heading)")
    assert broken == [], f"{page.name}: broken links {broken}"


def test_the_readme_starts_with_make_demo_then_make_test():
    readme = (ROOT / "README.md").read_text()
    first_block = FENCE.search(readme).group(0).splitlines()[1:-1]
    commands = [line.split("#")[0].strip() for line in first_block if line.strip()]
    assert commands[:2] == ["make demo", "make test"]


def test_every_event_type_is_in_the_event_contract():
    contract = (ROOT / "docs" / "events.md").read_text()
    missing = [cls.type for cls in ALL_EVENTS if f"`{cls.type}`" not in contract]
    assert missing == [], f"docs/events.md does not describe {missing}"


def braced(text: str, start: int) -> str:
    """The text of the {...} that opens at `start`, nested braces included."""
    depth = 0
    for end in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0:
            return text[start + 1:end]
    return text[start + 1:]


def test_every_field_of_every_event_is_in_the_event_contract():
    contract = (ROOT / "docs" / "events.md").read_text()
    missing = []
    for cls in ALL_EVENTS:
        entry = re.search(rf"^- `{cls.type}` \{{", contract, re.M)
        if entry is None:
            missing.append(f"{cls.type} {{fields}}")
            continue
        named = set(re.findall(r"\w+", braced(contract, entry.end() - 1)))
        missing += [f"{cls.type}.{f.name}" for f in dataclasses.fields(cls) if f.name != "ts" and f.name not in named]
    assert missing == [], f"docs/events.md misses {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_the_modules_the_docs_name_exist(page):
    text = page.read_text()
    missing = [m for m in MODULE.findall(text) if "*" not in m and source(m) is None]
    assert missing == [], f"{page.name} names modules that do not exist: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_the_files_the_docs_name_by_their_name_alone_exist(page):
    everywhere = {p.name for base in ("codeframe_tui", "tests", "benchmarks", "scripts")
                  for p in (ROOT / base).rglob("*")}
    everywhere.add("more.py")  # more-itertools' module, the benchmarks' real project
    named = re.findall(r"`(\w+\.(?:py|tcss))`", page.read_text())
    assert [n for n in named if n not in everywhere] == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_the_names_the_docs_place_in_a_module_are_there(page):
    wrong = []
    for path, name in MODULE_AND_NAME.findall(page.read_text()):
        file = source(path)
        if file is None:
            wrong.append(f"{path} (no such module)")
            continue
        code = file.read_text()
        for part in name.split("."):
            if not re.search(rf"^\s*(?:async def|def|class) {re.escape(part)}\b|^{re.escape(part)}\b.*=", code, re.M):
                wrong.append(f"{path} {name}")
                break
    assert wrong == [], f"{page.name}: not found where the docs say: {wrong}"
