"""The worker's tool loop on a real-sized file: it searches, views a range, edits one function, runs the
tests and finishes; refused edits keep the conversation going; the history only ever grows; stop
reasons are handled as the API documents them. Every request passes the strict scripted model."""

from __future__ import annotations

import contextlib
import json
import subprocess

import pytest
from support import PYTEST, Recorder, git_init, open_engine

from codeframe_tui.config import load_settings
from codeframe_tui.domain import AgentType, NewTask, TaskStatus
from codeframe_tui.engine.events import ChangesRejected, ModelCalled, ToolUsed
from codeframe_tui.engine.session import Engine
from codeframe_tui.llm.client import ModelClient, build_anthropic_client
from codeframe_tui.llm.scripted import ScriptedModel, ScriptedServer, TextReply, TruncatedReply
from codeframe_tui.llm.scripted.agent import (
    create,
    finish,
    insert,
    list_files,
    place,
    play,
    replace,
    run_tests,
    search,
    view,
)

FUNCTIONS = 3000  # ~150 KB of module


# The HTTP leg is `slow`: `make test-fast` runs every case once, in process; `make test` runs both.
@pytest.fixture(params=["transport", pytest.param("server", marks=pytest.mark.slow)])
def via(request):
    """Every test runs twice: the scripted model in-process, and over HTTP on 127.0.0.1 through the
    real client built from settings (the SDK's own path, as a run with a real key takes)."""
    return request.param


@contextlib.asynccontextmanager
async def engine_on(via: str, project, agent, plan, **overrides):
    if via == "transport":
        engine, model, rec = await open_engine(project, agent, plan, **overrides)
        try:
            yield engine, model, rec
        finally:
            await engine.close()
        return
    model = ScriptedModel(agent)
    async with ScriptedServer(model) as server:
        env = {"ANTHROPIC_API_KEY": "sk-test-loop", "ANTHROPIC_BASE_URL": server.base_url}
        settings = load_settings(project, env=env, review="auto", **overrides)
        rec = Recorder()
        engine = await Engine.open(settings, ModelClient(settings, build_anthropic_client(settings)), rec)
        engine.ctx.model.retry_base = 0.01
        try:
            await engine.store.add_plan([], plan)
            await engine.approve_all()
            yield engine, model, rec
        finally:
            await engine.close()


def big_project(root):
    """A project whose module is ~150 KB (3,000 small functions), with a test of one of them."""
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    body = "".join(f'def f{i}(x):\n    """Function {i}."""\n    return x + {i}\n\n\n' for i in range(FUNCTIONS))
    (root / "pkg" / "more.py").write_text('"""A big module."""\n\n\n' + body)
    (root / "tests").mkdir()
    (root / "tests" / "test_more.py").write_text(
        "from pkg.more import f7\n\n\ndef test_f7():\n    assert f7(1) == 8\n")
    (root / "pyproject.toml").write_text('[project]\nname = "pkg"\nversion = "0"\n\n'
                                         '[tool.pytest.ini_options]\npythonpath = ["."]\n')
    quoted = ", ".join(f'"{a}"' for a in PYTEST)
    (root / ".codeframe").mkdir()
    (root / ".codeframe" / "config.toml").write_text(
        f"[tests]\nbackend = [{quoted}]\nfrontend = [{quoted}]\ntest = [{quoted}]\n")
    git_init(root)
    return root


NEW_TEST = "from pkg.more import f1234\n\n\ndef test_f1234():\n    assert f1234(1) == -1\n"


def git(project, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=True).stdout


TASK = NewTask("1", "f1234 returns x minus one", AgentType.BACKEND, description="Make f1234(x) return -x.",
               files=("pkg/more.py",))


def line_of(root, text: str) -> int:
    return (root / "pkg" / "more.py").read_text().split("\n").index(text) + 1


