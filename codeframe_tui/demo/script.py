"""The demo's script for the scripted model: each agent explores, edits, tests and finishes.

Every task's agent works as a real one does in a tool loop: it searches for what it builds on and
views a range of it, writes its module and its test, runs that test, and finishes. The answers are
real code (demo/answers.py); the script finds its place from the request alone (scripted/agent.py).
"""

from __future__ import annotations

import re

from codeframe_tui.demo.answers import ANSWERS, STATS_AS_PERCENT, STATS_QUESTION, WRONG_FIRST_ANSWER
from codeframe_tui.demo.project import ASKING_TASK, FLAKY_TEST
from codeframe_tui.llm.scripted import ScriptedRequest, TextReply
from codeframe_tui.llm.scripted.agent import (
    Place,
    ask,
    create,
    finish,
    last_finish_result,
    place,
    play,
    replace,
    run_tests,
    search,
    view,
)

_TASK_LINE = re.compile(r"^Task (\S+):", re.MULTILINE)
# What each agent looks up before it writes: (search pattern, file to view, its first lines).
_EXPLORE: dict[str, tuple[str, str, int]] = {
    "1.1": ("dataclass", "pyproject.toml", 8),
    "1.2": ("class Book", "shelf/models.py", 20),
    "1.3": ("class Book", "shelf/models.py", 12),
    "1.4": ("def all", "shelf/store.py", 30),
    "2.1": ("class Book", "shelf/models.py", 12),
    "2.2": ("def (search|book_card)", "shelf/web/components.py", 16),
    "3.1": ("def search", "shelf/search.py", 16),
    "3.2": ("def list_page", "shelf/web/pages.py", 20),
}


def demo_responder(request: ScriptedRequest):
    """Answer by task key. A task with a wrong first answer gets its fix only when finish's failure
    really carries the failing test's name: the proof that the failure reached the model."""
    match = _TASK_LINE.search(request.first_user_text())
    if match is None or match.group(1) not in ANSWERS:
        return TextReply("I can only work on the demo plan's tasks.")
    key = match.group(1)
    where = place(request)
    if key == ASKING_TASK:
        return _asking_task(request, where)
    if key in WRONG_FIRST_ANSWER and where.round > 0 and FLAKY_TEST in last_finish_result(request):
        return play(_fix_count_line(), where.step)
    answer = WRONG_FIRST_ANSWER.get(key, ANSWERS[key])
    return play(_explore(key) + _write(answer, tested=key not in WRONG_FIRST_ANSWER), where.step)


def _explore(key: str) -> list:
    pattern, path, lines = _EXPLORE[key]
    return [search(pattern), view(path, 1, lines)]


def _write(change: dict, *, tested: bool = True) -> list:
    files = [f for f in change["files"] if f["action"] == "write"]
    steps = [create(f["path"], f["content"]) for f in files]
    tests = [f["path"] for f in files if f["path"].startswith("tests/")]
    if tested and tests:
        steps.append(run_tests(*tests))
    return [*steps, finish(change["summary"])]


def _fix_count_line() -> list:
    path = "tests/test_pages.py"
    return [view(path, 13, 15), replace(path, '2 book</p>', '2 books</p>'), run_tests(path),
            finish("The count line says '2 books': fixed the expectation.")]


_ANSWER = re.compile(r"^(?:Answer|A): (.*)$", re.MULTILINE)


def _asking_task(request: ScriptedRequest, where: Place):
    """Ask first; then write the statistics the way the answer says. The answer is looked for in
    the request itself (the tool_result, or the first prompt after a restart): the proof it arrived."""
    texts = [request.first_user_text(), *_results(request)]
    answers = [m.group(1) for text in texts for m in _ANSWER.finditer(text)]
    if not answers:
        return ask(STATS_QUESTION, blocking=True, yes_no=True)
    wants_percent = answers[-1].strip().lower().startswith("y")
    # An answered question opens a new round (scripted/agent.py): the work starts at its step 0.
    steps = _explore(ASKING_TASK) + _write(STATS_AS_PERCENT if wants_percent else ANSWERS[ASKING_TASK])
    return play(steps, where.step)


def _results(request: ScriptedRequest) -> list[str]:
    out = []
    for message in request.messages:
        if message["role"] == "user" and isinstance(message["content"], list):
            out += [b["content"] for b in message["content"]
                    if b["type"] == "tool_result" and isinstance(b.get("content"), str)]
    return out
