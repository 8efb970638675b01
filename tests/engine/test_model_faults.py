"""Model faults through the real SDK and the scripted model on 127.0.0.1: each ends with the task in a
clear state that names the fault, the other task unaffected, and every retry bounded and announced."""

from __future__ import annotations

import pytest
from support import Recorder, make_project, module_answer, passing_responder, task_key_of, tasks

from codeframe_tui.config import load_settings
from codeframe_tui.engine.events import ModelRetried
from codeframe_tui.engine.session import Engine
from codeframe_tui.llm.client import ModelClient, build_anthropic_client
from codeframe_tui.llm.scripted import (
    DropReply,
    ErrorReply,
    MalformedToolReply,
    MidStreamErrorReply,
    ScriptedModel,
    ScriptedServer,
    StallReply,
    TextReply,
    ToolUseReply,
    TruncatedReply,
)
from codeframe_tui.llm.tools import SUBMIT_CHANGES

GOOD = ToolUseReply(SUBMIT_CHANGES, module_answer("1"))


def faulty(faults: list):
    """Task 1 meets `faults` in order, then the good answer; task 2 is always answered well."""
    queue = list(faults)

    def responder(request):
        if task_key_of(request) == "1" and queue:
            return queue.pop(0)
        return passing_responder(request)

    return responder


async def run_with(tmp_path, faults: list, **config):
    project = make_project(tmp_path / "p")
    model = ScriptedModel(faulty(faults))
    async with ScriptedServer(model) as server:
        env = {"ANTHROPIC_API_KEY": "sk-test", "ANTHROPIC_BASE_URL": server.base_url}
        settings = load_settings(project, env=env, review="auto", max_retries=0, **config)
        recorder = Recorder()
        client = ModelClient(settings, build_anthropic_client(settings))
        client.retry_base = 0.01
        engine = await Engine.open(settings, client, recorder)
        try:
            await engine.store.add_plan([], tasks(("1", "backend"), ("2", "test")))
            await engine.approve_all()
            summary = await engine.run()
            states = {t.key: (str(t.status), t.reason) for t in await engine.store.list_tasks()}
        finally:
            await engine.close()
    return summary, states, recorder, model


RECOVERED = {
    "429 with retry-after": [ErrorReply(429, "rate_limit_error", "Slow down", retry_after=0.2)],
    "529 overloaded": [ErrorReply(529, "overloaded_error", "Overloaded")],
    "500 burst": [ErrorReply(500, "api_error", "Internal")] * 2,
    "mid-stream error event": [MidStreamErrorReply(GOOD)],
    "TCP drop mid-stream": [DropReply(after_bytes=300)],
    "read timeout": [StallReply(5.0, GOOD)],
}


@pytest.mark.parametrize("fault", RECOVERED, ids=list(RECOVERED))
async def test_a_passing_fault_is_retried_with_an_announced_backoff_and_the_task_finishes(tmp_path, fault):
    summary, states, recorder, model = await run_with(tmp_path, list(RECOVERED[fault]), model_timeout=1.0)
    assert summary.all_done, states
    retries = recorder.of(ModelRetried)
    assert [r.retry for r in retries] == list(range(1, len(RECOVERED[fault]) + 1))
    assert all(r.task_id == "1" and r.of == 2 and r.wait > 0 for r in retries)
    if fault == "429 with retry-after":
        assert retries[0].wait >= 0.2 and "429" in retries[0].reason  # the server's wait is honoured
    if fault == "TCP drop mid-stream":
        assert "connection to the model dropped" in retries[0].reason


async def test_a_fault_that_outlasts_the_retries_fails_its_task_naming_it_and_spares_the_other(tmp_path):
    burst = [ErrorReply(500, "api_error", "Internal server error")] * 3
    summary, states, recorder, model = await run_with(tmp_path, burst)
    assert states["1"][0] == "failed" and "model API error 500 (api_error): Internal server error" in states["1"][1]
    assert states["2"][0] == "done"
    assert [r.retry for r in recorder.of(ModelRetried)] == [1, 2]  # bounded: sdk_max_retries = 2


async def test_a_refused_connection_is_retried_then_named(tmp_path):
    project = make_project(tmp_path / "p")
    settings = load_settings(project, env={"ANTHROPIC_API_KEY": "sk-test", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"},
                             review="auto", max_retries=0)
    recorder = Recorder()
    client = ModelClient(settings, build_anthropic_client(settings))
    client.retry_base = 0.01
    engine = await Engine.open(settings, client, recorder)
    try:
        await engine.store.add_plan([], tasks(("1", "backend")))
        await engine.approve_all()
        await engine.run()
        task = await engine.store.get_task("1")
    finally:
        await engine.close()
    assert task.status == "failed" and "could not reach the model" in task.reason
    assert len(recorder.of(ModelRetried)) == 2


NOT_RETRIED = {
    "cut at max_tokens": (TruncatedReply(SUBMIT_CHANGES, '{"summary": "x", "fi'), "cut at max_tokens"),
    "malformed tool JSON": (MalformedToolReply(SUBMIT_CHANGES, '{"summary": x, "files": []}'), "malformed"),
    "breaks the change schema": (ToolUseReply(SUBMIT_CHANGES, {"summary": "x"}), "change set is invalid"),
    "an empty answer": (TextReply(""), "without calling submit_changes"),
    "400 invalid request": (ErrorReply(400, "invalid_request_error", "bad"), "model API error 400"),
    "a 10 MB answer": (ToolUseReply(SUBMIT_CHANGES, module_answer("1", body="x = 1\n" * ((10 << 20) // 6))),
                       "model answer passed 1.0 MB and was abandoned"),
}


@pytest.mark.parametrize("fault", NOT_RETRIED, ids=list(NOT_RETRIED))
async def test_an_answer_that_cannot_be_used_fails_the_task_naming_why_without_blind_retries(tmp_path, fault):
    reply, why = NOT_RETRIED[fault]
    summary, states, recorder, model = await run_with(tmp_path, [reply] * 3, model="claude-sonnet-5")
    assert states["1"][0] == "failed" and why in states["1"][1], states["1"]
    assert states["2"][0] == "done"
    assert recorder.of(ModelRetried) == []
