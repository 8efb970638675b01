"""The tools a worker works with, executed by the engine in the task's worktree."""
