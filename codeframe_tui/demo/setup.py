"""Prepares a demo run: the project on disk, its config and plan in the store, the scripted model."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from codeframe_tui.config import CONFIG_DIR, CONFIG_FILE, Settings, load_settings
from codeframe_tui.demo.project import ISSUES, PLAN, create_demo_project
from codeframe_tui.demo.script import demo_responder
from codeframe_tui.demo.web import ISSUES as WEB_ISSUES
from codeframe_tui.demo.web import PLAN as WEB_PLAN
from codeframe_tui.demo.web import create_web_project
from codeframe_tui.demo.web_script import web_responder
from codeframe_tui.demo.web_setup import DemoUnavailable, Install, check_node, npm_install, web_config_text
from codeframe_tui.engine.atomic import write_atomically
from codeframe_tui.engine.workspace import Workspace
from codeframe_tui.llm.scripted import ScriptedModel
from codeframe_tui.store import Store

DEFAULT_LATENCY = 0.4  # seconds per answer: a tool loop makes six or so calls per task
MARKER = "demo"  # .codeframe/demo: "setting up" while the folder is being made, then "ready"
STACK_FILE = "demo-stack"  # .codeframe/demo-stack: "python" or "web"


@dataclass(frozen=True)
class DemoSetup:
    settings: Settings
    scripted: ScriptedModel
    answers_file: Path | None  # answers the demo's question in a headless run (`--answers` format)


# Keyed by a pattern of the question, as a person would write it for their own project.
DEMO_ANSWERS = {"share of books read": "yes, a percentage rounded to one decimal"}


def new_demo_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="codeframe-demo-"))


def _config_text() -> str:
    # The demo's tests run with the interpreter that runs this tool (it has pytest), so the demo
    # works without a virtualenv of its own. JSON string quoting is valid TOML for the path.
    command = json.dumps([sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", *_no_plugins()])
    return (
        "# Written by `codeframe-tui demo`.\n"
        "max_concurrent = 4\n"
        "# The demo finishes on its own; a real project reviews each task's diff before it is done.\n"
        'review = "auto"\n\n'
        "[tests]\n"
        f"backend = {command}\n"
        f"frontend = {command}\n"
        f"test = {command}\n"
    )


def _no_plugins() -> list[str]:
    """The demo's tests need no pytest plugin, and the plugins installed beside this tool (a developer's
    test extras: textual snapshots, hypothesis...) made each of its 24 test runs a second slower.
    pytest 8.4 and later can leave them out; an older one is given nothing it does not know."""
    try:
        version = tuple(int(part) for part in re.findall(r"\d+", metadata.version("pytest"))[:2])
    except (metadata.PackageNotFoundError, ValueError):
        return []
    return ["--disable-plugin-autoload"] if version >= (8, 4) else []


def demo_folder_state(root: Path) -> str:
    """`new` (missing or empty), `ready` (a demo made here before: reopen it), `partial` (its making
    was interrupted: made again), or `foreign` (someone else's folder: never touched)."""
    if not root.exists() or (root.is_dir() and not any(root.iterdir())):
        return "new"
    try:
        text = (root / CONFIG_DIR / MARKER).read_text(encoding="utf-8").strip()
    except OSError:
        return "foreign"
    return {"ready": "ready", "setting up": "partial"}.get(text, "foreign")


def clear_partial_demo(root: Path) -> None:
    """Only for a folder whose marker says we were making a demo in it when we were stopped."""
    assert demo_folder_state(root) == "partial"
    for child in root.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


async def prepare_demo(root: Path, *, latency: float = DEFAULT_LATENCY, review: str | None = None,
                       stack: str | None = None, install: Install | None = None) -> DemoSetup:
    """Create the demo project in `root` (new or empty) and load its plan, proposed; or reopen the
    demo made there before, as it was left (a killed run is then offered to resume).

    `stack` is "python" (the default) or "web" (web_setup.py: a TypeScript project, whose
    dependencies `install` puts in place; by default `npm install`). A demo made before keeps its
    own stack; asking for the other one there is refused."""
    state = demo_folder_state(root)
    if state == "ready":
        made = demo_stack(root)
        if stack is not None and stack != made:
            raise DemoUnavailable(f"{root} holds the {made} demo; choose a new folder for the {stack} demo")
        settings = load_settings(root, offline=True, review=review)
        kept = settings.state_dir / "answers.json"
        return DemoSetup(settings, ScriptedModel(_responders()[made], latency=latency),
                         kept if kept.is_file() else None)
    stack = stack or "python"
    if stack == "web":
        await check_node()  # before anything is written
    if state == "partial":
        clear_partial_demo(root)
    (root / CONFIG_DIR).mkdir(parents=True, exist_ok=True)
    (root / CONFIG_DIR / MARKER).write_text("setting up\n", encoding="utf-8")  # first: a crash is then known
    (root / CONFIG_DIR / STACK_FILE).write_text(f"{stack}\n", encoding="utf-8")
    config = root / CONFIG_DIR / CONFIG_FILE
    answers: Path | None = None  # the web demo's agents ask nothing: no answers file
    if stack == "web":
        create_web_project(root)
        config.write_text(web_config_text(), encoding="utf-8")
        await (install or npm_install)(root)
        issues, plan = WEB_ISSUES, WEB_PLAN
    else:
        create_demo_project(root)
        config.write_text(_config_text(), encoding="utf-8")
        answers = config.parent / "answers.json"
        answers.write_text(json.dumps(DEMO_ANSWERS, indent=2) + "\n", encoding="utf-8")
        issues, plan = ISSUES, PLAN
    settings = load_settings(root, offline=True, review=review)
    await Workspace(settings).prepare(init=True)  # a git repository: each task gets its own worktree
    store = await Store.open(settings.db_path, settings.project)
    try:
        await store.add_plan(issues, plan)
    finally:
        await asyncio.shield(store.close())  # even when cancelled: an open connection's thread blocks exit
    write_atomically(root / CONFIG_DIR / MARKER, b"ready\n")
    return DemoSetup(settings, ScriptedModel(_responders()[stack], latency=latency), answers)


def demo_stack(root: Path) -> str:
    """The stack of the demo made in `root`: "python" (also for demos made before there was a choice) or "web"."""
    try:
        return (root / CONFIG_DIR / STACK_FILE).read_text(encoding="utf-8").strip() or "python"
    except OSError:
        return "python"


def _responders() -> dict[str, Callable[..., Any]]:
    return {"python": demo_responder, "web": web_responder}
