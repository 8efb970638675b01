"""The project's full suite, run by the tool itself: after an agent's own tests pass (`verify`), and
on the merge queue's candidates (`merge`). One run, recorded and announced under every task it
judges."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from codeframe_tui.domain import TestRun, TestStatus
from codeframe_tui.engine.context import EngineContext
from codeframe_tui.engine.events import TestResult, TestStarted
from codeframe_tui.runner import run_tests


async def run_suite(ctx: EngineContext, keys: Sequence[str], root: Path, purpose: str) -> TestRun:
    """The `test` part's command in `root`, confined; its log is the first task's."""
    command = ctx.test_command("test", root)
    if command is None:
        return TestRun(status=TestStatus.NO_TESTS, output="no test command configured or detected")
    log = ctx.test_log(keys[0], purpose)
    for key in keys:
        await ctx.publish(TestStarted(task_id=key, command=command.argv, attempt=0, purpose=purpose,
                                      log=str(log.relative_to(ctx.project))))
    run = await run_tests(command, timeout=ctx.settings.test_timeout, processes=ctx.processes, log_path=log,
                          sandbox=ctx.confined(root))
    for key in keys:
        await ctx.store.add_test_run(key, -1 if purpose == "verify" else -2, run)
        await ctx.publish(TestResult(task_id=key, attempt=0, purpose=purpose, **run.as_dict()))
    return run
