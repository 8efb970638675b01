"""Prepares a demo run: the project on disk, its config and plan in the store, the scripted model."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from codeframe_tui.config import CONFIG_DIR, CONFIG_FILE, Settings, load_settings
from codeframe_tui.demo.project import ISSUES, PLAN, create_demo_project
from codeframe_tui.demo.script import demo_responder
from codeframe_tui.engine.workspace import Workspace
from codeframe_tui.llm.scripted import ScriptedModel
from codeframe_tui.store import Store

DEFAULT_LATENCY = 1.2


@dataclass(frozen=True)
class DemoSetup:
    settings: Settings
    scripted: ScriptedModel
    answers_file: Path  # answers the demo's question in a headless run (`--answers` format)


# Keyed by a pattern of the question, as a person would write it for their own project.
DEMO_ANSWERS = {"share of books read": "yes, a percentage rounded to one decimal"}


def new_demo_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="codeframe-demo-"))


def _config_text() -> str:
    # The demo's tests run with the interpreter that runs this tool (it has pytest), so the demo
    # works without a virtualenv of its own. JSON string quoting is valid TOML for the path.
    python = json.dumps(sys.executable)
    return (
        "# Written by `codeframe-tui demo`.\n"
        "max_concurrent = 4\n"
        "# The demo finishes on its own; a real project reviews each task's diff before it is done.\n"
        'review = "auto"\n\n'
        "[tests]\n"
        f'backend = [{python}, "-m", "pytest", "-v", "-p", "no:cacheprovider"]\n'
        f'frontend = [{python}, "-m", "pytest", "-v", "-p", "no:cacheprovider"]\n'
        f'test = [{python}, "-m", "pytest", "-v", "-p", "no:cacheprovider"]\n'
    )


async def prepare_demo(root: Path, *, latency: float = DEFAULT_LATENCY) -> DemoSetup:
    """Create the demo project in `root` (which must be new or empty) and load its plan, proposed."""
    create_demo_project(root)
    config = root / CONFIG_DIR / CONFIG_FILE
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(_config_text(), encoding="utf-8")
    answers = config.parent / "answers.json"
    answers.write_text(json.dumps(DEMO_ANSWERS, indent=2) + "\n", encoding="utf-8")
    settings = load_settings(root, offline=True)
    await Workspace(settings).prepare(init=True)  # a git repository: each task gets its own worktree
    store = await Store.open(settings.db_path, settings.project)
    try:
        await store.add_plan(ISSUES, PLAN)
    finally:
        await asyncio.shield(store.close())  # even when cancelled: an open connection's thread blocks exit
    return DemoSetup(settings, ScriptedModel(demo_responder, latency=latency), answers)
