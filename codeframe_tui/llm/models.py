"""What differs between Claude models in a request: which ones refuse a forced tool choice."""

from __future__ import annotations

# These return 400 for tool_choice "any" or "tool" (their migration guides on platform.claude.com:
# "forced tool choice" is one of the settings that return a 400). They are asked with "auto", and
# told again when they answer without a tool.
FORCED_TOOL_CHOICE_REFUSED = ("claude-sonnet-5-5", "claude-opus-5-5", "claude-fable-5-1")


def refuses_forced_tool_choice(model: str) -> bool:
    return any(model == m or model.startswith(m + "-") for m in FORCED_TOOL_CHOICE_REFUSED)
