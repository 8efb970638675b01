"""Prompts: the worker's system prompt, the task prompt with the repository map, and the texts its tool
loop sends back (test reports, corrections, nudges)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from codeframe_tui.domain import AgentType, Task, TestRun, TestStatus
from codeframe_tui.llm.tools import EDITOR as EDITOR_NAME
from codeframe_tui.llm.tools import MAX_VIEW_CHARACTERS

SKIP_DIRS = {".git", ".codeframe", ".venv", "venv", "node_modules", "__pycache__", ".pytest_cache", "dist", "build"}
# Never sent to the model (the repository map, search, list_files and the editor all leave them out).
SECRET_PATTERNS = ("*.pem", "*.key", "id_*", "*.p12", "*.pfx", "*secret*", "*credential*", "*.tfstate*",
                   "*token*", "*password*")
MAX_FAILURE_CHARS = 8_000

ROLE_TEXT = {
    AgentType.BACKEND: (
        "You are the backend engineer of a small team. You write server-side and library code, "
        "with tests, in the project's own language and folders."
    ),
    AgentType.FRONTEND: (
        "You are the frontend engineer of a small team. You write user-interface code (components, "
        "views, templates, styles) in the project's own frontend folders, with tests."
    ),
    AgentType.TEST: (
        "You are the test engineer of a small team. You write and improve automated tests that "
        "exercise the project's real code, and fix tests that are wrong."
    ),
}


def system_prompt(agent_type: AgentType, test_command: str, max_tool_calls: int, shell_timeout: float = 0) -> str:
    """The same for the whole conversation (the API binds thinking blocks to it): limits that change
    are said in tool results, never here. `shell_timeout`: the bash tool is offered, with this timeout."""
    shell = (f"- bash runs one command in a fresh shell in your copy of the repository (cd and variables do "
             f"not carry over), in a sandbox: no network, and nothing outside your copy is writable. It stops "
             f"after {shell_timeout:.0f}s and answers the output's last part. Read and edit files with the "
             "tools above; use bash for what they cannot do.\n") if shell_timeout else ""
    return (
        f"{ROLE_TEXT[agent_type]}\n\n"
        "You work on one task in an existing project, in its own copy of the repository, as an engineer "
        "does: find the code that matters, read it, change it in small exact edits, run the tests, finish. "
        "Always act through a tool call. The first message holds the task and a map of the repository; "
        "look at anything else you need.\n"
        f"- search and list_files find code and files; {EDITOR_NAME} views (use view_range on large files; "
        f"views stop at {MAX_VIEW_CHARACTERS} characters) and edits: str_replace matches exactly once, "
        "create makes a new file (an existing one only once viewed). Paths are relative to the project "
        "root; .git/ and .codeframe/ are off limits.\n"
        f"- run_tests runs {test_command}, narrowed by args to a file or a test.\n"
        "- ask_human only when the task is unclear or the decision is the person's.\n"
        "- finish when done: the tool runs the task's tests and the full suite, and sends failures back.\n"
        f"{shell}"
        f"You have {max_tool_calls} tool calls per attempt. Change only what the task needs."
    )


NUDGE = ("Your answer had no tool call, so nothing happened. Go on with the task by calling a tool; "
         "when the work is done, call finish.")


def cut_off(max_tokens: int, names: Sequence[str]) -> str:
    what = f" while writing a call to {', '.join(names)}" if names else ""
    return (
        f"Your answer was cut off at the output limit ({max_tokens} tokens){what}, so nothing was run. "
        "Go on in smaller steps: edit with str_replace in parts, or create a file small and add to it "
        "with insert."
    )


def steps_report(run: TestRun) -> str:
    """A chained script's steps on one line, then each failed step's first errors; "" for one command."""
    if not run.steps:
        return ""
    lines = ["Steps: " + " · ".join(step.short for step in run.steps)]
    for step in run.steps:
        if step.problems:
            where = f" in {step.where}" if step.where else ""
            lines += [f"{step.label}{where} {step.status}:"] + [f"  {problem}" for problem in step.problems]
    return "\n".join(lines) + "\n"


def test_report(run: TestRun) -> str:
    """run_tests' answer: the counts, each step of a chained script, the failing tests and the
    tail of the output."""
    failing = "\n".join(f"- {name}" for name in run.failing_tests[:30])
    head = (f"Tests {run.status}: {run.passed} passed, {run.failed} failed, {run.errors} errors, "
            f"{run.skipped} skipped of {run.total} in {run.duration:.1f}s.")
    steps = steps_report(run)
    if steps:
        head = f"{head}\n{steps.rstrip()}"
    if run.status in (TestStatus.PASSED, TestStatus.NO_TESTS) and not run.failing_tests:
        return head
    return f"{head}\nFailing tests:\n{failing or '- (names not reported)'}\n\nOutput (last part):\n" \
           f"{run.output[-MAX_FAILURE_CHARS:]}"


@dataclass(frozen=True)
class DependencyNote:
    key: str
    title: str


MAX_SPEC_CHARS = 20_000


def spec_context(task: Task) -> str:
    """The feature's own documents (spec-kit spec.md, plan.md, quickstart.md) named on the task."""
    parts = []
    for name in task.extra.get("context_files", []) if isinstance(task.extra, dict) else []:
        path = Path(str(name))
        try:
            if path.stat().st_size > MAX_SPEC_CHARS * 4:
                continue
            text = path.read_text(encoding="utf-8")[:MAX_SPEC_CHARS]
        except (OSError, UnicodeDecodeError):
            continue  # moved or unreadable since the import: the task can still go on
        parts.append(f"--- {path.name} (feature document) ---\n{text}")
    return "\n\n".join(parts)


