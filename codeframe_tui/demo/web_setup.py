"""What the web demo needs around it: Node.js, its dependencies installed with npm, and its config.

The dependencies come from the npm registry the first time (some 30 s); without node the demo is
refused with what to do, before anything is written.
"""

from __future__ import annotations

import logging
import re
import shutil
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from codeframe_tui.runner.process import run_command

log = logging.getLogger(__name__)

MIN_NODE = 20  # vitest 4 needs Node.js 20 or later
INSTALL_TIMEOUT = 900.0
Install = Callable[[Path], Awaitable[None]]


class DemoUnavailable(RuntimeError):
    """The demo cannot be made here; the message says why and what to do."""


async def check_node() -> None:
    """Raise DemoUnavailable unless node (20 or later) and npm are on PATH."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing = " and ".join(name for name, found in (("node", node), ("npm", npm)) if found is None)
        raise DemoUnavailable(
            f"the web demo needs Node.js {MIN_NODE} or later with npm, and {missing} was not found on PATH "
            "(install it from https://nodejs.org or your package manager); `codeframe-tui demo` runs the "
            "Python demo without it"
        )
    result = await run_command([node, "--version"], Path("/"), timeout=30)
    version = result.output_tail if result.exit_code == 0 else ""
    found = re.match(r"v(\d+)", version.strip())
    if found is None or int(found.group(1)) < MIN_NODE:
        raise DemoUnavailable(f"the web demo needs Node.js {MIN_NODE} or later; {node} is {version.strip() or '?'}")


async def npm_install(root: Path) -> None:
    """`npm install` in the demo project, its output shown on stderr as it comes."""
    npm = shutil.which("npm") or "npm"
    sys.stderr.write(f"installing the web demo's dependencies in {root} with npm (the first time takes a while)\n")

    def show(line: str) -> None:
        if line.strip():
            sys.stderr.write(f"  npm: {line}\n")

    result = await run_command([npm, "install", "--no-audit", "--no-fund", "--loglevel=error"], root,
                               timeout=INSTALL_TIMEOUT, on_line=show)
    if result.exit_code != 0:
        tail = "\n".join(result.output_tail.splitlines()[-15:])
        raise DemoUnavailable(f"`npm install` failed in {root} (exit {result.exit_code}):\n{tail}")


def web_config_text() -> str:
    return (
        "# Written by `codeframe-tui demo --stack web`.\n"
        "max_concurrent = 3\n"
        "# The demo finishes on its own; a real project reviews each task's diff before it is done.\n"
        'review = "auto"\n'
        "# No [tests]: the runner reads package.json's test script, step by step.\n"
    )
