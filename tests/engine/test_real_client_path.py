"""End to end over 127.0.0.1: the real client built from settings (key + base URL) drives the engine."""

from __future__ import annotations

from itertools import groupby

from isolation import config_home_env
from support import Recorder, make_project, module_answer, passing_responder, task_key_of, tasks

from codeframe_tui.config import load_settings
from codeframe_tui.engine.events import ModelCalled
from codeframe_tui.engine.session import Engine
from codeframe_tui.llm.client import ModelClient, build_anthropic_client
from codeframe_tui.llm.models import editor_tool_type, output_tokens
from codeframe_tui.llm.scripted import ErrorReply, ScriptedModel, ScriptedServer
from codeframe_tui.llm.scripted.agent import writes
from codeframe_tui.llm.tools import ASK_HUMAN, EDITOR, FINISH, LIST_FILES, RUN_TESTS, SEARCH
from codeframe_tui.runner.sandbox import probe_bwrap


def steps_per_task() -> int:
    """The model calls passing_responder makes for a task: each file viewed and created, then finish."""
    answer = module_answer("1")
    return len(writes({f["path"]: f["content"] for f in answer["files"]}, answer["summary"]))


async def test_engine_runs_against_a_messages_api_server_from_the_environment(tmp_path):
    project = make_project(tmp_path / "p")
    calls = {"n": 0}

    def responder(request):
        calls["n"] += 1
        if calls["n"] == 1:  # one overload first: the SDK's own retry must absorb it
            return ErrorReply(529, "overloaded_error", "Overloaded", retry_after=0.05)
        return passing_responder(request)

    model = ScriptedModel(responder)
    async with ScriptedServer(model) as server:
        env = {"ANTHROPIC_API_KEY": "sk-test-planted-key", "ANTHROPIC_BASE_URL": server.base_url}
        settings = load_settings(project, env=env)
        assert settings.base_url == server.base_url and "sk-test" not in repr(settings)
        recorder = Recorder()
        engine = await Engine.open(settings, ModelClient(settings, build_anthropic_client(settings)), recorder)
        try:
            await engine.store.add_plan([], tasks(("1", "backend"), ("2", "test", ("1",))))
            await engine.approve_all()
            # A real run has the review gate on: each task waits for the person's accept.
            first_run = await engine.run()
            assert first_run.waiting == 1 and (await engine.store.get_task("1")).status == "review"
            await engine.accept_review("1")
            await engine.run()
            await engine.accept_review("2")
            summary = await engine.run()
        finally:
            await engine.close()
    assert summary.all_done
    # The 529'd request was retried by the client (the SDK's own retries are off) with the same body;
    # every other request was one model call, each task a conversation of steps_per_task() calls.
    calls = recorder.of(ModelCalled)
    assert len(calls) == 2 * steps_per_task()
    assert len(model.requests) == len(calls) + 1
    assert model.requests[1].body == model.requests[0].body
    first = model.requests[0]
    # The SDK sends the key as x-api-key or as a bearer token, depending on its version.
    auth = first.headers.get("x-api-key") or first.headers.get("authorization", "")
    assert auth.removeprefix("Bearer ") == "sk-test-planted-key"
    # The agent works through its tools (the text editor, search, list_files, run_tests, ask_human,
    # finish, and bash when sandboxed), the same list on every turn; the default model refuses a
    # forced tool choice (400), so it is asked with "auto", and the loop answers every tool call.
    assert settings.model == "claude-sonnet-5-5"
    assert first.body["tool_choice"] == {"type": "auto"}
    shell = ["bash"] if await probe_bwrap() is None else []  # offered in the sandbox only
    assert [t["name"] for t in first.body["tools"]] == [EDITOR, SEARCH, LIST_FILES, RUN_TESTS, ASK_HUMAN, FINISH,
                                                        *shell]
    assert first.body["tools"][0]["type"] == editor_tool_type(settings.model)
    assert all(r.tools == first.tools for r in model.requests)
    assert first.body["max_tokens"] == output_tokens(settings.model, settings.max_tokens) and first.stream
    assert [key for key, _ in groupby(e.task_id for e in calls)] == ["1", "2"]  # one task after the other
    # The key never reaches the durable log of events.
    db = (project / ".codeframe" / "state.db").read_bytes()
    assert b"sk-test-planted-key" not in db


async def test_headless_run_command_uses_the_key_and_base_url_from_the_environment(tmp_path):
    """`codeframe-tui run PATH --headless --json --approve-all`, as a person would type it, against
    a Messages-API server on 127.0.0.1: the real-use path, end to end, in a separate process."""
    import asyncio
    import json
    import sys

    from codeframe_tui.store import Store

    project = make_project(tmp_path / "p")
    store = await Store.open(project / ".codeframe" / "state.db", project.resolve())
    await store.add_plan([], tasks(("1", "backend"), ("2", "frontend", ("1",))))
    await store.close()
    model = ScriptedModel(passing_responder)
    async with ScriptedServer(model) as server:
        env = {**config_home_env(),
               "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ANTHROPIC_API_KEY": "sk-test-planted-key",
               "ANTHROPIC_BASE_URL": server.base_url}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "codeframe_tui", "run", str(project), "--headless", "--json", "--approve-all",
            "--review", "auto",
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    events = [json.loads(line) for line in out.decode().splitlines()]
    assert events[0]["type"] == "run_started" and events[-1]["type"] == "run_finished"
    assert events[-1]["done"] == 2
    # One conversation per task, and no call beyond what the script needed.
    assert sorted(task_key_of(r) for r in model.requests if len(r.messages) == 1) == ["1", "2"]
    assert len(model.requests) == 2 * steps_per_task()
    for path in (project / ".codeframe").rglob("*"):
        if path.is_file():
            assert b"sk-test-planted-key" not in path.read_bytes(), path
    assert "sk-test-planted-key" not in out.decode() + err.decode()
