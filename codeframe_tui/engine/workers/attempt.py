"""What one attempt at a task carries through its tool loop: the conversation and its counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from codeframe_tui.engine.toolbox.editor import Editor

# Answers in a row without a tool call before the attempt ends; under the loop guard's 3 identical
# requests (workers/caps.py), so a model that only talks ends here and is retried, not asked about.
MAX_NUDGES = 2
MAX_CUTS = 2  # answers in a row cut off at max_tokens (under the loop guard too)
MAX_PAUSES = 8  # pause_turn resumptions in a row
GRACE_CALLS = 10  # calls refused past the tool-call limit before the attempt ends


@dataclass
class Attempt:
    """The conversation is only ever appended to: every assistant turn exactly as received (thinking
    blocks and signatures included), nudges and all. The API refuses a history edited after the
    fact, and so does the scripted model."""

    editor: Editor
    system: str
    tools: list[dict[str, Any]]
    model: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    correction: int = 0  # 0: the first try; 1..max_corrections: rounds after a red finish
    correction_id: int | None = None  # the stored correction in progress
    questions: int = 0
    calls: int = 0  # tool calls in this round (reset after each red finish)
    nudges: int = 0
    cuts: int = 0
    pauses: int = 0

    def add(self, role: str, content: str | list[dict[str, Any]]) -> None:
        self.messages.append({"role": role, "content": content})
