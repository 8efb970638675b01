"""Architecture rules: the core never loads textual or rich; the package never prints."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "codeframe_tui"
CORE = ["domain", "engine", "llm", "store", "runner", "plan", "vcs", "config", "costs"]


def test_importing_the_core_loads_no_textual_or_rich():
    modules = sorted(
        "codeframe_tui." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
        for top in CORE for p in (PACKAGE / top).rglob("*.py")
    ) + ["codeframe_tui.cli.headless", "codeframe_tui.config", "codeframe_tui.demo.setup", "codeframe_tui.cli.main"]
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')"
        " or m.startswith('codeframe_tui.ui'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
    assert len(modules) > 30  # the walk really found the core


def test_the_core_does_not_even_mention_the_ui():
    for top in CORE:
        for path in (PACKAGE / top).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                for name in names:
                    assert name.split(".")[0] not in ("textual", "rich"), f"{path}: imports {name}"
                    assert not name.startswith("codeframe_tui.ui"), f"{path}: imports {name}"


COMMAND_LINE = ("cli/main.py", "cli/tools.py")  # the only modules that print and start the loop


def test_no_print_in_the_package_outside_the_command_line():
    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).as_posix() in COMMAND_LINE:
            continue
        tree = ast.parse(path.read_text())
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "print"]
        assert not calls, f"{path} calls print() at line {calls[0].lineno}"


# The one loop runs everything; a thread is allowed only for blocking work named here, each for a reason.
THREADS_FOR = {
    "engine/atomic.py": "fsync'd file writes, one at a time, off the loop",
    "engine/repomap/__init__.py": "walking and parsing the repository for its map (CPU and disk)",
    "engine/repomap/listing.py": "hashing the listed files' status",
    "engine/repomap/symbols_other.py": "reading ctags' output file",
    "llm/sdk.py": "importing the SDK (0.5 s) while the plan is already on screen",
    "ui/launch.py": "the same import, started at launch",
}


def test_threads_only_where_named_and_no_executors_or_second_loops():
    used = set()
    for path in PACKAGE.rglob("*.py"):
        text, name = path.read_text(), path.relative_to(PACKAGE).as_posix()
        for banned in ("run_in_executor", "threading.Thread", "asyncio.run(", "subprocess.run("):
            if banned == "asyncio.run(" and name in COMMAND_LINE:
                continue  # the command line starts the one loop
            assert banned not in text, f"{path} uses {banned}"
        if "to_thread(" in text:
            assert name in THREADS_FOR, f"{name} uses asyncio.to_thread: name it, and why, in THREADS_FOR"
            used.add(name)
    assert used == set(THREADS_FOR), f"named but no longer using a thread: {sorted(set(THREADS_FOR) - used)}"


ENGINE_INSIDES = {"store", "ctx", "model", "lead"}  # what the Engine holds; the UI asks the Engine instead


def test_the_ui_talks_to_the_engine_only_through_its_commands_and_queries():
    """No module under ui/ imports the store, or reaches into the engine for its store, context,
    model or lead agent: every read is an engine query, every change an engine command."""
    offenders = []
    for path in (PACKAGE / "ui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}:{node.lineno} imports {n}" for n in names
                          if n == "codeframe_tui.store" or n.startswith("codeframe_tui.store.")]
            if isinstance(node, ast.Attribute) and node.attr in ENGINE_INSIDES and _names_the_engine(node.value):
                offenders.append(f"{path.name}:{node.lineno} reaches for engine.{node.attr}")
    assert offenders == []


def _names_the_engine(node: ast.expr) -> bool:
    # `engine.store`, `self.engine.ctx`, `app.engine.model`: whatever holds the engine calls it so.
    return (isinstance(node, ast.Name) and node.id == "engine") or (
        isinstance(node, ast.Attribute) and node.attr == "engine")
