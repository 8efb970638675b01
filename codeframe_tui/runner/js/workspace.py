"""A JS monorepo's workspace root and packages, so a task's tests run in the package its files are in.

Packages come from pnpm-workspace.yaml (`packages:` globs, `!` exclusions) or from package.json
`workspaces` (an array, or yarn 1's `{"packages": [...]}`). The YAML is read by a small parser of
the one list it needs, so the runner adds no dependency.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codeframe_tui.runner.js.packagejson import ancestors, read_package_json

# Never walked for packages: installed dependencies and tool caches are not the person's packages.
_SKIP_DIRS = {"node_modules", ".git", ".hg", ".yarn", ".pnpm-store", ".next", ".turbo", "dist", "build", "coverage"}
_MAX_DEPTH = 8  # `packages/**` in a big repository must not walk forever
_MAX_PACKAGES = 2000


@dataclass(frozen=True)
class Workspace:
    """The workspace `root`, its member `packages` (folders, sorted, the root not among them),
    and `source`: "pnpm-workspace.yaml", "package.json workspaces", or "" for a lone package."""

    root: Path
    packages: tuple[Path, ...] = ()
    source: str = ""

    def package_for(self, path: Path) -> Path:
        """The deepest package folder containing `path` (a file or folder), else the root."""
        path = Path(path)
        if not path.is_absolute():
            path = self.root / path
        path = path.resolve()
        best = self.root
        for package in self.packages:
            if path == package or package in path.parents:
                if len(package.parts) > len(best.parts):
                    best = package
        return best

    def names(self) -> dict[str, Path]:
        """Package name (from its package.json) → folder, for `--filter name` and `yarn workspace name`."""
        named: dict[str, Path] = {}
        for package in self.packages:
            name = read_package_json(package).get("name")
            if isinstance(name, str) and name:
                named.setdefault(name, package)
        return named

    def select(self, selector: str) -> tuple[Path, ...]:
        """The packages a pnpm `--filter` (or npm `--workspace`) selector names.

        Handles names (`@app/web`, `@app/*`), paths (`./packages/a`, `./apps/**`, `{apps/web}`)
        and a leading `!`. Dependency selectors (`foo...`, `...^foo`) select the named package
        only: following the dependency graph is beyond this.
        """
        negate = selector.startswith("!")
        selector = selector.removeprefix("!").strip("{}").removeprefix("...").removesuffix("...").lstrip("^")
        if selector.startswith((".", "/")):
            pattern = _glob_regex(selector)
            chosen = {p for p in self.packages if pattern.fullmatch(p.relative_to(self.root).as_posix())}
        else:
            chosen = {path for name, path in self.names().items() if fnmatch.fnmatchcase(name, selector)}
            chosen |= {p for p in self.packages if p.relative_to(self.root).as_posix() == selector}
        if negate:
            chosen = set(self.packages) - chosen
        return tuple(sorted(chosen))


def find_workspace(start: Path, stop: Path | None = None) -> Workspace:
    """The workspace that `start` is part of, looking up to `stop`.

    A folder above that declares workspaces counts only if `start` is the root or one of its
    packages; otherwise the nearest folder with a package.json is a workspace of its own.
    """
    start = Path(start).resolve()
    nearest: Path | None = None
    for folder in ancestors(start, stop):
        if nearest is None and (folder / "package.json").is_file():
            nearest = folder
        globs, source = _declared_globs(folder)
        if not source:
            continue
        workspace = Workspace(folder, _expand(folder, globs), source)
        if folder == start or workspace.package_for(start) != folder:
            return workspace
    return Workspace(nearest or start)


def _declared_globs(folder: Path) -> tuple[list[str], str]:
    yaml = folder / "pnpm-workspace.yaml"
    if yaml.is_file():
        try:
            return parse_pnpm_workspace(yaml.read_text(encoding="utf-8", errors="replace")), "pnpm-workspace.yaml"
        except OSError:
            return [], ""
    declared: Any = read_package_json(folder).get("workspaces")
    if isinstance(declared, dict):  # yarn 1: {"packages": [...], "nohoist": [...]}
        declared = declared.get("packages")
    if isinstance(declared, list):
        return [g for g in declared if isinstance(g, str)], "package.json workspaces"
    return [], ""


def parse_pnpm_workspace(text: str) -> list[str]:
    """The `packages:` list of a pnpm-workspace.yaml: block (`- 'a/*'`) or flow (`['a/*']`) style."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        match = re.match(r"^packages\s*:\s*(.*)$", line)
        if not match:
            continue
        rest = _strip_comment(match.group(1)).strip()
        if rest.startswith("["):
            return [_unquote(item) for item in rest.strip("[]").split(",") if item.strip()]
        items = []
        for item in lines[index + 1 :]:
            body = _strip_comment(item).rstrip()
            if not body.strip():
                continue
            if not item[:1].isspace() and not body.startswith("-"):
                break  # the next top-level key
            entry = re.match(r"^\s*-\s*(.+)$", body)
            if entry:
                items.append(_unquote(entry.group(1)))
        return items
    return []


def _strip_comment(text: str) -> str:
    """Drop a `# comment` that is outside quotes (a glob may not contain `#` otherwise)."""
    quote = ""
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or text[index - 1].isspace()):
            return text[:index]
    return text


def _unquote(item: str) -> str:
    item = item.strip()
    if len(item) >= 2 and item[0] == item[-1] and item[0] in "'\"":
        return item[1:-1]
    return item


def _glob_regex(glob: str) -> re.Pattern[str]:
    """A workspace glob as a regex over a relative posix path: `*` stays in one folder, `**` spans any."""
    glob = glob.strip().strip("/").removeprefix("./")
    out = []
    index = 0
    while index < len(glob):
        if glob.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif glob.startswith("**", index):
            out.append(".*")
            index += 2
        elif glob[index] == "*":
            out.append("[^/]*")
            index += 1
        elif glob[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(glob[index]))
            index += 1
    return re.compile("".join(out))


def _expand(root: Path, globs: list[str]) -> tuple[Path, ...]:
    """The folders under `root` with a package.json that match an include glob and no `!` glob."""
    include = [_glob_regex(g) for g in globs if not g.startswith("!")]
    exclude = [_glob_regex(g[1:]) for g in globs if g.startswith("!")]
    if not include:
        return ()
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        rel = here.relative_to(root).as_posix()
        depth = 0 if rel == "." else rel.count("/") + 1
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".")) if depth < _MAX_DEPTH else []
        if rel == "." or "package.json" not in files:
            continue
        if any(p.fullmatch(rel) for p in include) and not any(p.fullmatch(rel) for p in exclude):
            found.append(here)
            if len(found) >= _MAX_PACKAGES:
                break
    return tuple(sorted(found))
