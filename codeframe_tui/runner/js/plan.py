"""A JavaScript package's `test` script turned into a TestCommand of steps we run ourselves.

Each step runs the way the package manager would run it (in its package folder, with every
`node_modules/.bin` from there up to the workspace root on PATH), but without the manager in
between: a test runner gets the flags that make it write its own report, so the counts of two
jest runs add up; a lint or type step is a step of its own, named when it fails. A step whose
tool is not installed is refused before anything runs, with the command that installs it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from codeframe_tui.runner.command import TestCommand, TestStep
from codeframe_tui.runner.js.commands import coverage_wrapped, parse_command, tool_words
from codeframe_tui.runner.js.manager import COREPACK_ENV, MissingTool, PackageManager, detect_manager, invocation
from codeframe_tui.runner.js.packagejson import ancestors, read_package_json, scripts_of
from codeframe_tui.runner.js.reports import with_report
from codeframe_tui.runner.js.scripts import Step, leaves, script_steps
from codeframe_tui.runner.js.workspace import Workspace, find_workspace

_SUFFIX = {"junit": ".xml", "jest-json": ".json", "mocha-json": ".json"}
_SHELL_WORDS = {"node", "sh", "bash", "echo", "true", "false", "exit", "test", "[", "cd", "rm", "mkdir", "cp", "mv",
                "cat", "env", "export", "set"}


def has_test_script(folder: Path) -> bool:
    """Whether the package in `folder` has a `test` script that does something (not npm's placeholder)."""
    script = scripts_of(read_package_json(folder)).get("test", "")
    return bool(script.strip()) and "no test specified" not in script


def is_workspace(folder: Path) -> bool:
    """Whether `folder` is a JS workspace root with member packages (a task's tests then run in its own)."""
    return bool(find_workspace(folder, folder).packages)


def js_test_command(package: Path, project: Path, report_stem: Path, focus: Sequence[str] = ()) -> TestCommand:
    """The steps of the `test` script in `package` (a folder of `project`, the worktree or project root).

    With `focus` (files relative to `project`, the task's own), a workspace runs the test script of
    the one member package they all belong to, when it has one; otherwise the root's. A root with
    no test script of its own runs every member's. `report_stem` is the start of each report's
    path (`.../junit/frontend-1a2b3c`): step n writes `<stem>-<n>.xml` or `.json`.
    """
    project = Path(project).resolve()
    package = Path(package).resolve()
    workspace = find_workspace(package, project)
    target = _focused(workspace, project, focus) or package
    manager = detect_manager(target, workspace.root if workspace.root.is_relative_to(project) else project)
    if has_test_script(target):
        steps = leaves(script_steps(target, manager, (), workspace))
    else:
        steps = [s for member in workspace.packages if has_test_script(member)
                 for s in leaves(script_steps(member, manager, (), workspace))]
    made = tuple(_step(step, index, manager, workspace, project, report_stem) for index, step in enumerate(steps, 1))
    where = _where(target, project) or "project root"
    runners = sorted({s.label for s in made if s.runs_tests}) or ["no test runner"]
    return TestCommand((manager.name, "test"), project, None, f"{manager.name} test ({', '.join(runners)}, {where})",
                       steps=made)


def _focused(workspace: Workspace, project: Path, focus: Sequence[str]) -> Path | None:
    if not focus or not workspace.packages:
        return None
    owners = {workspace.package_for(project / f) for f in focus}
    if len(owners) == 1:
        (owner,) = owners
        if owner != workspace.root and has_test_script(owner):
            return owner
    return None


def _step(step: Step, index: int, manager: PackageManager, workspace: Workspace, project: Path,
          report_stem: Path) -> TestStep:
    where = _where(step.package, project)
    if step.note:
        return TestStep(step.label, step.kind, (), step.package, where=where,
                        refused=f"`{step.command}` in {where or 'the project root'}: {step.note}")
    bins = [str(folder / "node_modules" / ".bin") for folder in ancestors(step.package, workspace.root)
            if (folder / "node_modules" / ".bin").is_dir()]
    env = (*step.env, ("PATH", os.pathsep.join([*bins, os.environ.get("PATH", os.defpath)])), *COREPACK_ENV,
           ("npm_lifecycle_event", step.script), ("INIT_CWD", str(step.package)))
    missing = _missing_tool(step, bins, manager, workspace)
    if missing:
        return TestStep(step.label, step.kind, (), step.package, where=where, refused=missing)
    if step.runner and step.argv:
        stem = report_stem.with_name(f"{report_stem.name}-{index}")
        plan = with_report(step.runner, step.argv, stem, step.package)
        if plan is not None:
            path = stem.with_suffix(_SUFFIX[plan.format])
            plan = with_report(step.runner, step.argv, path, step.package)
        if plan is not None:
            return TestStep(step.label, "test", plan.argv, step.package, (*env, *plan.env), plan.path, plan.format,
                            where)
        return TestStep(step.label, "test", step.argv, step.package, env, where=where)
    # A lint, type or build step, or a runner that needs a shell (`jest || true`): as sh would run it.
    return TestStep(step.label, step.kind, ("sh", "-c", step.command), step.package, env, where=where)


def _where(folder: Path, project: Path) -> str:
    try:
        relative = folder.resolve().relative_to(project)
    except ValueError:
        return str(folder)
    return "" if relative == Path(".") else relative.as_posix()


def _missing_tool(step: Step, bins: list[str], manager: PackageManager, workspace: Workspace) -> str:
    """Why the step's program cannot run, with the command that fixes it; "" when it can."""
    parsed = parse_command(step.command)
    words = step.argv or (parsed.words if parsed else ())
    words = coverage_wrapped(tool_words(words))
    if not words:
        return ""
    program = os.path.basename(words[0])
    if program in _SHELL_WORDS or "/" in words[0]:
        return ""
    if program in ("npm", "pnpm", "yarn", "bun", "npx", "pnpx", "bunx"):
        try:
            invocation(manager)
        except MissingTool as exc:
            return f"`{step.command}` needs {program}: {exc}"
        return ""
    if any(os.access(os.path.join(folder, program), os.X_OK) for folder in bins) or _on_path(program):
        return ""
    what = "is not in node_modules/.bin" if bins else "is not installed (no node_modules/.bin)"
    return f"`{step.command}`: {program} {what}: {_install_hint(manager, workspace)}"


def _on_path(program: str) -> bool:
    return any(os.access(os.path.join(folder, program), os.X_OK)
               for folder in os.environ.get("PATH", os.defpath).split(os.pathsep) if folder)


def _install_hint(manager: PackageManager, workspace: Workspace) -> str:
    """`run \\`pnpm install\\` in /path` (the dependencies are not installed), and how to get pnpm first."""
    hint = f"run `{manager.name} install` in {workspace.root}"
    try:
        invocation(manager)
    except MissingTool as exc:
        hint += f" ({exc})"
    return hint
