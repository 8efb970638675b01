"""Model faults through the real SDK and the scripted model on 127.0.0.1: each ends with the task in a
clear state that names the fault, the other task unaffected, and every retry bounded and announced."""

from __future__ import annotations

import pytest
from support import Recorder, make_project, module_answer, passing_responder, task_key_of, tasks

from codeframe_tui.config import load_settings
from codeframe_tui.engine.events import ModelRetried
from codeframe_tui.engine.session import Engine
from codeframe_tui.engine.workers.attempt import MAX_CUTS, MAX_NUDGES
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
from codeframe_tui.llm.scripted.agent import EDITOR, place, play, writes

GOOD = ToolUseReply(EDITOR, {"command": "view", "path": "pkg/m_1.py"})  # the first step of the good answer
ANSWER_1 = module_answer("1")


def faulty(faults: list):
    """Task 1 meets `faults` in order, then the good answer; task 2 is always answered well."""
    queue = list(faults)

    def responder(request):
        if task_key_of(request) == "1" and queue:
            return queue.pop(0)
        return passing_responder(request)

    return responder


def loop_questions_yes(blocker):
    """An answers file that lets an agent the loop guard stopped go on (and answers nothing else)."""
    return "yes" if (blocker.source or "").startswith("budget:loop") else None


async def run_with(tmp_path, faults: list, *, responder=None, answerer=None, **config):
    project = make_project(tmp_path / "p")
    model = ScriptedModel(responder or faulty(faults))
    async with ScriptedServer(model) as server:
        env = {"ANTHROPIC_API_KEY": "sk-test", "ANTHROPIC_BASE_URL": server.base_url}
        settings = load_settings(project, env=env, review="auto", max_retries=0, **config)
        recorder = Recorder()
        client = ModelClient(settings, build_anthropic_client(settings))
        client.retry_base = 0.01
        engine = await Engine.open(settings, client, recorder, answerer=answerer)
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


# In the tool loop a cut answer and an answer without a tool call are not fatal at once: the model is
# told (nothing was run / call a tool) and goes on in the same conversation. Only MAX_CUTS + 1 or
# MAX_NUDGES + 1 in a row (here 3) end the attempt, each naming why; 5 such answers are scripted.
NOT_RETRIED = {
    "cut at max_tokens": (TruncatedReply(EDITOR, '{"command": "create", "path": "pkg/m_1.py", "fi'),
                          "cut at max_tokens 3 times in a row"),
    "malformed tool JSON": (MalformedToolReply(EDITOR, '{"command": create, "path": "pkg/m_1.py"}'),
                            "malformed tool input"),
    "an empty answer": (TextReply(""), "answered 3 times in a row without calling a tool"),
    "400 invalid request": (ErrorReply(400, "invalid_request_error", "bad"), "model API error 400"),
    "a 10 MB answer": (ToolUseReply(EDITOR, {"command": "create", "path": "pkg/m_1.py",
                                             "file_text": "x = 1\n" * ((10 << 20) // 6)}),
                       "MB and was abandoned"),  # the cap: 16 bytes per output token, at least 1 MiB
}


@pytest.mark.parametrize("fault", NOT_RETRIED, ids=list(NOT_RETRIED))
async def test_an_answer_that_cannot_be_used_fails_the_task_naming_why_without_blind_retries(tmp_path, fault):
    reply, why = NOT_RETRIED[fault]
    # The same useless answer again and again is also what the loop guard asks about: the answers
    # file lets it go on, so that the fault's own limit is what ends the attempt.
    summary, states, recorder, model = await run_with(tmp_path, [reply] * 5, model="claude-sonnet-5",
                                                      answerer=loop_questions_yes)
    assert states["1"][0] == "failed" and why in states["1"][1], states["1"]
    assert states["2"][0] == "done"
    assert recorder.of(ModelRetried) == []
    told = [r for r in model.requests if task_key_of(r) == "1"][1:]
    if fault == "cut at max_tokens":  # told, in the same conversation, that nothing was run
        assert len(told) == MAX_CUTS and all("cut off at the output limit" in r.last_user_text() for r in told)
    elif fault == "an empty answer":
        assert len(told) == MAX_NUDGES and all("Your answer had no tool call" in r.last_user_text() for r in told)
    else:  # fatal at once: one request for task 1
        assert told == []


async def test_an_editor_call_that_breaks_its_input_is_told_and_the_task_goes_on(tmp_path):
    """What the change schema check was for submit_changes: a bad editor input is refused with a
    tool_result error naming the problem (nothing is run, no retry), and the model goes on."""
    bad = [ToolUseReply(EDITOR, {"command": "create", "path": "pkg/m_1.py"}),  # no file_text
           ToolUseReply(EDITOR, {"command": "delete", "path": "pkg/__init__.py"})]  # no such command

    def responder(request):
        if task_key_of(request) == "1":
            return play([*bad, *writes({f["path"]: f["content"] for f in ANSWER_1["files"]}, "m_1")],
                        place(request).step)
        return passing_responder(request)

    summary, states, recorder, model = await run_with(tmp_path, [], responder=responder)
    assert summary.all_done, states
    assert recorder.of(ModelRetried) == []
    mine = [r for r in model.requests if task_key_of(r) == "1"]
    results = [r.tool_results()[0] for r in mine[1:3]]
    assert [r.get("is_error") for r in results] == [True, True]
    assert "create needs 'file_text'" in results[0]["content"]
    assert "unknown command 'delete'" in results[1]["content"]
    assert len({place(r).round for r in mine}) == 1  # one round: the refusals cost no correction
