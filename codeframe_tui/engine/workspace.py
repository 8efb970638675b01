"""Where each task works: its own git worktree on branch codeframe/<key>, made from the base branch
when the task starts, found again after a restart, removed only once its work has landed."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shlex
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from codeframe_tui.config import Settings
from codeframe_tui.runner import run_command
from codeframe_tui.runner.js.workspace import find_workspace
from codeframe_tui.runner.sandbox import Sandboxed
from codeframe_tui.runner.strays import ProcessLog
from codeframe_tui.vcs import Git, GitError

if TYPE_CHECKING:  # the context holds the workspace, so it imports this module
    from codeframe_tui.engine.context import EngineContext

log = logging.getLogger(__name__)

BRANCH_PREFIX = "codeframe/"
DISK_CACHE_SECONDS = 5.0
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class WorkspaceError(RuntimeError):
    """The project cannot be worked on with worktrees; the message says why and what to do."""


def branch_for(key: str) -> str:
    """codeframe/<key>. Task keys come from plans: what git would refuse in a ref becomes '-', and a
    key that had to change gets a short hash of itself, so two keys never share a branch."""
    safe = re.sub(r"\.{2,}", "-", _UNSAFE.sub("-", key)).strip(".-") or "task"
    if safe.endswith(".lock"):
        safe += "-k"
    if safe != key:
        safe += "-" + hashlib.sha1(key.encode()).hexdigest()[:6]
    return BRANCH_PREFIX + safe


# Left behind by test runs and tools, never the agent's work: a path with one of these as a folder
# (at any depth), or ending so, does not stop a worktree's removal.
_GENERATED_DIRS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", "node_modules",
                             ".venv", "venv", ".codeframe", ".hypothesis", "htmlcov", ".nox"})
_GENERATED_ENDS = (".pyc", ".egg-info", ".coverage", "coverage.xml")


def is_generated(path: str) -> bool:
    parts = path.rstrip("/").split("/")
    return any(p in _GENERATED_DIRS or p.endswith(".egg-info") for p in parts) or path.endswith(_GENERATED_ENDS)
# Shared from the project into each worktree rather than rebuilt: untracked, so git would not bring them.
SHARED_ENVS = (".venv", "venv", "node_modules")


@dataclass(frozen=True)
class RepoState:
    base: str  # the branch tasks start from and land on
    dirty: tuple[str, ...]  # the person's own uncommitted changes: reported, never touched


class Workspace:
    """One per engine. `root_for` gives a task's working folder; the main tree is the person's."""

    def __init__(self, settings: Settings, processes: ProcessLog | None = None) -> None:
        self.settings = settings
        self.processes = processes  # the setup command's process group is recorded like a test's
        self.confine: Callable[[Path], Sandboxed] | None = None  # the engine's sandbox, for the setup command
        self.project = settings.project
        self.git = Git(self.project)
        self.base = ""
        self.folder = settings.state_dir / "worktrees"
        self._disk: tuple[float, int] | None = None  # (when, bytes) of the last walk

    def path_for(self, key: str) -> Path:
        return self.folder / branch_for(key).removeprefix(BRANCH_PREFIX)

    async def prepare(self, *, init: bool = False) -> RepoState:
        """Check the repository (or make one, with `init`) and note the base branch."""
        if not await self.git.is_repo():
            top = await self.git.toplevel()
            if top is not None:
                raise WorkspaceError(
                    f"{self.project} is inside the git repository at {top}: open that folder instead "
                    "(or set worktrees = false)"
                )
            if not init:
                raise WorkspaceError(
                    f"{self.project} is not a git repository. Each task works in its own git worktree; "
                    "run `git init` and commit, or pass --init-git (or set worktrees = false)."
                )
            self._ignore_state_before_init()
            await self.git.init()
        if not await self.git.has_commits():
            raise WorkspaceError(f"{self.project} has no commit yet: commit once, so tasks have a base to start from")
        await self.git.exclude(".codeframe/")
        await self.git.ensure_identity()
        try:
            self.base = await self.git.current_branch()
        except GitError as exc:
            raise WorkspaceError(f"{self.project} is on a detached HEAD: check out a branch first") from exc
        self.folder.mkdir(parents=True, exist_ok=True)
        return RepoState(self.base, tuple(await self.git.dirty_files()))

    def _ignore_state_before_init(self) -> None:
        # `git init` then `git add -A` must not take in the tool's own state.
        exclude = self.project / ".git" / "info" / "exclude"
        exclude.parent.mkdir(parents=True, exist_ok=True)
        exclude.write_text(".codeframe/\n", encoding="utf-8")

    async def known(self) -> dict[str, Path]:
        """Branch -> worktree path of every task worktree git knows (for a restart)."""
        return {branch: path for path, branch in (await self.git.worktrees()).items()
                if branch.startswith(BRANCH_PREFIX)}

    async def open_for(self, key: str) -> tuple[Path, bool]:
        """The task's worktree: found again if it exists (a retry, a restart), else made from the base
        branch as it is now. Returns (path, made now)."""
        branch = branch_for(key)
        path = self.path_for(key)
        existing = (await self.known()).get(branch)
        if existing is not None and existing.is_dir():
            if not await self._furnished(existing):
                await self.furnish(existing)  # its setup failed last time: try it again
            return existing, False
        if existing is not None:
            await self.git.run("worktree", "prune")  # its folder was deleted: let git forget it
        if path.exists():
            # A folder git no longer knows (pruned, or left by a crash): never reused or overwritten.
            await self.git.run("worktree", "prune")
            path = path.with_name(f"{path.name}-{os.getpid()}")
        self._disk = None
        await self.git.add_worktree(path, branch, self.base)
        await self.furnish(path)
        return path, True

    async def refresh(self, path: Path, paths: list[str]) -> list[str]:
        """Merge the base branch into a reused worktree's branch, so a retry starts from what has
        landed since. Conflicts stay in the files, marked, for the agent; their paths are returned.
        The task's own changes (`paths`) are committed first, so the merge cannot lose them."""
        tree = Git(path)
        await tree.commit_all("Work in progress (kept by codeframe-tui before merging the base branch)", paths)
        result = await tree.run("merge", "--no-ff", "--no-edit", self.base, check=False)
        if result.code == 0:
            return []
        conflicts = (await tree.run("diff", "--name-only", "--diff-filter=U", check=False)).out.split()
        if not conflicts:
            raise GitError(("merge", self.base), result.code, result.err or result.out)
        return conflicts

    async def stack_on(self, path: Path, keys: list[str]) -> list[str]:
        """Merge the branches of these tasks (dependencies waiting to land, their work committed)
        into a worktree, so its task starts on their work. A conflict stays in the files for the
        agent, as with the base; its paths are returned and the rest is not merged."""
        tree = Git(path)
        for key in keys:
            branch = branch_for(key)
            known = await tree.run("merge-base", "--is-ancestor", branch, "HEAD", check=False)
            if known.code != 1:  # 0: merged already; 128: no such branch (it never had a worktree)
                continue
            result = await tree.run("merge", "--no-ff", "-m", f"Start on the work of {key} (waiting to land)",
                                    branch, check=False)
            if result.code == 0:
                continue
            conflicts = (await tree.run("diff", "--name-only", "--diff-filter=U", check=False)).out.split()
            if not conflicts:
                raise GitError(("merge", branch), result.code, result.err or result.out)
            return conflicts
        return []

    async def _marker(self, path: Path) -> Path:
        # In the worktree's own git folder: nothing in its files, nothing to commit.
        return Path(await Git(path).out("rev-parse", "--absolute-git-dir")) / "codeframe-furnished"

    async def _furnished(self, path: Path) -> bool:
        return (await self._marker(path)).exists()

    async def furnish(self, path: Path) -> None:
        """Share the project's environments (.venv, node_modules), copy the configured untracked
        files in (.env...), then run the setup command; marked done only when all of it worked."""
        _share_envs(self.project, path)
        for name in self.settings.worktree_copy:
            source = self.project / name
            if source.is_file() and not source.is_symlink():
                target = path / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
            else:
                log.warning("worktree_copy: %s is not a file in %s; not copied", name, self.project)
        if self.settings.worktree_setup:
            argv = shlex.split(self.settings.worktree_setup)
            result = await run_command(argv, path, timeout=self.settings.test_timeout, processes=self.processes,
                                       sandbox=self.confine(path) if self.confine else None)
            if result.exit_code != 0:
                raise WorkspaceError(
                    f"the worktree setup command `{self.settings.worktree_setup}` failed "
                    f"({result.exit_code}): {result.output_tail[-500:]}"
                )
        (await self._marker(path)).write_text("ok\n")

    async def remove(self, key: str, *, merged_only: bool = True, landed: bool = False,
                     path: Path | None = None) -> None:
        """Remove a task's worktree and branch: by default only once the branch is merged into the
        base; `merged_only=False` is for a discard the person confirmed. `landed`: the merge queue
        has just moved the base over the branch, so git need not be asked whether it is merged."""
        branch = branch_for(key)
        if merged_only and not landed and not await self.git.is_merged(branch, self.base):
            raise WorkspaceError(f"{branch} is not merged into {self.base}; it is kept")
        if path is None:  # else where the caller has it open (checked moments ago)
            path = (await self.known()).get(branch)
        if path is not None:
            leftovers = [p for p in await Git(path).dirty_files() if not is_generated(p)]
            if merged_only and leftovers:
                # Files someone put there by hand (never the agent's: those were committed).
                raise WorkspaceError(f"{path} has uncommitted files ({', '.join(leftovers[:5])}); it is kept")
            await self.git.remove_worktree(path)
            self._disk = None
        if landed or await self.git.branch_exists(branch):
            await self.git.run("branch", "-q", "-d" if merged_only else "-D", branch)

    def disk_usage(self, max_age: float = DISK_CACHE_SECONDS) -> int:
        """Bytes under the worktrees folder (what the per-task copies cost). The walk runs on the
        event loop, so its result is kept a few seconds; making or removing a worktree drops it."""
        now = time.monotonic()
        if self._disk is not None and now - self._disk[0] < max_age:
            return self._disk[1]
        total = 0
        for folder, dirs, files in os.walk(self.folder):
            dirs[:] = [d for d in dirs if d != ".git"]
            for name in files:
                try:
                    total += os.lstat(os.path.join(folder, name)).st_size
                except OSError:
                    pass
        self._disk = (now, total)
        return total


