"""Secrets: a planted API key appears in no store, log, event, screen or error; secret files never
reach the model."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace

import pytest
from support import PYTEST, Recorder, make_project, passing_responder, task_key_of, tasks

from codeframe_tui.cli.logs import configure_logging
from codeframe_tui.config import load_settings
from codeframe_tui.domain import AgentType, NewTask
from codeframe_tui.engine.session import Engine
from codeframe_tui.llm.client import ModelClient, build_anthropic_client
from codeframe_tui.llm.scripted import ErrorReply, ScriptedModel, ScriptedServer
from codeframe_tui.llm.scripted.agent import list_files, place, play, search, view
from codeframe_tui.llm.scripted.agent import replace as str_replace

KEY = "sk-ant-api03-PLANTED-0123456789abcdefXYZ"


def _everywhere(project, recorder: Recorder, *texts: str) -> list[str]:
    """Every place the key could leak to, as (where, text) pairs."""
    places = [(f"event {e.type}", json.dumps(e.to_json_dict())) for e in recorder.events]
    state = project / ".codeframe"
    for path in sorted(state.rglob("*")):
        # A worktree holds the project's own files, secret.txt among them: the person's, not a leak.
        if path.is_file() and "worktrees" not in path.relative_to(state).parts[:1]:
            places.append((str(path.relative_to(project)), path.read_bytes().decode("utf-8", "replace")))
    places += [(f"text {i}", t) for i, t in enumerate(texts)]
    return [where for where, text in places if KEY in text or KEY[-12:] in text]


@pytest.mark.slow  # a whole run end to end
async def test_a_planted_key_reaches_no_store_log_event_or_error(tmp_path, monkeypatch):
    # The key is in the environment too, as a person's shell has it, and the project's tests print
    # their environment and a file holding the key.
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    project = make_project(tmp_path / "p", test_command=["sh", "show.sh", *PYTEST])
    (project / "show.sh").write_text('env; echo "key: $ANTHROPIC_API_KEY"; cat secret.txt; exec "$@"\n')
    (project / "secret.txt").write_text(f"leaked {KEY} here\n")
    _commit(project, "show.sh", "secret.txt")
    seen = {"n": 0}

    def responder(request):
        seen["n"] += 1
        if task_key_of(request) == "2":  # a refused call whose gateway echoes the key, as some do
            return ErrorReply(401, "authentication_error", f"invalid x-api-key: {KEY}")
        return passing_responder(request)

    model = ScriptedModel(responder)
    async with ScriptedServer(model) as server:
        settings = load_settings(project, env={"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": server.base_url},
                                 review="auto")
        configure_logging(settings.log_path)
        recorder = Recorder()
        engine = await Engine.open(settings, ModelClient(settings, build_anthropic_client(settings)), recorder)
        try:
            await engine.store.add_plan([], tasks(("1", "backend"), ("2", "backend")))
            await engine.approve_all()
            summary = await engine.run()
            reasons = [t.reason for t in await engine.store.list_tasks()]
        finally:
            await engine.close()
    # The key did go out, in the request's header: the test is not vacuous.
    sent = model.requests[0].headers
    assert KEY in (sent.get("x-api-key") or sent.get("authorization", ""))
    assert summary.done == 1 and summary.failed == 1 and any("401" in r for r in reasons)
    assert any("invalid x-api-key: [hidden]" in r for r in reasons)
    output = [line for e in recorder.events if type(e).__name__ == "TestOutput" for line in e.lines]
    assert any("leaked [hidden] here" in line for line in output), output[:20]  # the tests did print it
    assert not any(line.startswith("ANTHROPIC_API_KEY=") for line in output)  # never given to them
    assert KEY not in repr(settings) and KEY not in str(settings)
    assert (project / ".codeframe" / "codeframe.log").stat().st_size > 0
    assert _everywhere(project, recorder, *reasons) == []


SECRETS = {
    ".env": "DOTENV-MARK",
    ".env.production": "DOTENV-PROD-MARK",
    "server.pem": "PEM-MARK",
    "id_ed25519": "SSH-KEY-MARK",
    "config/db_password.txt": "PASSWORD-MARK",
    "deploy/keys.custom": "CUSTOM-PATTERN-MARK",  # left out by the config's own pattern
    ".aws/credentials": "AWS-MARK",
}


def _commit(project, *names: str) -> None:
    subprocess.run(["git", "add", "-f", *names], cwd=project, check=True, capture_output=True)
    subprocess.run(["git", "commit", "-qm", "files"], cwd=project, check=True, capture_output=True)


def _project_with_secrets(root):
    project = make_project(root)
    for name, mark in SECRETS.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(f"{mark}\n")
    (project / "pkg" / "visible.py").write_text("VISIBLE_MARK = 1\n")
    # Committed, so every one of them is in the task's worktree too (the worst case).
    _commit(project, "pkg/visible.py", *SECRETS)
    return project


async def test_secret_files_never_reach_the_model_even_when_a_task_names_them(tmp_path):
    from support import open_engine

    project = _project_with_secrets(tmp_path / "p")
    plan = [NewTask("1", "Use the settings", AgentType.BACKEND, description="read the config",
                    files=tuple(SECRETS))]  # the plan itself points at the secrets
    # The model goes looking for them with every tool it has: each file by name (to view and to
    # change), a search for their contents, the file list, the folders; then it does its work.
    probes = [view(name) for name in SECRETS] + [str_replace(name, "MARK", "CHANGED") for name in SECRETS]
    looks = [search("MARK"), search("MARK", ".aws"), list_files(), view("."), view("config"), view("deploy"),
             view("pkg/visible.py")]

    def agent(request):
        where = place(request)
        if where.step < len(probes) + len(looks):
            return play([*probes, *looks], where.step)
        return passing_responder(request)

    engine, model, _ = await open_engine(project, agent, plan, secret_patterns=("deploy/*.custom",))
    try:
        assert (await engine.run()).all_done
    finally:
        await engine.close()
    sent = "\n".join(r.all_text() for r in model.requests)
    assert "VISIBLE_MARK" in sent  # the visible file's content was sent: the test would see a leak
    assert [name for name, mark in SECRETS.items() if mark in sent] == []
    # Every direct attempt was refused, said as an error, and changed nothing.
    refused = [r for q in model.requests[1:len(probes) + 1] for r in q.tool_results()]
    assert [r.get("is_error") for r in refused] == [True] * len(probes)
    assert all("looks like a secret" in r["content"] for r in refused), refused
    for name, mark in SECRETS.items():
        assert (project / name).read_text() == f"{mark}\n", name
    found = model.requests[len(probes) + 1].tool_results()[0]["content"]
    assert "pkg/visible.py:1: VISIBLE_MARK = 1" in found and "secret-looking files left out" in found
    listed = model.requests[len(probes) + 3].tool_results()[0]["content"]
    assert "pkg/visible.py" in listed
    assert [name for name in SECRETS if name.rsplit("/", 1)[-1] in listed] == []


async def test_a_folder_view_hides_secrets_matched_by_their_path(tmp_path):
    """The config's path globs (deploy/*.custom) hide a file in a folder's listing as they do in the
    map, list_files and search: viewing the folder itself must not name it either."""
    from codeframe_tui.engine.toolbox.editor import Editor

    project = _project_with_secrets(tmp_path / "p")
    editor = Editor(project, secret_patterns=("deploy/*.custom",))
    listings = {folder: (await editor.run({"command": "view", "path": folder})).text
                for folder in (".", "config", "deploy", ".aws")}
    assert "pkg/visible.py" in listings["."]
    leaks = {folder: [name for name in SECRETS if name.rsplit("/", 1)[-1] in text]
             for folder, text in listings.items()}
    assert leaks == {".": [], "config": [], "deploy": [], ".aws": []}


def test_the_key_stays_out_of_settings_copies_and_their_errors():
    from pathlib import Path

    settings = load_settings(Path("/nonexistent-project"), env={"ANTHROPIC_API_KEY": KEY})
    assert settings.api_key == KEY
    for shown in (repr(settings), str(replace(settings, model="x")), f"{settings!r}"):
        assert KEY not in shown
