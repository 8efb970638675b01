"""Running a detected test command and turning what it printed into a TestRun."""

from __future__ import annotations

import logging
import shlex
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from codeframe_tui.domain.results import TestRun
from codeframe_tui.runner.command import TestCommand
from codeframe_tui.runner.logfile import RunLog
from codeframe_tui.runner.parse import decide_status, parse_summary, read_junit
from codeframe_tui.runner.process import run_command
from codeframe_tui.runner.sandbox import Sandboxed
from codeframe_tui.runner.steps import run_steps
from codeframe_tui.runner.strays import ProcessLog

logger = logging.getLogger(__name__)


def _also_to(log: RunLog, on_line: Callable[[str], None] | None) -> Callable[[str], None]:
    """Every line to the log file first (a buffered write), then on to the caller."""
    write = log.write
    if on_line is None:
        return write

    def both(line: str) -> None:
        write(line)
        on_line(line)

    return both


async def run_tests(
    cmd: TestCommand,
    *,
    timeout: float = 300.0,
    on_line: Callable[[str], None] | None = None,
    processes: ProcessLog | None = None,
    log_path: Path | None = None,
    sandbox: Sandboxed | None = None,
) -> TestRun:
    """Run the tests once and report them; cancellation kills the run and propagates.

    Counts come from the JUnit report when the command wrote one (it is missing after a
    timeout or a crash), else from the last summary line of the output. The report is
    deleted before the run (a stale one would report an older run) and after it (the
    TestRun holds everything it said), so one TestCommand must not run twice at once.
    With `log_path`, every line of the output is written there too (the TestRun keeps a tail).
    """
    if cmd.steps:
        return await _run_steps(cmd, timeout, on_line, processes, log_path, sandbox)
    junit = cmd.junit_path
    if junit is not None:
        junit.parent.mkdir(parents=True, exist_ok=True)
        junit.unlink(missing_ok=True)
    log = None
    if log_path is not None:
        log = RunLog(log_path, f"$ {shlex.join(cmd.argv)}  (in {cmd.cwd}, {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC)")
        on_line = _also_to(log, on_line)
    start = time.monotonic()
    try:
        result = await run_command(
            cmd.argv, cmd.cwd, timeout=timeout, on_line=on_line, env=dict(cmd.env) or None, processes=processes,
            sandbox=sandbox,
        )
    except BaseException:
        if log is not None:
            log.close("(the run was stopped here)")
        raise
    duration = time.monotonic() - start

    counts = None
    if junit is not None:
        counts = read_junit(junit)
        junit.unlink(missing_ok=True)
    if counts is None:
        counts = parse_summary(result.output_tail)
    status = decide_status(counts, result.exit_code, result.timed_out)
    if log is not None:
        late = ", timed out" if result.timed_out else ""
        log.close(f"→ {status}: exit code {result.exit_code} after {duration:.2f}s{late}")
    logger.info(
        "%s: %s (%s) exit %s in %.2fs",
        cmd.description or cmd.argv,
        status,
        counts,
        result.exit_code,
        duration,
    )
    if counts is None:
        return TestRun(
            status=status,
            duration=duration,
            exit_code=result.exit_code,
            command=cmd.argv,
            output=result.output_tail,
        )
    return TestRun(
        status=status,
        total=counts.total,
        passed=counts.passed,
        failed=counts.failed,
        errors=counts.errors,
        skipped=counts.skipped,
        duration=duration,
        exit_code=result.exit_code,
        command=cmd.argv,
        output=result.output_tail,
        failing_tests=counts.failing_tests,
    )


async def _run_steps(
    cmd: TestCommand,
    timeout: float,
    on_line: Callable[[str], None] | None,
    processes: ProcessLog | None,
    log_path: Path | None,
    sandbox: Sandboxed | None,
) -> TestRun:
    """A chained script's steps, logged like one command: each step's own line starts with `──`."""
    log = None
    if log_path is not None:
        log = RunLog(log_path, f"$ {shlex.join(cmd.argv)}  (in {cmd.cwd}, {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC)")
        on_line = _also_to(log, on_line)
    try:
        run = await run_steps(cmd, timeout=timeout, on_line=on_line, processes=processes, sandbox=sandbox)
    except BaseException:
        if log is not None:
            log.close("(the run was stopped here)")
        raise
    steps = " · ".join(step.short for step in run.steps)
    if log is not None:
        log.close(f"→ {run.status}: {steps} after {run.duration:.2f}s")
    logger.info("%s: %s (%s) in %.2fs", cmd.description or cmd.argv, run.status, steps, run.duration)
    return run
