"""JavaScript and TypeScript projects as they are: package manager, workspaces, the test script's steps.

Pure helpers (no processes are started here): the runner asks them which tool runs a project,
which package a file belongs to, what `npm test` really runs step by step, which flags make each
test runner write a report, and what a failed lint or type step's first errors were.
"""

from codeframe_tui.runner.js.manager import Invocation, MissingTool, PackageManager, detect_manager, invocation
from codeframe_tui.runner.js.workspace import Workspace, find_workspace

__all__ = [
    "Invocation",
    "MissingTool",
    "PackageManager",
    "Workspace",
    "detect_manager",
    "find_workspace",
    "invocation",
]
