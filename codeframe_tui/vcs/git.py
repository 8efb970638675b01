"""A small async wrapper over the git command line: every call checked, nothing interactive."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from dataclasses import dataclass
from pathlib import Path

GIT_TIMEOUT = 120.0
# Commits made by the tool carry this identity unless the repository has its own.
FALLBACK_NAME = "CodeFRAME"
FALLBACK_EMAIL = "codeframe@localhost"


class GitError(RuntimeError):
    """A git command failed; the message has the command and git's own words."""

    def __init__(self, args: tuple[str, ...], code: int | None, output: str) -> None:
        super().__init__(f"git {' '.join(args)} failed ({code}): {output.strip()[-800:]}")
        self.args_ = args
        self.code = code
        self.output = output


@dataclass(frozen=True)
class GitResult:
    code: int
    out: str
    err: str


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(GIT_TERMINAL_PROMPT="0", GIT_EDITOR="true", GIT_MERGE_AUTOEDIT="no", LC_ALL="C")
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    return env


# Commands that change the repository: on a cancel they are let finish rather than killed.
_WRITES = frozenset({"add", "rm", "commit", "merge", "revert", "worktree", "branch", "init", "config"})
CANCEL_GRACE = 30.0


def _kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def _is_dir(path: Path) -> bool:
    return os.path.isdir(path)


def _exists(root: Path, path: Path) -> bool:
    return (path if path.is_absolute() else root / path).exists()


def _existing(root: Path, paths: list[str]) -> list[str]:
    return [p for p in paths if os.path.lexists(os.path.join(root, p))]