async def test_the_loop_edits_one_function_of_a_150_kb_module(tmp_path, via):
    project = big_project(tmp_path / "p")
    at = line_of(project, "def f1234(x):")

    def agent(request):
        return play([
            search(r"def f1234\("),
            view("pkg/more.py", at, at + 3),
            replace("pkg/more.py", "    return x + 1234\n", "    return -x\n"),
            create("tests/test_f1234.py", NEW_TEST),
            run_tests("tests/test_f1234.py"),
            finish("f1234 now returns -x."),
        ], place(request).step)

    async with engine_on(via, project, agent, [TASK]) as (engine, model, rec):
        summary = await engine.run()
    assert summary.all_done, [e for e in rec.events if getattr(e, "reason", "")]
    assert model.rejected == []
    diff = git(project, "diff", "HEAD~1", "HEAD", "--unified=0", "--", "pkg/more.py")
    changed = [ln for ln in diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    assert changed == ["-    return x + 1234", "+    return -x"]
    assert f"@@ -{at + 2} +{at + 2} @@" in diff
    first = model.requests[0]
    assert len(first.first_user_text()) // 4 <= engine.ctx.settings.repo_map_tokens + 500  # the map's budget
    assert '"""Function 1234."""' not in first.first_user_text()  # no file's text: the model views what it needs
    labels = [e.label for e in rec.of(ToolUsed)]
    assert labels == ['search "def f1234\\("', f"view pkg/more.py:{at}-{at + 3}", f"edit pkg/more.py:{at + 2}",
                      "create tests/test_f1234.py", "run_tests tests/test_f1234.py", "finish"]
    results = model.requests[1].tool_results()
    assert f"pkg/more.py:{at}: def f1234(x):" in results[0]["content"]


async def test_refused_edits_are_told_and_nothing_is_written(tmp_path, via):
    project = big_project(tmp_path / "p")
    outside = tmp_path / "outside"
    outside.mkdir()
    (project / "out").symlink_to(outside)  # committed: every worktree has it
    git(project, "add", "out")
    git(project, "commit", "-qm", "a link out")
    refused = [
        replace("pkg/more.py", "no such text", "x"),  # zero matches
        replace("pkg/more.py", "\n\n\ndef ", "\ndef "),  # thousands of matches
        create("../escape.py", "x = 1\n"),  # outside the worktree
        create("out/escape.py", "x = 1\n"),  # a symlink that leads out
        create(".git/hooks/pre-commit", "#!/bin/sh\n"),  # git's internals
        create("pkg/more.py", "# all gone\n"),  # an existing file never viewed
        insert("pkg/missing.py", 0, "x"),
    ]

    def agent(request):
        steps = [*refused, view("pkg/more.py", 1, 3), finish("nothing to do after all")]
        return play(steps, place(request).step)

    before = (project / "pkg" / "more.py").read_bytes()
    async with engine_on(via, project, agent, [TASK]) as (engine, model, rec):
        summary = await engine.run()
    assert summary.all_done and model.rejected == []
    errors = [r for q in model.requests[1:len(refused) + 1] for r in q.tool_results()]
    assert [r.get("is_error") for r in errors] == [True] * len(refused)
    texts = [r["content"] for r in errors]
    assert "No match found" in texts[0] and "matches of old_str" in texts[1]
    assert "'..' components" in texts[2] and "outside the project through a symlink" in texts[3]
    assert "inside .git/" in texts[4] and "not viewed it" in texts[5] and "does not exist" in texts[6]
    assert (project / "pkg" / "more.py").read_bytes() == before
    assert list(outside.iterdir()) == [] and not (tmp_path / "escape.py").exists()
    assert sum(not e.ok for e in rec.of(ToolUsed)) == len(refused)
    assert len(rec.of(ChangesRejected)) == len(refused)  # every one an edit, refused and announced


async def test_a_long_conversation_only_ever_grows_and_keeps_its_tools(tmp_path, via):
    project = big_project(tmp_path / "p")
    steps = [view("pkg/more.py", 1 + 5 * i, 5 + 5 * i) for i in range(12)] + [search(f"def f{i}\\(") for i in range(8)]
    steps += [list_files("tests/*.py"), finish("looked around")]

    def agent(request):
        return play(steps, place(request).step)

    async with engine_on(via, project, agent, [TASK]) as (engine, model, rec):
        await engine.run()
    assert model.rejected == []
    # Each turn reads the conversation before it from the prompt cache (a breakpoint on the last turn).
    called = [e for e in rec.of(ModelCalled) if e.task_id == "1"]
    reads = [e.cache_read_tokens for e in called]
    assert reads[-1] > reads[len(reads) // 2] > reads[1] > 0
    assert called[-1].input_tokens < called[-1].cache_read_tokens  # the history is not paid in full again
    requests = [r for r in model.requests if r.first_user_text().startswith("Task 1:")]
    assert len(requests) >= 22

    def plain(messages):  # cache markers move from turn to turn; everything else must stay
        return json.loads(json.dumps(messages).replace(', "cache_control": {"type": "ephemeral"}', ""))

    for before, after in zip(requests, requests[1:], strict=False):
        assert plain(after.messages)[: len(before.messages)] == plain(before.messages)
        assert after.tools == before.tools and after.system_text == before.system_text
    thinking = [b for m in requests[-1].messages if m["role"] == "assistant" for b in m["content"]
                if b["type"] == "thinking"]
    assert len(thinking) >= 21 and all(b["signature"] for b in thinking)


async def test_a_cut_answer_is_continued_and_a_text_answer_is_nudged(tmp_path, via):
    project = big_project(tmp_path / "p")

    def agent(request):
        return play([
            TruncatedReply("str_replace_based_edit_tool", '{"command": "create", "path": "pkg/x.py", "file_te'),
            TextReply("I think I am done."),
            view("pkg/more.py", 1, 2),
                        finish("continued"),
        ], place(request).step)

    async with engine_on(via, project, agent, [TASK]) as (engine, model, rec):
        summary = await engine.run()
        calls = await engine.store.model_calls("1")
    assert summary.all_done and model.rejected == []
    assert "cut off at the output limit" in model.requests[1].last_user_text()
    assert "nothing was run" in model.requests[1].last_user_text()
    assert not (project / "pkg" / "x.py").exists()
    assert "Your answer had no tool call" in model.requests[2].last_user_text()
    assert [c.stop_reason for c in calls][:3] == ["max_tokens", "end_turn", "tool_use"]


@pytest.mark.parametrize("reply_name", ["refusal", "context"])
async def test_a_refusal_or_a_full_window_ends_the_attempt_and_the_retry_starts_fresh(tmp_path, reply_name, via):
    from codeframe_tui.llm.scripted import ContextWindowReply, RefusalReply

    project = big_project(tmp_path / "p")
    first = {"n": 0}

    def agent(request):
        if len(request.messages) == 1:
            first["n"] += 1
        if first["n"] == 1:
            return play([view("pkg/more.py", 1, 2),
                         RefusalReply("I can't help with that.") if reply_name == "refusal" else ContextWindowReply()],
                        place(request).step)
        return play([view("pkg/more.py", 1, 2), finish("ok")],
                    place(request).step)

    async with engine_on(via, project, agent, [TASK]) as (engine, model, rec):
        summary = await engine.run()
        calls = await engine.store.model_calls("1")
    assert summary.all_done and model.rejected == []
    assert first["n"] == 2  # a fresh conversation for the retry
    expected = "refusal" if reply_name == "refusal" else "model_context_window_exceeded"
    assert calls[1].stop_reason == expected
    reasons = [e.reason for e in rec.events if getattr(e, "reason", "")]
    assert any(("declined" if reply_name == "refusal" else "context window") in r for r in reasons)


async def test_pause_turn_is_resumed_with_the_turn_sent_back_as_it_is(tmp_path, via):
    from codeframe_tui.llm.scripted import PauseTurnReply

    project = big_project(tmp_path / "p")

    def agent(request):
        return play([PauseTurnReply("Still working..."), view("pkg/more.py", 1, 2),
                     finish("ok")], place(request).step)

    async with engine_on(via, project, agent, [TASK]) as (engine, model, _):
        summary = await engine.run()
        calls = await engine.store.model_calls("1")
    assert summary.all_done and model.rejected == []
    resumed = model.requests[1]
    assert resumed.messages[-1]["role"] == "assistant"  # the paused turn, sent back with no user turn
    assert calls[0].stop_reason == "pause_turn"


async def test_the_tool_call_limit_is_told_then_enforced(tmp_path, via):
    project = big_project(tmp_path / "p")

    def agent(request):
        return view("pkg/more.py", 1 + place(request).step, 2 + place(request).step)

    async with engine_on(via, project, agent, [TASK], max_tool_calls=5, max_retries=0) as (engine, model, rec):
        await engine.run()
        task = await engine.store.get_task("1")
    assert task.status == TaskStatus.FAILED and "used its 5 tool calls" in task.reason
    texts = [r.last_user_text() for r in model.requests]
    assert any("[1 tool call(s) left in this attempt]" in t for t in texts)
    assert any("The limit of 5 tool calls for this attempt is reached" in t for t in texts)


async def test_a_tool_input_that_is_not_an_object_is_never_kept(tmp_path, via):
    """Sent back, `input: [1, 2]` would be a 400 on every later request: the answer is refused as
    malformed and the retry starts afresh, instead of poisoning the conversation."""
    from codeframe_tui.llm.scripted import MalformedToolReply

    project = big_project(tmp_path / "p")
    tries = {"n": 0}

    def agent(request):
        if len(request.messages) == 1:
            tries["n"] += 1
        if tries["n"] == 1:
            return MalformedToolReply("search", "[1, 2]")
        return play([run_tests("tests/test_more.py\x00"), finish("ok")], place(request).step)

    async with engine_on(via, project, agent, [TASK]) as (engine, model, rec):
        summary = await engine.run()
    assert summary.all_done and model.rejected == [] and tries["n"] == 2
    assert any("input is not a JSON object" in (getattr(e, "reason", "") or "") for e in rec.events)
    refused = [e for e in rec.of(ToolUsed) if not e.ok]
    assert len(refused) == 1 and "test files or test ids" in refused[0].note  # a NUL in args: told, not a crash
