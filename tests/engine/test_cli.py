"""The command line: `tests --json`, usage errors with clear messages, `--help` without heavy imports."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from isolation import config_home_env
from support import make_project

from codeframe_tui.runner.sandbox import probe_bwrap


def cli(*args: str, cwd: Path | None = None, env_home: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "codeframe_tui", *args], capture_output=True, text=True, timeout=120,
        cwd=cwd, env={**config_home_env(), "PATH": "/usr/bin:/bin", "HOME": str(env_home)},
    )


def test_tests_command_prints_the_parsed_result_as_json(tmp_path):
    project = make_project(tmp_path / "p")
    (project / "tests" / "test_more.py").write_text(
        "import pytest\n\ndef test_ok():\n    pass\n\ndef test_bad():\n    assert 1 == 2\n\n"
        "@pytest.mark.skip\ndef test_skip():\n    pass\n"
    )
    proc = cli("tests", str(project), "--json", env_home=tmp_path)
    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout)
    assert result == {"status": "failed", "total": 4, "passed": 2, "failed": 1, "errors": 0, "skipped": 1,
                      "duration": result["duration"], "steps": []}  # one command: no steps
    assert result["duration"] > 0


def test_tests_command_detects_pytest_without_config(tmp_path):
    project = tmp_path / "plain"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_a.py").write_text("def test_a():\n    assert True\n")
    venv_python = project / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.symlink_to(sys.executable)  # "the project's own .venv" is preferred
    proc = cli("tests", str(project), "--json", env_home=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["passed"] == 1


def test_demo_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    proc = cli("demo", "--headless", "--dir", str(tmp_path / "full"), env_home=tmp_path)
    assert proc.returncode == 2
    assert "must be a new or empty folder" in proc.stderr
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"


def test_run_without_an_api_key_says_what_to_do(tmp_path):
    project = make_project(tmp_path / "p")
    proc = cli("run", str(project), "--headless", env_home=tmp_path)
    assert proc.returncode == 2
    assert "ANTHROPIC_API_KEY is not set" in proc.stderr and "codeframe-tui demo" in proc.stderr


def test_bad_config_is_a_usage_error_naming_the_key(tmp_path):
    project = make_project(tmp_path / "p", max_concurrent=0)
    proc = cli("tests", str(project), env_home=tmp_path)
    assert proc.returncode == 2
    assert "max_concurrent must be an integer >= 1" in proc.stderr


def test_help_loads_neither_textual_nor_the_engine(tmp_path):
    code = (
        "import sys\nfrom codeframe_tui.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print([m for m in sys.modules if m.startswith(('textual', 'anthropic', 'aiosqlite'))])"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip().splitlines()[-1] == "[]"


FIXTURES = Path(__file__).resolve().parents[1] / "plan" / "fixtures"


def test_import_dry_run_prints_tasks_and_edges_and_writes_nothing(tmp_path):
    proc = cli("import", str(FIXTURES / "checklist.md"), "--dry-run", "--json", "--project", str(tmp_path),
               env_home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    assert plan["format"] == "checklist" and plan["tasks"] and plan["edges"]
    assert {"task_id", "title", "agent_type", "status", "depends_on"} <= plan["tasks"][0].keys()
    assert not (tmp_path / ".codeframe").exists()


def test_import_then_reimport_is_refused_whole(tmp_path):
    import sqlite3

    source = FIXTURES / "speckit" / "tasks.md"
    first = cli("import", str(source), "--project", str(tmp_path), env_home=tmp_path)
    assert first.returncode == 0, first.stderr
    db = tmp_path / ".codeframe" / "state.db"
    with sqlite3.connect(db) as conn:
        count, proposed = conn.execute(
            "SELECT COUNT(*), SUM(status = 'proposed') FROM tasks").fetchone()
        edges = conn.execute("SELECT COUNT(*) FROM task_dependencies").fetchone()[0]
    assert count > 10 and proposed > 0 and edges > 0
    again = cli("import", str(source), "--project", str(tmp_path), env_home=tmp_path)
    assert again.returncode == 2 and "not imported" in again.stderr and "already exists" in again.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0] == count


def test_import_of_a_malformed_plan_names_the_file_and_line(tmp_path):
    bad = tmp_path / "tasks.md"
    bad.write_text("## Phase 1: Setup\n\n- [ ] T001 Create the project\n- [ ] T001 Again the same id\n")
    proc = cli("import", str(bad), "--project", str(tmp_path), "--strict", env_home=tmp_path)
    assert proc.returncode == 2
    assert f"{bad}:4" in proc.stderr
    assert not (tmp_path / ".codeframe").exists()
    # Without --strict the rest imports, and the skipped line is named.
    proc = cli("import", str(bad), "--project", str(tmp_path), env_home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"warning: {bad}:4: duplicate task id T001 (first at line 3); skipped" in proc.stderr


def test_import_keeps_the_feature_documents_for_the_workers(tmp_path):
    import sqlite3

    proc = cli("import", str(FIXTURES / "speckit"), "--project", str(tmp_path), env_home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    with sqlite3.connect(tmp_path / ".codeframe" / "state.db") as conn:
        extra = json.loads(conn.execute("SELECT extra FROM tasks LIMIT 1").fetchone()[0])
    assert {Path(p).name for p in extra["context_files"]} >= {"spec.md", "plan.md"}


@pytest.mark.slow  # a whole run end to end
def test_headless_demo_with_no_answer_for_its_question_exits_3_and_prints_it(tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"nothing matches this": "no"}))
    proc = cli("demo", "--headless", "--dir", str(tmp_path / "d"), "--latency", "0", "--answers", str(answers),
               env_home=tmp_path)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "1 item(s) wait for a person" in proc.stdout
    assert "on task 1.3: Should the share of books read be a percentage" in proc.stdout, proc.stdout
    # Everything that did not depend on 1.3 still finished.
    assert "task 3.2 done" in proc.stdout and "task 1.3 blocked" in proc.stdout
    # `status` reads the same state back without starting anything.
    state = cli("status", str(tmp_path / "d"), "--json", env_home=tmp_path)
    assert state.returncode == 0, state.stderr
    data = json.loads(state.stdout)
    assert data["counts"] == {"done": 7, "blocked": 1}
    assert [(w["kind"], w["task_id"]) for w in data["waiting"]] == [("blocker", "1.3")]
    # One per tool call of each agent's loop (demo/script.py): 6 for a task that explores, writes a
    # module and its test, runs it and finishes; 4 for 2.2 (no test of its own), 5 for 3.1 (a test
    # only), 4 + 4 for 3.2 (its wrong first try, then view, fix, run, finish), and 1.3's question.
    assert data["usage"]["calls"] == 6 * 4 + 4 + 5 + 8 + 1
    text = cli("status", str(tmp_path / "d"), env_home=tmp_path).stdout
    assert "8 tasks: 1 blocked, 7 done" in text and "question 1 on task 1.3" in text
    # Where the commands run: the demo confines them where bubblewrap works, and both say so.
    confined = shutil.which("bwrap") is not None and asyncio.run(probe_bwrap()) is None
    if confined:
        assert data["sandbox"] == "bwrap · no network" and "\nsandbox: bwrap · no network\n" in text
        assert "tests run in the sandbox" in proc.stdout
    else:
        assert data["sandbox"].startswith("sandbox off") and "tests run unconfined" in text
    config = tmp_path / "d" / ".codeframe" / "config.toml"
    config.write_text('sandbox = "none"\n' + (config.read_text() if config.exists() else ""))
    assert "\nsandbox: none\n" in cli("status", str(tmp_path / "d"), env_home=tmp_path).stdout
    assert cli("status", str(tmp_path), env_home=tmp_path).returncode == 2  # no plan there


def test_a_bad_answers_file_is_a_usage_error_and_nothing_is_made(tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text('{"(unclosed": "yes"}')
    proc = cli("demo", "--headless", "--dir", str(tmp_path / "d"), "--answers", str(answers), env_home=tmp_path)
    assert proc.returncode == 2
    assert "'(unclosed' is not a valid pattern" in proc.stderr
    assert not (tmp_path / "d").exists()


def test_answers_need_headless(tmp_path):
    project = make_project(tmp_path / "p")
    proc = cli("run", str(project), "--answers", "x.json", env_home=tmp_path)
    assert proc.returncode == 2 and "--answers is for --headless runs" in proc.stderr


def test_run_on_a_folder_that_is_not_a_repository_says_to_init(tmp_path):
    project = tmp_path / "plain"
    project.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "codeframe_tui", "run", str(project), "--headless"], capture_output=True,
        text=True, timeout=120,
        env={**config_home_env(), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ANTHROPIC_API_KEY": "sk-test",
             "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"},
    )
    assert proc.returncode == 2
    assert "is not a git repository" in proc.stderr and "--init-git" in proc.stderr
    assert not (project / ".git").exists()


@pytest.mark.slow  # a whole run end to end
def test_undo_shows_what_it_reverts_asks_and_reverts(tmp_path):
    import asyncio

    from support import open_engine, passing_responder, tasks

    project = make_project(tmp_path / "p")

    async def land_one():
        engine, _, _ = await open_engine(project, passing_responder, tasks(("1", "backend")))
        try:
            assert (await engine.run()).all_done
        finally:
            await engine.close()

    asyncio.run(land_one())
    assert (project / "pkg" / "m_1.py").exists()
    no = subprocess.run([sys.executable, "-m", "codeframe_tui", "undo", "1", "--project", str(project)],
                        input="n\n", capture_output=True, text=True, timeout=120,
                        env={**config_home_env(), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert no.returncode == 1 and "nothing changed" in no.stdout
    assert "changed pkg/m_1.py, tests/test_m_1.py" in no.stdout and (project / "pkg" / "m_1.py").exists()
    yes = cli("undo", "1", "--project", str(project), "--yes", "--to", "rejected", env_home=tmp_path)
    assert yes.returncode == 0, yes.stderr
    assert "task 1 is rejected" in yes.stdout and not (project / "pkg" / "m_1.py").exists()
    again = cli("undo", "1", "--project", str(project), "--yes", env_home=tmp_path)
    assert again.returncode == 2 and "no landed merge to undo" in again.stderr


@pytest.mark.slow  # a whole run end to end
def test_sigterm_stops_a_headless_run_cleanly(tmp_path):
    import signal
    import time

    root = tmp_path / "d"
    proc = subprocess.Popen(
        [sys.executable, "-m", "codeframe_tui", "demo", "--headless", "--dir", str(root), "--latency", "0.5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**config_home_env(), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    deadline = time.monotonic() + 60
    for line in proc.stdout:
        if " running by " in line or time.monotonic() > deadline:
            break
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 130
    state = json.loads(cli("status", str(root), "--json", env_home=tmp_path).stdout)
    assert "running" not in state["counts"]
    assert any("stopped" in t["reason"] for t in state["tasks"] if t["status"] == "approved")
