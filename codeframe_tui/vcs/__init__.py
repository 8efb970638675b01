"""Git: the project's repository, a worktree per task, landing and undoing their work."""

from codeframe_tui.vcs.git import Git, GitError

__all__ = ["Git", "GitError"]