def task_prompt(task: Task, deps: list[DependencyNote], repo_map: str, answers: list[tuple[str, str]],
                feedback: Sequence[str] = ()) -> str:
    """The first user turn. It starts with `Task <key>:` so logs and scripts can tell tasks apart."""
    lines = [f"Task {task.key}: {task.title}", ""]
    if task.description:
        lines += ["Description:", task.description, ""]
    if task.acceptance:
        lines += ["Acceptance criteria:", task.acceptance, ""]
    if task.test_strategy:
        lines += ["Test strategy:", task.test_strategy, ""]
    if task.files:
        lines += ["Files that matter: " + ", ".join(task.files), ""]
    if deps:
        lines += ["Already done before this task:"] + [f"- {d.key}: {d.title}" for d in deps] + [""]
    if task.retries and task.reason:
        lines += [f"This is retry {task.retries} of this task. The previous attempt ended: {task.reason}", ""]
    for question, answer in answers:
        lines += ["A person answered a question about this task:", f"Q: {question}", f"A: {answer}", ""]
    for n, text in enumerate(feedback, 1):
        lines += [
            f"A reviewer rejected attempt {n} at this task (its changes are still in the files) and said:",
            text, "Address this feedback.", "",
        ]
    spec = spec_context(task)
    if spec:
        lines += [spec, ""]
    lines += [repo_map]
    return "\n".join(lines)


VERIFY_FAILED = (
    "Your own test run passed, but the tool then ran the project's full test suite itself and it "
    "failed. Work that breaks other tests is not done.\n"
)


def correction_prompt(run: TestRun, attempt: int, max_attempts: int) -> str:
    """finish's tool_result after failing tests: the attempt number and the failure, really sent."""
    failing = "\n".join(f"- {name}" for name in run.failing_tests) or "- (names not reported)"
    output = run.output[-MAX_FAILURE_CHARS:]
    return (
        f"Not finished: the tests did not pass: status {run.status}, "
        f"{run.failed} failed, {run.errors} errors, {run.passed} passed of {run.total}.\n"
        f"{steps_report(run)}"
        f"Failing tests:\n{failing}\n\n"
        f"Test output (last part):\n{output}\n\n"
        f"This is correction attempt {attempt} of {max_attempts}, with a fresh allowance of tool calls. "
        "Find the cause, fix it, run the tests, and call finish again."
    )


def _left(left: int) -> str:
    if left <= 0:
        return "You may not ask more questions in this attempt."
    return f"You may ask {left} more question(s) in this attempt."


def person_answered(question: str, answer: str, left: int) -> str:
    """The tool_result of a SYNC ask_human: the question and the answer, verbatim."""
    return (
        f"The person answered your question.\nQuestion: {question}\nAnswer: {answer}\n\n"
        f"Go on with the task. {_left(left)}"
    )


def went_on_with_assumption(assumption: str, left: int) -> str:
    return (
        "Your question was sent to the person. Do not wait: go on with the task now, assuming: "
        f"{assumption or '(no assumption stated; choose the most conventional option)'}\n"
        f"Their answer will reach you at your next step. {_left(left)}"
    )


def late_answer(question: str, answer: str) -> str:
    return (
        "The person has answered a question you asked earlier without waiting.\n"
        f"Question: {question}\nAnswer: {answer}\nIf it differs from what you assumed, correct your work."
    )


def answered_after_stuck(failure: str, question: str, answer: str, max_attempts: int) -> str:
    return (
        f"{failure}\n\nYou ran out of correction attempts, so a person was asked how to proceed.\n"
        f"Question: {question}\nAnswer: {answer}\n\n"
        f"Follow their answer. You have {max_attempts} more correction attempts."
    )


def conflicts_note(paths: Sequence[str]) -> str:
    return (
        "\n\nThe base branch moved on since your last attempt, and merging it into your branch "
        f"conflicts in: {', '.join(paths)}. Those files hold conflict markers (<<<<<<<, =======, "
        ">>>>>>>). Resolve them first: keep both sides' intent."
    )
