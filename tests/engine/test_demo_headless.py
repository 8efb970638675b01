"""The headless demo, end to end through the real command: the JSON-lines contract and the story."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

import pytest
from isolation import config_home_env

REQUIRED = {
    "run_started": {"project", "tasks"},
    "task_status_changed": {"task_id", "title", "status", "agent_id"},
    "agent_status_changed": {"agent_id", "agent_type", "status", "task_id"},
    "test_result": {"task_id", "status", "total", "passed", "failed", "errors", "skipped", "duration"},
    "correction_attempt": {"task_id", "attempt_number", "max_attempts", "status"},
    "run_finished": {"done", "failed", "blocked", "total", "elapsed"},
    "blocker_created": {"blocker_id", "task_id", "question", "kind", "agent_id", "source", "yes_no"},
    "blocker_resolved": {"blocker_id", "task_id", "answer"},
    "agent_resumed": {"agent_id", "task_id", "blocker_id"},
}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo") / "project"
    home = tmp_path_factory.mktemp("home")
    proc = subprocess.run(
        [sys.executable, "-m", "codeframe_tui", "demo", "--headless", "--json", "--dir", str(root),
         "--latency", "0.15"],
        capture_output=True, text=True, timeout=120, env={**config_home_env(),
                                                          "PATH": "/usr/bin:/bin", "HOME": str(home)},
    )
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    return proc, events, root


def test_exits_zero_and_every_line_keeps_the_contract(demo_run):
    proc, events, _ = demo_run
    assert proc.returncode == 0, proc.stderr
    assert events[0]["type"] == "run_started" and events[-1]["type"] == "run_finished"
    seen = set()
    for event in events:
        datetime.fromisoformat(event["ts"])
        seen.add(event["type"])
        assert REQUIRED.get(event["type"], set()) <= event.keys(), event
    assert set(REQUIRED) <= seen


def test_plan_has_eight_tasks_over_three_agent_types_with_chain_and_fan_in(demo_run):
    _, events, _ = demo_run
    tasks = events[0]["tasks"]
    assert len(tasks) >= 8
    assert {t["agent_type"] for t in tasks} == {"backend", "frontend", "test"}
    deps = {t["task_id"]: t["depends_on"] for t in tasks}
    assert any(len(d) >= 2 for d in deps.values())  # a fan-in
    depth = {}
    for key in deps:  # the keys are listed in dependency order
        depth[key] = 1 + max((depth[d] for d in deps[key]), default=0)
    assert max(depth.values()) >= 4  # a chain


def test_three_run_at_once_and_dependencies_hold(demo_run):
    _, events, _ = demo_run
    deps = {t["task_id"]: set(t["depends_on"]) for t in events[0]["tasks"]}
    # A task starts once its dependencies passed their checks (landing or done), on their work, and
    # lands only after they have.
    running, passed, done, peak = set(), set(), set(), 0
    for e in events:
        if e["type"] != "task_status_changed":
            continue
        if e["status"] == "running":
            assert deps[e["task_id"]] <= passed
            running.add(e["task_id"])
        else:
            running.discard(e["task_id"])
        if e["status"] in ("landing", "done"):
            passed.add(e["task_id"])
        if e["status"] == "done":
            assert deps[e["task_id"]] <= done
            done.add(e["task_id"])
        peak = max(peak, len(running))
    assert peak >= 3
    assert done == set(deps)


def test_a_failed_test_is_corrected(demo_run):
    _, events, _ = demo_run
    kinds = [(e["type"], e.get("task_id"), e.get("status")) for e in events]
    failed_at = next(i for i, k in enumerate(kinds) if k[0] == "test_result" and k[2] == "failed")
    task = kinds[failed_at][1]
    success_at = kinds.index(("correction_attempt", task, "success"))
    assert success_at > failed_at


def test_real_tests_ran_and_all_done(demo_run):
    _, events, root = demo_run
    results = [e for e in events if e["type"] == "test_result"]
    assert results[-1]["status"] == "passed" and results[-1]["passed"] > 10
    final = events[-1]
    assert final["done"] == final["total"] >= 8 and final["failed"] == final["blocked"] == 0
    assert final["elapsed"] < 60
    # The code really is in the project, and its own tests pass there.
    assert (root / "shelf" / "web" / "pages.py").is_file()
    check = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=root,
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout


def test_the_demo_question_is_answered_from_its_own_answers_file(demo_run):
    _, events, root = demo_run
    asked = [e for e in events if e["type"] == "blocker_created"]
    assert [(e["task_id"], e["source"], e["yes_no"]) for e in asked] == [("1.3", "model", True)]
    answered = [e for e in events if e["type"] in ("blocker_resolved", "agent_resumed")]
    assert [e["type"] for e in answered] == ["blocker_resolved", "agent_resumed"]
    assert answered[0]["answer"].startswith("yes")
    # The agent did what the answer said: the share read is a percentage.
    assert "round(100 * read / total, 1)" in (root / "shelf" / "stats.py").read_text()
