"""The demo's script for the scripted model: which answer each request gets, and when."""

from __future__ import annotations

import re

from codeframe_tui.demo.answers import ANSWERS, WRONG_FIRST_ANSWER
from codeframe_tui.demo.project import FLAKY_TEST
from codeframe_tui.llm.scripted import ScriptedRequest, TextReply, ToolUseReply
from codeframe_tui.llm.tools import SUBMIT_CHANGES

_TASK_LINE = re.compile(r"^Task (\S+):", re.MULTILINE)


def _first_user_text(request: ScriptedRequest) -> str:
    content = request.messages[0]["content"]
    if isinstance(content, str):
        return content
    return "\n".join(b.get("text", "") for b in content if isinstance(b, dict))


def demo_responder(request: ScriptedRequest):
    """Answer by task key. A task with a wrong first answer gets its fix only when the correction
    request really carries the failing test's name: the proof that the failure reached the model."""
    match = _TASK_LINE.search(_first_user_text(request))
    if match is None or match.group(1) not in ANSWERS:
        return TextReply("I can only work on the demo plan's tasks.")
    key = match.group(1)
    corrections = sum(1 for m in request.messages if m["role"] == "assistant")
    if key in WRONG_FIRST_ANSWER:
        if corrections == 0 or FLAKY_TEST not in request.last_user_text():
            return ToolUseReply(SUBMIT_CHANGES, WRONG_FIRST_ANSWER[key])
    return ToolUseReply(SUBMIT_CHANGES, ANSWERS[key])
