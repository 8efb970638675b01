"""The demo's script for the scripted model: which answer each request gets, and when."""

from __future__ import annotations

import re

from codeframe_tui.demo.answers import ANSWERS, STATS_AS_PERCENT, STATS_QUESTION, WRONG_FIRST_ANSWER
from codeframe_tui.demo.project import ASKING_TASK, FLAKY_TEST
from codeframe_tui.llm.scripted import ScriptedRequest, TextReply, ToolUseReply
from codeframe_tui.llm.tools import ASK_HUMAN, SUBMIT_CHANGES

_TASK_LINE = re.compile(r"^Task (\S+):", re.MULTILINE)


def demo_responder(request: ScriptedRequest):
    """Answer by task key. A task with a wrong first answer gets its fix only when the correction
    request really carries the failing test's name: the proof that the failure reached the model."""
    match = _TASK_LINE.search(request.first_user_text())
    if match is None or match.group(1) not in ANSWERS:
        return TextReply("I can only work on the demo plan's tasks.")
    key = match.group(1)
    if key == ASKING_TASK:
        return _asking_task(request)
    corrections = sum(1 for m in request.messages if m["role"] == "assistant")
    if key in WRONG_FIRST_ANSWER:
        if corrections == 0 or FLAKY_TEST not in request.last_user_text():
            return ToolUseReply(SUBMIT_CHANGES, WRONG_FIRST_ANSWER[key])
    return ToolUseReply(SUBMIT_CHANGES, ANSWERS[key])


_ANSWER = re.compile(r"^(?:Answer|A): (.*)$", re.MULTILINE)


def _asking_task(request: ScriptedRequest):
    """Ask first; then write the statistics the way the answer says. The answer is looked for in
    the request itself (the tool_result, or the first prompt after a restart): the proof it arrived."""
    texts = [request.first_user_text(), request.last_user_text()]
    answers = [m.group(1) for text in texts for m in _ANSWER.finditer(text)]
    if not answers:
        return ToolUseReply(ASK_HUMAN, {"question": STATS_QUESTION, "blocking": True, "yes_no": True})
    wants_percent = answers[-1].strip().lower().startswith("y")
    return ToolUseReply(SUBMIT_CHANGES, STATS_AS_PERCENT if wants_percent else ANSWERS[ASKING_TASK])
