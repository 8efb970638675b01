"""A test command ready to run: one argv (pytest, a configured command), or the steps of a script.

A JavaScript project's `test` script is often a chain (`pnpm lint && pnpm test:types && vitest run`):
it becomes one TestStep per thing it runs, each in its own package folder with its own report, so
the counts add up over every runner and a failed lint is named as such rather than "0 of 0".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

# A step that failed with one of these kinds does not stop the steps after it: the tests still
# say something worth knowing beside a lint error. A build or another command that failed does:
# what follows would test what it did not make.
GO_ON_AFTER = frozenset({"lint", "types", "test"})


@dataclass(frozen=True)
class TestStep:
    """One step of a chained test script.

    `label` is its short name on screen ("vitest", "lint", "types", or the script's name) and
    `kind` one of "test", "lint", "types", "build" or "other". `argv` runs it in `cwd` with `env`
    laid over the environment. A test runner's step writes its report to `report` in `report_format`
    ("junit", "jest-json" or "mocha-json"), or None when no report can be had. `where` names the
    workspace package it runs in ("" at the root). `refused` is set when the step cannot run at all
    (a script that calls itself, a missing script): the step fails with it and nothing is started.
    """

    __test__ = False

    label: str
    kind: str
    argv: tuple[str, ...]
    cwd: Path
    env: tuple[tuple[str, str], ...] = ()
    report: Path | None = None
    report_format: str = "junit"
    where: str = ""
    refused: str = ""

    @property
    def runs_tests(self) -> bool:
        return self.kind == "test"


@dataclass(frozen=True)
class TestCommand:
    """A test command ready to run: argv in cwd, with extra environment variables.

    `junit_path` is where the command writes its JUnit report, or None when it writes
    none (then the summary line is parsed). `env` is laid over os.environ.

    With `steps`, `argv` is what a person would type (`pnpm test`), shown and recorded, and the
    steps are what really runs, in order; each has its own report and environment.
    """

    __test__ = False  # not a pytest test class

    argv: tuple[str, ...]
    cwd: Path
    junit_path: Path | None = None
    description: str = ""
    env: tuple[tuple[str, str], ...] = ()
    steps: tuple[TestStep, ...] = ()

    def narrowed(self, args: tuple[str, ...]) -> TestCommand:
        """The command run on some files or test ids only: `args` go to the end of the command, or,
        for steps, to each test runner's (lint and type checks are left out: they are not about the
        tests asked for, and the full run still has them)."""
        if not args:
            return self
        if not self.steps:
            return replace(self, argv=(*self.argv, *args))
        runners = tuple(replace(s, argv=(*s.argv, *self._for(s, args))) for s in self.steps if s.runs_tests and s.argv)
        return replace(self, argv=(*self.argv, *args), steps=runners or self.steps)

    def _for(self, step: TestStep, args: tuple[str, ...]) -> tuple[str, ...]:
        """Paths given from the command's folder, made absolute for a step in a package below it."""
        if step.cwd == self.cwd:
            return args
        return tuple(str((self.cwd / a).resolve()) if not a.startswith("-") and (self.cwd / a).exists() else a
                     for a in args)
