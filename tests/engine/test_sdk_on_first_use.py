"""Start-up: the TUI and the command line import the model SDK only when a model call needs it."""

from __future__ import annotations

import json
import subprocess
import sys

from support import make_project, passing_responder

from codeframe_tui.config import load_settings
from codeframe_tui.llm.client import ModelClient
from codeframe_tui.llm.scripted import ScriptedModel, ScriptedServer
from codeframe_tui.llm.sdk import SdkOnFirstUse
from codeframe_tui.llm.tools import EDITOR, worker_tools


def loaded_after(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def test_the_tui_and_the_command_line_load_no_sdk_at_start():
    tui = loaded_after("import codeframe_tui.ui.launch")
    assert "textual" in tui and not {"anthropic", "httpx2", "aiohttp", "pydantic"} & tui
    # `codeframe-tui --help` and a usage error: no loop, no screen, no database, no SDK.
    cli = loaded_after("import codeframe_tui.cli.main")
    assert not {"asyncio", "textual", "rich", "anthropic", "aiosqlite", "socket"} & cli


async def test_the_client_is_made_at_the_first_call_and_works(tmp_path):
    project = make_project(tmp_path / "p")
    model = ScriptedModel(passing_responder)
    async with ScriptedServer(model) as server:
        settings = load_settings(project, env={"ANTHROPIC_API_KEY": "sk-test-lazy-key-0000000",
                                               "ANTHROPIC_BASE_URL": server.base_url})
        idle = ModelClient(settings, SdkOnFirstUse(settings))
        await idle.close()  # never used: nothing to close, nothing made
        client = ModelClient(settings, SdkOnFirstUse(settings))
        try:
            turn = await client.turn(system="s", messages=[{"role": "user", "content": "Task 1: do it"}],
                                     tools=worker_tools(settings.model), model=settings.model)
        finally:
            await client.close()
    # The first step of passing_responder's tool loop: it views the file it is about to write.
    assert [u["name"] for u in turn.tool_uses] == [EDITOR] and turn.stop_reason == "tool_use"
    assert turn.tool_uses[0]["input"] == {"command": "view", "path": "pkg/m_1.py"}
    assert len(model.requests) == 1