class Git:
    """Git commands run in `root` (the main working tree, or a task's worktree)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._real = os.path.realpath(root)  # git names folders by their real path

    def at(self, root: Path) -> Git:
        return Git(root)

    async def run(self, *args: str, check: bool = True, limit: float = GIT_TIMEOUT) -> GitResult:
        try:
            proc = await asyncio.create_subprocess_exec(
                "git", *args, cwd=self.root, env=_env(), stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, start_new_session=True,
            )
        except FileNotFoundError as exc:  # no git on PATH, or the folder is gone
            what = "git is not installed" if _is_dir(self.root) else f"{self.root} is missing"
            raise GitError(args, None, f"{what} ({exc})") from exc
        talk = asyncio.ensure_future(proc.communicate())
        try:
            out, err = await asyncio.wait_for(asyncio.shield(talk), limit)
        except asyncio.CancelledError:
            if args and args[0] in _WRITES:
                # A quit mid-merge must not kill git half-way (a stale index.lock, a half-written
                # merge in the person's tree): let it finish, briefly, then go.
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(talk, CANCEL_GRACE)
            _kill(proc)
            await proc.wait()
            raise
        except BaseException:
            _kill(proc)  # timed out: the whole group goes (a hook may have started children)
            await proc.wait()
            raise
        result = GitResult(proc.returncode or 0, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))
        if check and result.code != 0:
            raise GitError(args, result.code, result.err or result.out)
        return result

    async def out(self, *args: str) -> str:
        return (await self.run(*args)).out.strip()

    # ---- the repository -----------------------------------------------------------------

    async def is_repo(self) -> bool:
        result = await self.run("rev-parse", "--show-toplevel", check=False)
        return result.code == 0 and result.out.strip() == self._real

    async def toplevel(self) -> str | None:
        """The top of the repository this folder is in, or None when it is in none."""
        result = await self.run("rev-parse", "--show-toplevel", check=False)
        return result.out.strip() if result.code == 0 else None

    async def init(self) -> None:
        await self.run("init", "-q")
        await self.ensure_identity()
        await self.run("add", "-A")
        await self.run("commit", "-q", "--allow-empty", "-m", "Initial commit (made by codeframe-tui)")

    async def ensure_identity(self) -> None:
        """A repository with no user.name/email (a fresh machine) gets the tool's, locally."""
        for key, value in (("user.name", FALLBACK_NAME), ("user.email", FALLBACK_EMAIL)):
            if (await self.run("config", key, check=False)).code != 0:
                await self.run("config", key, value)

    async def has_commits(self) -> bool:
        return (await self.run("rev-parse", "--verify", "-q", "HEAD", check=False)).code == 0

    async def current_branch(self) -> str:
        return await self.out("symbolic-ref", "--short", "HEAD")

    async def head(self, ref: str = "HEAD") -> str:
        return await self.out("rev-parse", ref)

    async def dirty_files(self) -> list[str]:
        """Changed or untracked paths, as `git status` names them (ignored files left out)."""
        out = (await self.run("status", "--porcelain", "-z", "--untracked-files=all")).out
        entries = [e for e in out.split("\0") if e]
        paths, skip = [], False
        for entry in entries:
            if skip:  # the old name of a rename
                skip = False
                continue
            paths.append(entry[3:])
            skip = entry[0] in "RC"
        return paths

    async def exclude(self, pattern: str) -> None:
        """Ignore `pattern` in this clone only (.git/info/exclude): the project's .gitignore is theirs."""
        path = Path(await self.out("rev-parse", "--git-path", "info/exclude"))
        path = path if path.is_absolute() else self.root / path
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        if pattern not in lines:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as f:
                f.write(("\n" if lines and lines[-1] else "") + pattern + "\n")

    # ---- branches and worktrees ---------------------------------------------------------

    async def branch_exists(self, branch: str) -> bool:
        return (await self.run("rev-parse", "--verify", "-q", f"refs/heads/{branch}", check=False)).code == 0

    async def worktrees(self) -> dict[Path, str]:
        """Every worktree git knows: path -> branch ('' when detached)."""
        out = (await self.run("worktree", "list", "--porcelain")).out
        found: dict[Path, str] = {}
        path: Path | None = None
        for line in out.splitlines():
            if line.startswith("worktree "):
                path = Path(line[len("worktree "):])
                found[path] = ""
            elif line.startswith("branch ") and path is not None:
                found[path] = line[len("branch "):].removeprefix("refs/heads/")
        return found

    async def add_worktree(self, path: Path, branch: str, base: str) -> None:
        if await self.branch_exists(branch):
            await self.run("worktree", "add", "-q", str(path), branch)
        else:
            await self.run("worktree", "add", "-q", "-b", branch, str(path), base)

    async def remove_worktree(self, path: Path) -> None:
        await self.run("worktree", "remove", "--force", str(path))

    async def delete_branch(self, branch: str) -> None:
        """Deletes only a branch already merged into HEAD: `-d`, never `-D`."""
        await self.run("branch", "-q", "-d", branch)

    async def is_merged(self, branch: str, into: str = "HEAD") -> bool:
        return (await self.run("merge-base", "--is-ancestor", branch, into, check=False)).code == 0

    # ---- commits, merges, reverts -------------------------------------------------------

    async def commit_all(self, message: str, paths: list[str] | None = None, *,
                         unmerged: list[str] | None = None) -> bool:
        """Commit `paths` (everything when None) and a merge in progress; False when nothing to
        commit. `unmerged`: the conflicted paths, when the caller has just listed them."""
        if paths is None:
            await self.run("add", "-A")
        elif paths:
            # A path the task made and deleted again matches nothing, and `git add` would refuse it.
            present = _existing(self.root, paths)
            gone = [p for p in paths if p not in present]
            if present:
                await self.run("add", "-A", "-f", "--", *present)  # -f: the agent's own files, even if ignored
            if gone:
                await self.run("rm", "-q", "--cached", "--ignore-unmatch", "--", *gone)
        if unmerged is None:
            unmerged = (await self.run("diff", "--name-only", "--diff-filter=U", check=False)).out.split()
        if unmerged:
            await self.run("add", "--", *unmerged)
        # Committed at once (one process, the common case); only a refusal asks whether there was
        # nothing to commit. A merge in progress commits even with nothing staged.
        result = await self.run("commit", "-q", "-m", message, check=False)
        if result.code == 0:
            return True
        if (await self.run("diff", "--cached", "--quiet", check=False)).code == 0 and not (
                await self.run("rev-parse", "-q", "--verify", "MERGE_HEAD", check=False)).code == 0:
            return False
        raise GitError(("commit",), result.code, result.err or result.out)

    async def busy(self) -> str | None:
        """What the person is in the middle of in this tree (a merge, a rebase...), or None. The tool
        never merges or reverts over it: its own --abort would throw their work away."""
        marks = (("MERGE_HEAD", "a merge"), ("CHERRY_PICK_HEAD", "a cherry-pick"), ("REVERT_HEAD", "a revert"),
                 ("rebase-merge", "a rebase"), ("rebase-apply", "a rebase"))
        # One git process for the five paths (a landing asks this for every merge it makes).
        args = [arg for name, _ in marks for arg in ("--git-path", name)]
        paths = (await self.run("rev-parse", *args)).out.splitlines()
        for (_, what), path in zip(marks, paths, strict=True):
            if _exists(self.root, Path(path.strip())):
                return what
        if (await self.run("diff", "--name-only", "--diff-filter=U", check=False)).out.strip():
            return "resolving conflicts"
        return None

    async def merge(self, branch: str, message: str, *, ours: bool = False) -> tuple[bool, list[str]]:
        """Merge `branch` into the checked-out branch with a merge commit. On a conflict the merge is
        aborted (nothing is left half-done) and the conflicting paths are returned. `ours`: a tree
        only the tool uses (the merge queue's scratch, just reset), so no one's merge can be under way."""
        state = None if ours else await self.busy()
        if state is not None:
            raise GitError(("merge", branch), None, f"{self.root} is in the middle of {state}; finish it first")
        result = await self.run("merge", "--no-ff", "-m", message, branch, check=False)
        if result.code == 0:
            return True, []
        conflicts = (await self.run("diff", "--name-only", "--diff-filter=U", check=False)).out.split()
        await self.run("merge", "--abort", check=False)
        if not conflicts:
            raise GitError(("merge", branch), result.code, result.err or result.out)
        return False, conflicts

    async def revert_merge(self, commit: str, message: str) -> tuple[bool, list[str]]:
        state = await self.busy()
        if state is not None:
            raise GitError(("revert", commit), None, f"{self.root} is in the middle of {state}; finish it first")
        result = await self.run("revert", "--no-edit", "-m", "1", commit, check=False)
        if result.code == 0:
            await self.run("commit", "-q", "--amend", "-m", message)
            return True, []
        conflicts = (await self.run("diff", "--name-only", "--diff-filter=U", check=False)).out.split()
        await self.run("revert", "--abort", check=False)
        if not conflicts:
            raise GitError(("revert", commit), result.code, result.err or result.out)
        return False, conflicts

    async def files_changed(self, commit: str) -> list[str]:
        """Paths a merge commit brought in, compared with its first parent."""
        return (await self.out("diff", "--name-only", f"{commit}^1", commit)).split()

    async def commits_touching(self, since: str, paths: list[str]) -> list[str]:
        """Subjects of the commits after `since` on HEAD's first-parent line that touch `paths`."""
        if not paths:
            return []
        out = await self.out("log", "--first-parent", "--format=%s", f"{since}..HEAD", "--", *paths)
        return [line for line in out.splitlines() if line]
