"""Secrets: a planted API key appears in no store, log, event, screen or error; secret files never
reach the model."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace

from support import PYTEST, Recorder, make_project, passing_responder, task_key_of, tasks

from codeframe_tui.config import load_settings
from codeframe_tui.domain import AgentType
from codeframe_tui.engine.session import Engine
from codeframe_tui.llm.client import ModelClient, build_anthropic_client
from codeframe_tui.llm.scripted import ErrorReply, ScriptedModel, ScriptedServer
from codeframe_tui.logs import configure_logging
from codeframe_tui.store.repos import NewTask

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
    engine, model, _ = await open_engine(project, passing_responder, plan, secret_patterns=("deploy/*.custom",))
    try:
        assert (await engine.run()).all_done
    finally:
        await engine.close()
    sent = "\n".join(r.all_text() for r in model.requests)
    assert "VISIBLE_MARK" in sent  # the context was sent: the test would see a leak
    assert [name for name, mark in SECRETS.items() if mark in sent] == []


def test_the_key_stays_out_of_settings_copies_and_their_errors():
    from pathlib import Path

    settings = load_settings(Path("/nonexistent-project"), env={"ANTHROPIC_API_KEY": KEY})
    assert settings.api_key == KEY
    for shown in (repr(settings), str(replace(settings, model="x")), f"{settings!r}"):
        assert KEY not in shown
