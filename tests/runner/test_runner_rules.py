"""The runner keeps the core's rules: no UI imports, no print, nothing that blocks the loop."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import codeframe_tui.runner

RUNNER_DIR = Path(codeframe_tui.runner.__file__).parent


def test_importing_the_runner_loads_no_ui() -> None:
    code = (
        "import sys, codeframe_tui.runner\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')"
        " or m.startswith('codeframe_tui.ui')]\n"
        "print(bad)\n"
    )
    # A fresh interpreter: this one has textual loaded by the test plugins.
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_no_print_threads_or_blocking_subprocess_in_the_runner() -> None:
    forbidden = re.compile(r"\bprint\(|subprocess\.run|run_in_executor|\bthreading\b|to_thread")
    for path in RUNNER_DIR.glob("*.py"):
        text = path.read_text()
        assert not forbidden.search(text), f"{path.name}: {forbidden.search(text).group()}"
        assert text.startswith('"""'), f"{path.name} has no module docstring"
