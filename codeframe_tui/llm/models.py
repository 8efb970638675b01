"""What differs between Claude models in a request: one table, read by the client and the scripted model.

Each row says what the real API does with that model: its largest output, its context window,
whether it thinks adaptively without being asked (always on, or on by default: thinking blocks
come back and count toward max_tokens), whether it refuses a forced tool_choice with a 400, and
which version of Anthropic's text editor tool it is trained on. A dated snapshot (`<id>-20261001`) reads as its id.

Checked on 2026-12-06 against platform.claude.com/docs (stored copies; some pages only in a
translated copy of the same path). Pages, shortened below as:
  overview  models/overview and each model's page, models/<slug>/overview
  thinking  build-with-claude/thinking and build-with-claude/thinking-tool-workflows
  editor    agents-and-tools/tool-use/text-editor-tool
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelInfo:
    id: str
    max_output_tokens: int
    context_window: int
    # thinking on in a request that sends no `thinking` field (our client sends none): always on,
    # or on by default. Thinking blocks then come back in every answer and count toward max_tokens.
    adaptive_thinking: bool
    refuses_forced_tool_choice: bool  # tool_choice "any"/"tool" is a 400: ask with "auto"
    editor_tool: str  # the `type` of the text editor tool this model takes


# editor: "Claude 4.x models | text_editor_20250728" (the table names no 5.x model). No newer
# text_editor type is in the docs, nor in SDK 2.17 (its newest is ToolTextEditor20250728Param), so
# the 5.x models take this one too. The docs do not say which version the 5.x models are trained on.
EDITOR_2025 = "text_editor_20250728"
# bash-tool: "The current version of the tool is bash_20250124"; a client tool like the editor (our
# code runs the command), schema-less, `name` fixed to "bash", no beta header. Its only earlier
# version, bash_20241022, belonged to the computer-use beta.
BASH_TOOL = "bash_20250124"

# Forced tool_choice: thinking-tool-workflows: "adaptive thinking supports forced tool use, except
# Claude Opus 5.5, Claude Sonnet 5.5, Claude Fable 5.1, Claude Mythos 5.1, which return a 400 error"
# (on the others thinking is skipped and the answer starts with the tool call). Models without
# thinking on by default accept a forced tool_choice as before.
MODELS: dict[str, ModelInfo] = {m.id: m for m in (
    # models/fable-5-2/whats-new-fable-5-2: "a 1M token context window (default and maximum) and
    # 128k max output tokens", "adaptive thinking is always on"; Mythos 5.2 "Same capabilities as
    # Claude Fable 5.2". Forced tool_choice: the page lists its four breaking changes against
    # Fable 5.1 and forced tool use is not among them, so it stays a 400 as on 5.1 (the docs do not
    # restate it for 5.2).
    ModelInfo("claude-fable-5-2", 128_000, 1_000_000, True, True, EDITOR_2025),
    ModelInfo("claude-mythos-5-2", 128_000, 1_000_000, True, True, EDITOR_2025),
    # overview (Fable 5.1): 1M, 128K, "Adaptive (always on)"; pricing: Mythos 5.1 shares its rates;
    # forced tool_choice a 400 (thinking; opus-5-5/whats-new: "The first three also apply on Claude
    # Fable 5.1").
    ModelInfo("claude-fable-5-1", 128_000, 1_000_000, True, True, EDITOR_2025),
    ModelInfo("claude-mythos-5-1", 128_000, 1_000_000, True, True, EDITOR_2025),
    # overview (Fable 5, legacy): 1M, 128K, "Adaptive (always on)"; Mythos 5 "shares Claude Fable
    # 5's specifications". Not in the forced-tool-use exceptions: accepted, thinking skipped.
    ModelInfo("claude-fable-5", 128_000, 1_000_000, True, False, EDITOR_2025),
    ModelInfo("claude-mythos-5", 128_000, 1_000_000, True, False, EDITOR_2025),
    # overview (Opus 5.5): 1M, 128K, "Adaptive (always on)"; opus-5-5/whats-new: "Thinking can't be
    # disabled", "Forced tool use returns an error".
    ModelInfo("claude-opus-5-5", 128_000, 1_000_000, True, True, EDITOR_2025),
    # overview (Sonnet 5.5): 1M, 128K, "Adaptive" (on by default; "between_tools" is the lowest
    # setting, "disabled" is not accepted); "Forced tool use returns an error".
    ModelInfo("claude-sonnet-5-5", 128_000, 1_000_000, True, True, EDITOR_2025),
    # overview (Haiku 5.5): 1M, 128K, adaptive thinking; whats-new-haiku-5-5: "Responses can start
    # with thinking blocks". Forced tool use is not among its breaking changes (migration guide)
    # nor in the exceptions: accepted.
    ModelInfo("claude-haiku-5-5", 128_000, 1_000_000, True, False, EDITOR_2025),
    # overview (Opus 5, legacy): 1M, 128K; opus-5/migration-guide: "on Claude Opus 5, the same
    # requests [without a thinking field] run with adaptive thinking". Forced tool use accepted.
    ModelInfo("claude-opus-5", 128_000, 1_000_000, True, False, EDITOR_2025),
    # overview (Sonnet 5, legacy): 1M, 128K, "adaptive thinking on by default". Forced tool use accepted.
    ModelInfo("claude-sonnet-5", 128_000, 1_000_000, True, False, EDITOR_2025),
    # overview (Opus 4.8, legacy): 1M, 128K; opus-5/migration-guide: "On Claude Opus 4.8, requests
    # without a thinking field run without thinking".
    ModelInfo("claude-opus-4-8", 128_000, 1_000_000, False, False, EDITOR_2025),
    # Opus 4.7 (legacy): on the pricing page, but no stored Anthropic overview; 1M and 128K are the
    # Bedrock and Google Cloud model cards' figures. Adaptive thinking only, set by `thinking`
    # (build-with-claude/adaptive-thinking); the docs do not say it is on without the field.
    ModelInfo("claude-opus-4-7", 128_000, 1_000_000, False, False, EDITOR_2025),
    # overview (Opus 4.6, Sonnet 4.6, legacy): 1M, 128K; adaptive thinking when requested.
    ModelInfo("claude-opus-4-6", 128_000, 1_000_000, False, False, EDITOR_2025),
    ModelInfo("claude-sonnet-4-6", 128_000, 1_000_000, False, False, EDITOR_2025),
    # overview (Opus 4.5, legacy; deprecated, retiring 2027-01-22 per SDK 2.17's deprecated list):
    # 200K, 64K, "Extended" thinking (off unless requested). Snapshot claude-opus-4-5-20251101.
    ModelInfo("claude-opus-4-5", 64_000, 200_000, False, False, EDITOR_2025),
    # overview (Haiku 4.5): 200K, 64K, "Extended". Snapshot claude-haiku-4-5-20251001.
    ModelInfo("claude-haiku-4-5", 64_000, 200_000, False, False, EDITOR_2025),
)}

# Requests to these fail; they are not in the table, so they read as UNKNOWN.
#   claude-sonnet-4-5(-20250929): sonnet-4-5/overview "retires on November 30, 2026"
#   claude-opus-4-1: pricing "retired, except on Bedrock and Google Cloud"
#   claude-opus-4(-0), claude-sonnet-4(-0): pricing marks Opus 4 "retired, except on Google Cloud";
#     Sonnet 4's retirement date is not on a stored Anthropic page (a release-note digest: 2026-06-15)
#   claude-3-7-sonnet, claude-3-5-haiku: not in the models overview nor in SDK 2.17's model list;
#     their retirement dates are not on a stored Anthropic page
#   claude-mythos-preview: end of life June 30th, 2026 (SDK 2.17's deprecated list)
RETIRED = frozenset({
    "claude-sonnet-4-5", "claude-opus-4-1", "claude-opus-4", "claude-opus-4-0", "claude-sonnet-4",
    "claude-sonnet-4-0", "claude-3-7-sonnet", "claude-3-7-sonnet-latest", "claude-3-5-haiku",
    "claude-3-5-haiku-latest", "claude-mythos-preview",
})

# For an id not in the table: what the current generation does. Conservative in every way that a
# wrong guess would cost a 400 (auto tool choice, thinking blocks kept), modest in output.
UNKNOWN = ModelInfo("", 32_000, 200_000, True, True, EDITOR_2025)


def model_info(model: str) -> ModelInfo:
    """The row for `model` (exact id, else the id of which it is a dated snapshot), else UNKNOWN."""
    if model in MODELS:
        return MODELS[model]
    base, _, suffix = model.rpartition("-")
    if len(suffix) == 8 and suffix.isdigit() and base in MODELS:
        return MODELS[base]
    return UNKNOWN


def is_known(model: str) -> bool:
    return model_info(model) is not UNKNOWN


def refuses_forced_tool_choice(model: str) -> bool:
    return model_info(model).refuses_forced_tool_choice


def thinks_adaptively(model: str) -> bool:
    return model_info(model).adaptive_thinking


def editor_tool_type(model: str) -> str:
    return model_info(model).editor_tool


def output_tokens(model: str, configured: int = 0) -> int:
    """max_tokens for a request: the configured figure when set, else the model's documented maximum
    output. Thinking counts toward it, so the default leaves the model all the room it has."""
    top = model_info(model).max_output_tokens
    return min(configured, top) if configured > 0 else top
