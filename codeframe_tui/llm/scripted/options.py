"""Request options whose rules depend on the model or the API version: sampling, thinking, output_config.

API version 2026-10-21 (what anthropic SDK 2.x sends) removed temperature, top_p and top_k: any of them,
even at its default, is an unknown field. On 2023-06-01 the models that think adaptively refuse them too.
Those models also refuse manual thinking (`enabled` with a budget) and turning thinking off; older models
only know `enabled` and `disabled`.
"""

from __future__ import annotations

from typing import Any

from ..models import model_info, thinks_adaptively
from .errors import InvalidRequest

__all__ = ["SAMPLING_KEYS", "check_output_config", "check_sampling", "check_thinking", "removes_sampling"]

SAMPLING_KEYS = ("temperature", "top_p", "top_k")
FIRST_VERSION_WITHOUT_SAMPLING = "2026-10-21"
EFFORTS = ("low", "medium", "high", "xhigh", "max")
DISPLAYS = ("summarized", "omitted")
# Only Claude Sonnet 5.5 documents `between_tools` (its lowest setting, instead of "disabled").
BETWEEN_TOOLS_MODELS = frozenset({"claude-sonnet-5-5"})
ADAPTIVE_ONLY = (
    '"thinking.type.{kind}" is not supported for this model. '
    'Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.'
)


def removes_sampling(api_version: str) -> bool:
    """Whether this anthropic-version has no sampling parameters at all (ISO dates compare as strings)."""
    return api_version >= FIRST_VERSION_WITHOUT_SAMPLING


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_sampling(body: dict[str, Any]) -> None:
    """temperature/top_p/top_k on an API version that still has them (see removes_sampling)."""
    for key in SAMPLING_KEYS:
        if key in body and thinks_adaptively(str(body.get("model", ""))):
            raise InvalidRequest(f"`{key}` is deprecated for this model.")
    for key in ("temperature", "top_p"):
        if key in body and not (_is_number(body[key]) and 0 <= body[key] <= 1):
            raise InvalidRequest(f"{key}: Input should be a number between 0 and 1")
    if "top_k" in body and not (isinstance(body["top_k"], int) and not isinstance(body["top_k"], bool)
                                and body["top_k"] >= 0):  # fmt: skip
        raise InvalidRequest("top_k: Input should be a non-negative integer")


def check_thinking(thinking: Any, model: str, max_tokens: int) -> None:
    if not isinstance(thinking, dict):
        raise InvalidRequest("thinking: Input should be a valid dictionary")
    kind = thinking.get("type")
    if thinks_adaptively(model):
        _check_adaptive(thinking, kind, model)
        return
    if kind not in ("enabled", "disabled"):
        raise InvalidRequest(
            f"thinking: Input tag {kind!r} found using 'type' does not match any of the expected tags: "
            "'disabled', 'enabled'"
        )
    if kind == "enabled":
        budget = thinking.get("budget_tokens")
        if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1024:
            raise InvalidRequest("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
        if budget >= max_tokens:
            raise InvalidRequest("`max_tokens` must be greater than `thinking.budget_tokens`")


def _check_adaptive(thinking: dict[str, Any], kind: Any, model: str) -> None:
    if kind in ("enabled", "disabled"):
        raise InvalidRequest(ADAPTIVE_ONLY.format(kind=kind))
    tags = ["adaptive", *(["between_tools"] if model_info(model).id in BETWEEN_TOOLS_MODELS else [])]
    if kind not in tags:
        expected = ", ".join(f"'{tag}'" for tag in tags)
        raise InvalidRequest(
            f"thinking: Input tag {kind!r} found using 'type' does not match any of the expected tags: {expected}"
        )
    allowed = {"type", "display"} if kind == "adaptive" else {"type"}
    for key in thinking:
        if key not in allowed:
            raise InvalidRequest(f"thinking.{kind}.{key}: Extra inputs are not permitted")
    if thinking.get("display") is not None and thinking["display"] not in DISPLAYS:
        raise InvalidRequest("thinking.adaptive.display: Input should be 'summarized' or 'omitted'")


def check_output_config(config: Any) -> None:
    if not isinstance(config, dict):
        raise InvalidRequest("output_config: Input should be a valid dictionary")
    for key in config:
        if key not in ("effort", "format"):
            raise InvalidRequest(f"output_config.{key}: Extra inputs are not permitted")
    if config.get("effort") is not None and config["effort"] not in EFFORTS:
        raise InvalidRequest("output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'")
    fmt = config.get("format")
    if fmt is not None and (not isinstance(fmt, dict) or fmt.get("type") != "json_schema"
                            or not isinstance(fmt.get("schema"), dict)):  # fmt: skip
        raise InvalidRequest("output_config.format: Input should be {'type': 'json_schema', 'schema': {...}}")
