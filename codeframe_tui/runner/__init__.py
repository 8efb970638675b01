"""The test runner: detect a project's test command, run it in its own process group, parse it."""

from codeframe_tui.runner.command import TestCommand, TestStep
from codeframe_tui.runner.detect import command_from_config, detect_test_command
from codeframe_tui.runner.parse import Counts, decide_status, parse_junit, parse_summary
from codeframe_tui.runner.process import ProcessResult, run_command
from codeframe_tui.runner.run import run_tests

__all__ = [
    "Counts",
    "ProcessResult",
    "TestCommand",
    "TestStep",
    "command_from_config",
    "decide_status",
    "detect_test_command",
    "parse_junit",
    "parse_summary",
    "run_command",
    "run_tests",
]