def _share_envs(project: Path, path: Path) -> None:
    for name in SHARED_ENVS:
        source, target = project / name, path / name
        if source.is_dir() and not os.path.lexists(target):
            target.symlink_to(source, target_is_directory=True)
    # A JavaScript frontend folder and every workspace package has node_modules of its own (pnpm
    # links each package's dependencies there): the worktree's copy of that folder gets them too.
    for package in _js_packages(project):
        source, target = package / "node_modules", path / package.relative_to(project) / "node_modules"
        if source.is_dir() and target.parent.is_dir() and not os.path.lexists(target):
            target.symlink_to(source, target_is_directory=True)


def _js_packages(project: Path) -> list[Path]:
    """The project's JS package folders below its root: frontend/, web/ and workspace members."""
    found: dict[Path, None] = {}
    for root in (project, project / "frontend", project / "web"):
        if (root / "package.json").is_file():
            if root != project:
                found[root] = None
            found.update(dict.fromkeys(p for p in find_workspace(root, root).packages if p != project))
    return list(found)


async def open_workspace(ctx: EngineContext, *, init: bool = False) -> tuple[RepoState, tuple[str, ...]]:
    """Check the repository, and find the task worktrees of an earlier run again (their tasks keep
    working in them). Returns the repository's state and the branches found."""
    workspace = ctx.workspace or Workspace(ctx.settings, ctx.processes)
    workspace.confine = ctx.confined
    state = await workspace.prepare(init=init)
    ctx.workspace = workspace
    found = await workspace.known()
    keys = {branch_for(t.key): t.key for t in await ctx.store.list_tasks()}
    for branch, path in found.items():
        if branch in keys:
            ctx.roots[keys[branch]] = path
    return state, tuple(sorted(found))


async def ensure_workspace(ctx: EngineContext) -> Workspace | None:
    """The engine's workspace, opened now if a command needs it before any run did (an accept or an
    undo straight after start): never land or undo without it."""
    if ctx.workspace is None and ctx.settings.worktrees:
        await open_workspace(ctx)
    return ctx.workspace
