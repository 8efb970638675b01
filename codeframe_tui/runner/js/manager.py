"""Which package manager a JS project uses, and the argv that runs its scripts and binaries.

The `packageManager` field of the nearest package.json (up to the workspace root) decides; else
the lockfile; else npm. A tool that is not on PATH is run through corepack when corepack is
(`corepack pnpm ...` works without `corepack enable`); with neither, MissingTool says what to do.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from codeframe_tui.runner.js.packagejson import ancestors, read_package_json

MANAGERS = ("npm", "pnpm", "yarn", "bun")

# Nearest-first within one folder. package-lock.json comes last: it is the lockfile most often
# left behind by a stray `npm install` in a project that really uses another manager.
_LOCKFILES = (
    ("pnpm-lock.yaml", "pnpm"),
    ("bun.lock", "bun"),
    ("bun.lockb", "bun"),
    ("yarn.lock", "yarn"),
    ("package-lock.json", "npm"),
    ("npm-shrinkwrap.json", "npm"),
)
_SPEC = re.compile(r"^\s*(?P<name>npm|pnpm|yarn|bun)(?:@(?P<version>[^+\s]+))?")
# Without a prompt, corepack waits for a "Y" on stdin before its first download of a tool.
COREPACK_ENV = (("COREPACK_ENABLE_DOWNLOAD_PROMPT", "0"),)


@dataclass(frozen=True)
class PackageManager:
    """A project's package manager: `name` (npm, pnpm, yarn, bun), the `version` it asks for
    (None when no packageManager field gives one), the `root` folder where it was decided, and
    `found_by`, a few words for logs ("packageManager in package.json", "yarn.lock", "default").

    `berry` is true for yarn 2 and later, whose CLI differs from yarn 1 ("classic").
    """

    name: str
    version: str | None
    root: Path
    found_by: str
    berry: bool = False

    @property
    def spec(self) -> str:
        """"pnpm@9.12.0", or just "pnpm" when no version was asked for."""
        return f"{self.name}@{self.version}" if self.version else self.name

    @property
    def runs_pre_post_scripts(self) -> bool:
        """Whether `<pm> run test` also runs `pretest` and `posttest`.

        npm, yarn 1 and bun do; yarn 2+ dropped them; pnpm stopped in v6 unless
        `enable-pre-post-scripts=true` is in the project's .npmrc.
        """
        if self.name == "pnpm":
            return _npmrc_enables_pre_post(self.root)
        return not (self.name == "yarn" and self.berry)


def detect_manager(start: Path, stop: Path | None = None) -> PackageManager:
    """The package manager for the package in `start`, looking up to `stop` (the project root)."""
    chain = ancestors(start, stop)
    for folder in chain:
        field = read_package_json(folder).get("packageManager")
        match = _SPEC.match(field) if isinstance(field, str) else None
        if match:
            name, version = match["name"], match["version"]
            berry = name == "yarn" and (_major(version) >= 2 if version else _is_berry(folder))
            return PackageManager(name, version, folder, f"packageManager in {folder / 'package.json'}", berry)
    for folder in chain:
        for lockfile, name in _LOCKFILES:
            if (folder / lockfile).is_file():
                berry = name == "yarn" and _is_berry(folder)
                return PackageManager(name, None, folder, lockfile, berry)
    return PackageManager("npm", None, chain[0], "default")


def _is_berry(folder: Path) -> bool:
    """yarn 2+ leaves a .yarnrc.yml, and its lockfile has a `__metadata:` block; yarn 1's has neither."""
    if (folder / ".yarnrc.yml").is_file():
        return True
    try:
        with (folder / "yarn.lock").open(encoding="utf-8", errors="replace") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return "__metadata:" in head


def _npmrc_enables_pre_post(folder: Path) -> bool:
    try:
        text = (folder / ".npmrc").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return re.search(r"^\s*enable-pre-post-scripts\s*=\s*true\s*$", text, re.MULTILINE) is not None


def _major(version: str | None) -> int:
    match = re.match(r"\d+", version or "")
    return int(match.group()) if match else 0


# -- how to run it ------------------------------------------------------------------


class MissingTool(RuntimeError):
    """The package manager is not installed; the message names the command that fixes it."""


@dataclass(frozen=True)
class Invocation:
    """How to run a project's scripts and binaries: argv prefixes, plus environment to lay over
    os.environ. `script(name, args)` runs a package.json script; `exec(binary, args)` runs a
    binary from node_modules/.bin and never downloads one that is missing."""

    manager: PackageManager
    tool: tuple[str, ...]  # ("/usr/bin/pnpm",) or ("/usr/bin/corepack", "pnpm")
    via_corepack: bool = False
    env: tuple[tuple[str, str], ...] = COREPACK_ENV

    def script(self, name: str, args: tuple[str, ...] = ()) -> tuple[str, ...]:
        if self.manager.name == "npm":
            # npm keeps flags before `--` for itself (`npm run test --watch` sets a config value).
            return (*self.tool, "run", name, *(("--", *args) if args else ()))
        return (*self.tool, "run", name, *args)

    def exec_prefix(self) -> tuple[str, ...]:
        """The words before a binary's name: `npx --no --`, `pnpm exec`, `yarn exec`, `bun run`."""
        name = self.manager.name
        if name == "npm":
            # --no: never install a binary that is missing (a typo must not fetch a stranger's package).
            return (*self.tool[:-1], *_npx(self.tool[-1]), "--no", "--")
        if name == "pnpm" or (name == "yarn" and self.manager.berry):
            return (*self.tool, "exec")
        return (*self.tool, "run")  # yarn 1 and bun run a node_modules/.bin binary by name

    def exec(self, binary: str, args: tuple[str, ...] = ()) -> tuple[str, ...]:
        return (*self.exec_prefix(), binary, *args)


def _npx(npm: str) -> tuple[str, ...]:
    """npx sits next to npm; `npm exec` is the same command when it does not."""
    npx = Path(npm).with_name("npx")
    return (str(npx),) if npx.is_file() else (npm, "exec")


def invocation(manager: PackageManager, which: Callable[[str], str | None] | None = None) -> Invocation:
    """The Invocation for `manager` on this machine; raises MissingTool when it cannot run.

    `which` defaults to shutil.which, looked up at call time so tests can patch it.
    """
    which = which or shutil.which
    found = which(manager.name)
    if found:
        return Invocation(manager, (found,))
    corepack = which("corepack")
    if corepack and manager.name in ("pnpm", "yarn"):
        return Invocation(manager, (corepack, manager.name), via_corepack=True)
    raise MissingTool(missing_tool_message(manager))


def missing_tool_message(manager: PackageManager) -> str:
    """What to tell a person whose package manager is not installed."""
    asked = f" (package.json asks for {manager.spec})" if manager.version else f" (found by {manager.found_by})"
    head = f"{manager.name} is not installed{asked}"
    if manager.name == "npm":
        return f"{head}: install Node.js, which includes npm (https://nodejs.org)"
    if manager.name == "bun":
        return f"{head}: run `npm install -g {manager.spec}`, or see https://bun.sh"
    if manager.name == "yarn":
        # A global yarn 1 hands over to the project's own yarn (yarnPath or packageManager).
        return f"{head}: run `corepack enable`, or `npm install -g yarn`"
    return f"{head}: run `corepack enable`, or `npm install -g {manager.spec}`"
