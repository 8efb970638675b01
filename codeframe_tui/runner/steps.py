"""Running a TestCommand's steps in order and judging them together as one TestRun.

The counts are the sum over every test runner's own report (jest run twice counts twice). A lint,
type or format step that fails makes the run failed, named, with its first errors as
`file:line: message`, and the test steps after it still run: the agent learns both at once. A
build or any other step that fails stops the chain as `&&` would, since what follows would test
what it did not make; the steps left are "not run".
"""

from __future__ import annotations

import logging
import os
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from codeframe_tui.domain.results import StepOutcome, TestRun, TestStatus
from codeframe_tui.runner.command import GO_ON_AFTER, TestCommand, TestStep
from codeframe_tui.runner.counts import Counts
from codeframe_tui.runner.js.diagnostics import first_errors, manager_hint
from codeframe_tui.runner.js.reports import ReportPlan, merge_counts, read_report
from codeframe_tui.runner.parse import decide_status, parse_summary
from codeframe_tui.runner.process import run_command
from codeframe_tui.runner.sandbox import Sandboxed
from codeframe_tui.runner.strays import ProcessLog
from codeframe_tui.runner.stream import TAIL_MAX_CHARS

logger = logging.getLogger(__name__)

MAX_PROBLEMS = 5


@dataclass
class _Tally:
    outcomes: list[StepOutcome] = field(default_factory=list)
    counts: list[Counts | None] = field(default_factory=list)
    tails: list[str] = field(default_factory=list)
    exit_code: int | None = 0
    timed_out: bool = False
    broken: bool = False  # a step that is not a test runner failed
    stopped: bool = False  # a failed step stopped the chain

    def output(self) -> str:
        return "\n".join(self.tails)[-TAIL_MAX_CHARS:]


async def run_steps(
    cmd: TestCommand,
    *,
    timeout: float,
    on_line: Callable[[str], None] | None,
    processes: ProcessLog | None,
    sandbox: Sandboxed | None,
) -> TestRun:
    """Every step of `cmd` within one `timeout` in all; cancellation kills the running step and propagates."""
    say = on_line or (lambda line: None)
    tally = _Tally()
    start = time.monotonic()
    for step in cmd.steps:
        if tally.stopped:
            tally.outcomes.append(StepOutcome(step.label, step.kind, "not run", where=step.where))
            continue
        left = timeout - (time.monotonic() - start)
        if left <= 0:
            tally.timed_out = True
            tally.outcomes.append(StepOutcome(step.label, step.kind, "not run", where=step.where))
            continue
        await _run_step(cmd, step, left, say, processes, sandbox, tally)
    counts = merge_counts(*tally.counts)
    status = _judge(counts, tally)
    run = TestRun(
        status=status,
        duration=time.monotonic() - start,
        exit_code=tally.exit_code,
        command=cmd.argv,
        output=tally.output(),
        steps=tuple(tally.outcomes),
    )
    if counts is None:
        return run
    return replace(run, total=counts.total, passed=counts.passed, failed=counts.failed, errors=counts.errors,
                   skipped=counts.skipped, failing_tests=counts.failing_tests)


async def _run_step(cmd: TestCommand, step: TestStep, timeout: float, say: Callable[[str], None],
                    processes: ProcessLog | None, sandbox: Sandboxed | None, tally: _Tally) -> None:
    where = f" (in {step.where})" if step.where else ""
    if step.refused:
        say(f"── {step.label}{where}: not run: {step.refused}")
        tally.tails.append(f"── {step.label}{where}: {step.refused}")
        tally.outcomes.append(StepOutcome(step.label, step.kind, "error", where=step.where, problems=(step.refused,)))
        tally.broken = tally.stopped = True
        tally.exit_code = tally.exit_code or 127
        return
    header = f"── {step.label}{where}: {_shown(step.argv)}"
    say(header)
    if step.report is not None:
        step.report.parent.mkdir(parents=True, exist_ok=True)
        step.report.unlink(missing_ok=True)
    result = await run_command(step.argv, step.cwd, timeout=timeout, on_line=say, env=dict(step.env) or None,
                               processes=processes, sandbox=sandbox)
    tally.tails.append(f"{header}\n{result.output_tail}")
    if result.exit_code != 0 and not tally.exit_code:
        tally.exit_code = result.exit_code
    tally.timed_out |= result.timed_out
    if step.runs_tests:
        counts = None
        if step.report is not None:
            counts = read_report(ReportPlan((), (), step.report, step.report_format), step.cwd)
            step.report.unlink(missing_ok=True)
        if counts is None:
            counts = parse_summary(result.output_tail)
        status = decide_status(counts, result.exit_code, result.timed_out)
        tally.counts.append(counts)
        problems: tuple[str, ...] = ()
        if counts is None and status not in (TestStatus.PASSED, TestStatus.NO_TESTS):
            # No counts at all: the runner broke before testing (a config error, a missing module).
            problems = _problems(cmd, step, result.output_tail)
        outcome = StepOutcome(step.label, step.kind, str(status), counts.passed if counts else 0,
                              counts.total if counts else 0, step.where, problems)
    else:
        ok = result.exit_code == 0 and not result.timed_out
        status_text = "passed" if ok else "timeout" if result.timed_out else "failed"
        outcome = StepOutcome(step.label, step.kind, status_text, where=step.where,
                              problems=() if ok else _problems(cmd, step, result.output_tail))
        tally.broken |= not ok
    tally.outcomes.append(outcome)
    failed = outcome.status not in ("passed", "no_tests")
    if failed:
        logger.info("step %s%s %s: exit %s", step.label, where, outcome.status, result.exit_code)
    if result.timed_out or (failed and step.kind not in GO_ON_AFTER):
        tally.stopped = True


def _judge(counts: Counts | None, tally: _Tally) -> TestStatus:
    """One status for the whole chain; see the module's docstring."""
    if tally.timed_out:
        return TestStatus.TIMEOUT
    if counts is not None and counts.failed:
        return TestStatus.FAILED
    if tally.broken:  # a lint, type or build step failed, or a step could not run
        return TestStatus.FAILED
    ran = {TestStatus(o.status) for o in tally.outcomes if o.kind == "test" and o.status != "not run"}
    for status in (TestStatus.ERROR, TestStatus.FAILED, TestStatus.PASSED):
        if status in ran:
            return status
    return TestStatus.NO_TESTS


def _problems(cmd: TestCommand, step: TestStep, output: str) -> tuple[str, ...]:
    """The step's first errors as `file:line: message`, the files from the command's folder; a package
    manager's own refusal first, with what to do about it."""
    found = list(first_errors(output, MAX_PROBLEMS, root=cmd.cwd))
    if step.cwd != cmd.cwd:
        found = [_from_root(cmd.cwd, step.cwd, text) for text in found]
    hint = manager_hint(output)
    return tuple(([hint] if hint else []) + found)[:MAX_PROBLEMS]


def _from_root(root: Path, folder: Path, text: str) -> str:
    """`src/a.ts:3: x` from a step in packages/ui becomes `packages/ui/src/a.ts:3: x`."""
    file, sep, rest = text.partition(":")
    if not sep or os.path.isabs(file) or not (folder / file).exists():
        return text
    return f"{os.path.relpath(folder / file, root)}:{rest}"


def _shown(argv: tuple[str, ...]) -> str:
    if len(argv) == 3 and argv[:2] == ("sh", "-c"):
        return argv[2]
    return shlex.join(argv)
