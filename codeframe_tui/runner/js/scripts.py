"""package.json's `test` script as the steps it really runs, each named and classified.

`pnpm lint && pnpm test:types && pnpm vitest run` is three steps (lint, types, vitest), so a
failing lint says "lint ✗" instead of "0 passed of 0"; `jest -c a.js && jest -c b.js` is two jest
steps whose counts add up. References to other scripts (`npm run X`, `pnpm X`, `yarn X`, `bun run X`,
`run-s`/`run-p`/`npm-run-all` with globs, `concurrently "npm:a" "npm:b"`) are expanded with a guard
against cycles; recursive runs (`pnpm -r test`, `npm test --workspaces`, `yarn workspaces foreach
run test`, and the task runners' `turbo run test` and `nx run-many -t test`) become one "workspaces"
step holding the steps of every package's script.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from codeframe_tui.runner.js.commands import (
    classify,
    coverage_wrapped,
    parse_command,
    runner_of,
    split_steps,
    tool_words,
)
from codeframe_tui.runner.js.manager import PackageManager
from codeframe_tui.runner.js.packagejson import read_package_json, scripts_of
from codeframe_tui.runner.js.task_runners import task_runner_tasks
from codeframe_tui.runner.js.workspace import Workspace

_MAX_STEPS = 200  # a script that expands past this is generated or pathological
_MAX_DEPTH = 25
_NPM_ALIASES = {"t": "test", "tst": "test", "test": "test", "start": "start", "stop": "stop", "restart": "restart"}
_RUN_ALL_VALUE_OPTS = {"--npm-path", "--max-parallel", "-r", "--race-condition"}
_CONCURRENTLY_VALUE_OPTS = {"-n", "--names", "-c", "--prefix-colors", "-p", "--prefix", "-m", "--max-processes",
                            "-s", "--success", "--restart-tries", "--restart-after", "--default-input-target",
                            "-l", "--prefix-length", "-t", "--timestamp-format", "--name-separator", "--handle-input"}


@dataclass(frozen=True)
class Step:
    """One step of a test script.

    `command` is its text as written and `script` the script it came from; it runs in `package`.
    `kind` is "test", "lint", "types", "build", "other", or "workspaces" (then `children` holds the
    steps of each package's script). For a test runner, `runner` names it and `argv` runs it
    directly (the package manager's exec prefix, the runner, its arguments) with `env` laid over
    the environment; `argv` is empty when the step needs a shell (`jest || true`). `note` says why a
    step could not be expanded (a cycle, a missing script).
    """

    command: str
    script: str
    package: Path
    kind: str
    runner: str | None = None
    argv: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    note: str = ""
    children: tuple[Step, ...] = field(default=())

    @property
    def label(self) -> str:
        """The step's short name on screen: "vitest", "lint", "types", or the script's name."""
        if self.runner:
            return self.runner
        if self.kind in ("lint", "types", "build"):
            return self.kind
        return self.script


def script_steps(
    package: Path,
    manager: PackageManager,
    exec_prefix: tuple[str, ...],
    workspace: Workspace | None = None,
    script: str = "test",
) -> list[Step]:
    """The steps of `script` (default "test") in the package folder `package`.

    `exec_prefix` is Invocation.exec_prefix() (how to run a node_modules binary); `workspace`
    is needed only to expand recursive runs.
    """
    return _Expander(manager, exec_prefix, workspace).script(Path(package).resolve(), script, ())


def leaves(steps: list[Step] | tuple[Step, ...]) -> list[Step]:
    """Every step that runs something, the workspaces steps replaced by their children."""
    out: list[Step] = []
    for step in steps:
        out.extend(leaves(step.children) if step.kind == "workspaces" else [step])
    return out


class _Expander:
    """One expansion: the scripts on the way down (for cycles) and the steps made so far (for the cap)."""

    def __init__(self, manager: PackageManager, exec_prefix: tuple[str, ...], workspace: Workspace | None) -> None:
        self.manager = manager
        self.exec_prefix = exec_prefix
        self.workspace = workspace
        self.stack: list[tuple[Path, str]] = []
        self.made = 0
        self._scripts: dict[Path, dict[str, str]] = {}

    def scripts_in(self, package: Path) -> dict[str, str]:
        if package not in self._scripts:
            self._scripts[package] = scripts_of(read_package_json(package))
        return self._scripts[package]

    def script(self, package: Path, name: str, args: tuple[str, ...]) -> list[Step]:
        scripts = self.scripts_in(package)
        if name not in scripts:
            return [self.step(name, name, package, "other", note=f"no script named {name!r} in package.json")]
        if (package, name) in self.stack:
            cycle = " → ".join([s for p, s in self.stack if p == package][-5:] + [name])
            return [self.step(scripts[name], name, package, "other", note=f"cycle: {cycle}")]
        if len(self.stack) >= _MAX_DEPTH:
            return [self.step(scripts[name], name, package, "other", note="scripts nested too deeply")]
        self.stack.append((package, name))
        steps: list[Step] = []
        hooks = self.manager.runs_pre_post_scripts and not name.startswith(("pre", "post"))
        if hooks and f"pre{name}" in scripts:
            steps += self.script(package, f"pre{name}", ())
        parts = split_steps(scripts[name])
        for index, part in enumerate(parts):
            # Arguments given to a script land at the end of its command line: the last step only.
            steps += self.command(package, name, part, args if index == len(parts) - 1 else ())
        if hooks and f"post{name}" in scripts:
            steps += self.script(package, f"post{name}", ())
        self.stack.pop()
        return steps

    def step(self, command: str, script: str, package: Path, kind: str, **extra: object) -> Step:
        self.made += 1
        return Step(command, script, package, kind, **extra)  # type: ignore[arg-type]

    def command(self, package: Path, script: str, text: str, args: tuple[str, ...]) -> list[Step]:
        if self.made >= _MAX_STEPS:
            return [self.step(text, script, package, "other", note=f"more than {_MAX_STEPS} steps")]
        parsed = parse_command(text)
        if parsed is None:  # needs a shell: name it by its first command, run it as written
            first = parse_command(_first_simple(text))
            words = first.words if first else ()
            return [self.step(text, script, package, classify(words, script), runner=runner_of(words))]
        words = parsed.words + args
        expanded = self.reference(package, script, text, words)
        if expanded is not None:
            return expanded
        words = _binary_words(words)
        runner = runner_of(words)
        argv = self.direct_argv(words) if runner else ()
        return [self.step(text, script, package, classify(words, script), runner=runner, argv=argv, env=parsed.env)]

    def reference(self, package: Path, script: str, text: str, words: tuple[str, ...]) -> list[Step] | None:
        """Steps when `words` run other scripts; None when they run a tool."""
        head = os.path.basename(words[0])
        rest = words[1:]
        if head in ("run-s", "run-p", "npm-run-all"):
            return self.run_all(package, rest, _RUN_ALL_VALUE_OPTS, "")
        if head == "concurrently":
            return self.run_all(package, rest, _CONCURRENTLY_VALUE_OPTS, script)
        if head in ("turbo", "nx"):
            return self.task_runner(head, package, script, text, rest)
        if head not in ("npm", "pnpm", "yarn", "bun"):
            return None
        flags, positional, after = _split_flags(head, rest)
        recursive = any(f in flags for f in ("-r", "--recursive", "--workspaces", "-ws"))
        chosen = [flags.get(f) for f in ("--filter", "-F", "--workspace", "-w")]
        selector = next((c for c in chosen if isinstance(c, str)), None)
        if head == "yarn" and positional[:1] == ["workspaces"]:  # (berry) foreach [opts] run X, (1.x) run X
            names = [w for w in positional[1:] if w not in ("foreach", "run")]
            return self.recursive(script, text, package, names[0], None, after) if names else None
        if head == "yarn" and positional[:1] == ["workspace"] and len(positional) >= 3:
            return self.recursive(script, text, package, positional[2], positional[1], (*positional[3:], *after))
        if len(positional) >= 2 and positional[0] in ("run", "run-script", "rum", "urn"):
            name, extra = positional[1], (*positional[2:], *after)
        elif positional and head in ("npm", "pnpm", "yarn") and positional[0] in _NPM_ALIASES:
            name, extra = _NPM_ALIASES[positional[0]], (*positional[1:], *after)
        elif positional and head in ("pnpm", "yarn") and not positional[0].startswith("-"):
            name, extra = positional[0], (*positional[1:], *after)
        else:
            return None  # `bun test` (bun's own runner), `npm ci`, `pnpm install`...
        if recursive or selector:
            return self.recursive(script, text, package, name, selector, extra)
        if name in self.scripts_in(package) or head == "npm":
            return self.script(package, name, extra)
        return None  # `pnpm vitest run`, `yarn jest`, `bun run tsc`: a binary, not a script

    def task_runner(
        self, head: str, package: Path, script: str, text: str, words: tuple[str, ...]
    ) -> list[Step] | None:
        tasks = task_runner_tasks(head, words)
        if tasks is None:
            return None
        return [s for task, selector in tasks for s in self.recursive(script, text, package, task, selector, ())]

    def run_all(self, package: Path, words: tuple[str, ...], value_opts: set[str], script: str) -> list[Step]:
        """npm-run-all / run-s / run-p names and globs (`test:*`), or concurrently's commands."""
        steps: list[Step] = []
        skip = False
        for word in words:
            if skip or word == "--":
                skip = False
                continue
            if word.startswith("-"):
                skip = word in value_opts
                continue
            if script:  # concurrently: each argument is a command, "npm:x" is `npm run x`
                prefix, sep, name = word.partition(":")
                if sep and prefix in ("npm", "pnpm", "yarn", "bun") and " " not in prefix:
                    steps += self.globbed(package, name)
                else:
                    steps += [s for part in split_steps(word) for s in self.command(package, script, part, ())]
            else:
                steps += self.globbed(package, word)
        return steps

    def globbed(self, package: Path, pattern: str) -> list[Step]:
        """Scripts matching an npm-run-all glob: `*` stays within one `:` segment, `**` spans them."""
        if not any(c in pattern for c in "*?"):
            return self.script(package, pattern, ())
        regex = "".join(
            ".*" if part == "**" else "[^:]*" if part == "*" else "[^:]" if part == "?" else re.escape(part)
            for part in re.split(r"(\*\*|\*|\?)", pattern)
        )
        names = [n for n in self.scripts_in(package) if re.fullmatch(regex, n)]
        return [s for name in names for s in self.script(package, name, ())]

    def recursive(
        self, script: str, text: str, package: Path, name: str, selector: str | None, args: tuple[str, ...]
    ) -> list[Step]:
        workspace = self.workspace
        if workspace is None or not workspace.packages:
            return [self.step(text, script, package, "other", note="a recursive run outside a workspace")]
        members = workspace.select(selector) if selector else workspace.packages
        children = [s for member in members if name in self.scripts_in(member)
                    for s in self.script(member, name, args)]
        where = f"{len(members)} package{'s' * (len(members) != 1)}"
        return [self.step(text, script, package, "workspaces", children=tuple(children), note=f"{name} in {where}")]

    def direct_argv(self, words: tuple[str, ...]) -> tuple[str, ...]:
        """A runner's command line without the package manager's script layer around it."""
        tool = list(tool_words(words))
        inner = coverage_wrapped(tuple(tool))
        at = len(tool) - len(inner)
        if inner and os.path.basename(inner[0]) == "vitest":
            # vitest watches when run by hand; `run` makes it run once whatever the terminal is.
            following = inner[1] if len(inner) > 1 else ""
            if following in ("watch", "dev"):
                tool[at + 1] = "run"
            elif following != "run":
                tool.insert(at + 1, "run")
        if inner and os.path.basename(inner[0]) in ("react-scripts", "craco") and "--watchAll=false" not in tool:
            tool.append("--watchAll=false")
        if os.path.basename(tool[0]) == "node":
            return tuple(tool)  # node itself is on PATH; node_modules/.bin does not hold it
        return (*self.exec_prefix, *tool)


# A package manager's own flags, wherever they are on its command line; those marked True take a value.
_PM_FLAGS = {
    "-r": False, "--recursive": False, "--workspaces": False, "-ws": False, "--if-present": False,
    "--silent": False, "-s": False, "--parallel": False, "--stream": False, "--include-workspace-root": False,
    "--filter": True, "-F": True, "--workspace": True, "-C": True, "--dir": True, "--prefix": True,
}


def _split_flags(head: str, words: tuple[str, ...]) -> tuple[dict[str, str | bool], list[str], tuple[str, ...]]:
    """A package manager's own flags, its positional words (script arguments included), and what follows `--`."""
    flags: dict[str, str | bool] = {}
    positional: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        name, eq, value = word.partition("=")
        if word == "--":
            return flags, positional, tuple(words[index + 1 :])
        # pnpm's -w is --workspace-root; npm's names a workspace.
        takes_value = _PM_FLAGS.get(name, False) or (name == "-w" and head == "npm")
        if name in _PM_FLAGS or name == "-w":
            if eq:
                flags[name] = value
            elif takes_value and index + 1 < len(words):
                flags[name] = words[index + 1]
                index += 1
            else:
                flags[name] = True
        elif word.startswith("-") and (not positional or head == "npm" or positional[0] == "workspaces"):
            flags[name] = value if eq else True  # the manager's other options (npm's before `--` too)
        else:
            positional.append(word)
        index += 1
    return flags, positional, ()


def _binary_words(words: tuple[str, ...]) -> tuple[str, ...]:
    """`pnpm vitest run`, `yarn run jest`, `bun run tsc`: a binary called like a script, without the manager."""
    if os.path.basename(words[0]) not in ("pnpm", "yarn", "bun") or len(words) < 2:
        return words
    rest = words[2:] if words[1] == "run" else words[1:]
    return rest if rest and not rest[0].startswith("-") and rest[0] not in ("exec", "x", "dlx") else words


def _first_simple(text: str) -> str:
    """The text before the first `||`, `|`, `&`, `>` or `<` outside quotes."""
    quote = ""
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "|&<>":
            return text[:index]
    return text

