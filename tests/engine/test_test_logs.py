"""Every test run's whole output lands in .codeframe/logs/<task>/, however much the events and the store keep."""

from __future__ import annotations

import sys

from support import make_project, open_engine, passing_responder, tasks

from codeframe_tui.engine.events import TestOutput, TestStarted
from codeframe_tui.runner.logfile import LOGS_DIR, task_logs

FLOOD = "import sys\nfor i in range(int(sys.argv[1])):\n    print(f'output line {i:05d}')\nprint('1 passed in 0.01s')\n"


async def test_the_log_holds_every_line_the_tests_printed(tmp_path):
    (tmp_path / "flood.py").write_text(FLOOD)
    project = make_project(tmp_path / "p", test_command=[sys.executable, str(tmp_path / "flood.py"), "6000"])
    engine, _model, recorder = await open_engine(project, passing_responder, tasks(("1", "backend")))
    try:
        summary = await engine.run()
        runs = await engine.store.test_runs("1")
    finally:
        await engine.close()
    assert summary.all_done
    started = recorder.of(TestStarted)
    # The agent's own run, then the suite again on the landed tree: each run its own numbered log.
    assert [s.purpose for s in started] == ["agent", "merge"]
    assert [s.log for s in started] == [".codeframe/logs/1/0001-agent.log", ".codeframe/logs/1/0002-merge.log"]
    assert [p.name for p in task_logs(project / LOGS_DIR, "1")] == ["0001-agent.log", "0002-merge.log"]
    printed = [f"output line {i:05d}" for i in range(6000)] + ["1 passed in 0.01s"]
    for start in started:
        lines = (project / start.log).read_text().splitlines()
        assert lines[0].startswith("$ ") and lines[-1].startswith("→ passed: exit code 0")
        assert lines[1:-1] == printed
    # The pane got the agent's run as batches; the store keeps a bounded tail of each run.
    streamed = [line for e in recorder.of(TestOutput) for line in e.lines]
    assert streamed == printed and len(recorder.of(TestOutput)) > 1
    assert all(run.output.count("\n") < 2000 for _attempt, run in runs)
