"""The agents' `bash` tool: one command per call, in the task's worktree, inside the sandbox.

Offered only when commands run confined (bwrap) and the task has a worktree of its own: in place,
a command would write the person's files past the change journal and its undo. Each call is a fresh
`bash -c` (the tool's documented session is persistent; ours is not, which the system prompt says),
with a timeout after which the command and everything it started are stopped, and an answer cut to
the output's last part. Its lines stream into the Test output pane under the task as they come.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codeframe_tui.engine.toolbox import snapshot
from codeframe_tui.engine.toolbox.editor import ToolInputError
from codeframe_tui.runner.process import ProcessResult, run_command
from codeframe_tui.runner.sandbox import Sandboxed
from codeframe_tui.runner.strays import ProcessLog

MAX_COMMAND_CHARS = 10_000
MAX_ANSWER_CHARS = 30_000  # the last part of the output; the pane and the log keep it all
RESTART = "The shell starts fresh for every command, so there is nothing to restart: run the next command."


def command_of(data: dict[str, Any]) -> str | None:
    """The command to run; None for a restart; ToolInputError for an input the tool cannot take."""
    if data.get("restart") is True and "command" not in data:
        return None
    command = data.get("command")
    if not isinstance(command, str) or not command.strip():
        raise ToolInputError("bash needs a command: {\"command\": \"...\"}")
    if len(command) > MAX_COMMAND_CHARS:
        raise ToolInputError(f"the command is longer than {MAX_COMMAND_CHARS} characters: write a script "
                             "file with the editor and run that")
    if "\x00" in command:
        raise ToolInputError("the command holds a NUL character")
    return command


def label(data: dict[str, Any]) -> str:
    command = data.get("command")
    text = " ".join(command.split()) if isinstance(command, str) else "restart"
    return f"bash {text[:80]}"


async def run_bash(command: str, root: Path, *, sandbox: Sandboxed, seconds: float,
                   on_line: Callable[[str], None], processes: ProcessLog | None = None) -> tuple[str, bool]:
    """(the answer for the model, whether the command succeeded)."""
    on_line(f"$ {command}")
    shell = shutil.which("bash") or "/bin/sh"
    result = await run_command([shell, "-c", command], root, timeout=seconds, on_line=on_line,
                               processes=processes, sandbox=sandbox)
    return answer(result, seconds), result.exit_code == 0 and not result.timed_out


def changes_note(kept: list[str], too_big: list[str]) -> str:
    """What the command changed in the worktree, as the task's changes (they land with the task)."""
    note = ""
    if kept:
        shown = ", ".join(kept[:10]) + (f" and {len(kept) - 10} more" if len(kept) > 10 else "")
        note += f"\n[files changed by this command, kept as the task's changes: {shown}]"
    if too_big:
        note += (f"\n[not kept, larger than {snapshot.MAX_KEPT_BYTES // (1024 * 1024)} MB: "
                 f"{', '.join(too_big[:10])}]")
    return note


def answer(result: ProcessResult, timeout: float) -> str:
    output = result.output_tail
    cut = result.dropped_lines > 0 or len(output) > MAX_ANSWER_CHARS
    if len(output) > MAX_ANSWER_CHARS:
        output = output[-MAX_ANSWER_CHARS:].split("\n", 1)[-1]
    head = "[the output's last part: earlier lines are in the Test output pane]\n" if cut else ""
    if result.timed_out:
        end = f"[timed out after {timeout:.0f}s: the command and everything it started were stopped]"
    else:
        end = f"[exit code {result.exit_code}]"
    return f"{head}{output.rstrip()}\n{end}" if output.strip() else f"(no output)\n{end}"
