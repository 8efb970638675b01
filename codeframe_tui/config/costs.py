"""The config's cost tables: a model per role ([models]), caps ([budget]) and price overrides ([pricing])."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROLES = ("lead", "backend", "frontend", "test")
# Config key -> Settings field. 0 turns a cap off; the defaults keep every run capped.
BUDGET_KEYS = {
    "task_usd": "budget_task_usd",
    "task_tokens": "budget_task_tokens",
    "task_minutes": "budget_task_minutes",
    "run_usd": "budget_run_usd",
    "calls_per_attempt": "max_calls_per_attempt",
}
PRICE_FIELDS = ("input", "output", "cache_write", "cache_read")


class CostConfigError(ValueError):
    pass


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


def parse_models(path: Path, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CostConfigError(f"{path}: [models] must be a table like backend = \"claude-sonnet-5-5\"")
    out = {}
    for role, model in value.items():
        if role not in ROLES:
            raise CostConfigError(f"{path}: [models] key {role!r} must be one of {', '.join(ROLES)}")
        if not isinstance(model, str) or not model.strip():
            raise CostConfigError(f"{path}: [models] {role} must be a model name, got {model!r}")
        out[role] = model.strip()
    return {"models": out}


def parse_budget(path: Path, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CostConfigError(f"{path}: [budget] must be a table like task_usd = 1.0")
    out: dict[str, Any] = {}
    for key, cap in value.items():
        if key not in BUDGET_KEYS:
            raise CostConfigError(f"{path}: [budget] key {key!r} must be one of {', '.join(BUDGET_KEYS)}")
        if not _number(cap):
            raise CostConfigError(f"{path}: [budget] {key} must be a number >= 0 (0 = no cap), got {cap!r}")
        if key in ("task_tokens", "calls_per_attempt") and not isinstance(cap, int):
            raise CostConfigError(f"{path}: [budget] {key} must be a whole number, got {cap!r}")
        out[BUDGET_KEYS[key]] = cap
    return out


def parse_pricing(path: Path, value: Any) -> dict[str, Any]:
    """[pricing."model-name"] input = 3.0, output = 15.0, cache_write = 3.75, cache_read = 0.3 (USD per
    million tokens); a model here overrides the built-in table, and a new one is added to it."""
    if not isinstance(value, dict):
        raise CostConfigError(f"{path}: [pricing] must hold tables like [pricing.\"claude-x\"] input = 3.0")
    out = {}
    for model, prices in value.items():
        if not isinstance(prices, dict) or set(prices) != set(PRICE_FIELDS):
            raise CostConfigError(f"{path}: [pricing.{model!r}] needs exactly {', '.join(PRICE_FIELDS)}")
        if not all(_number(prices[f]) for f in PRICE_FIELDS):
            raise CostConfigError(f"{path}: [pricing.{model!r}] prices must be numbers >= 0 (USD per million tokens)")
        out[model] = tuple(float(prices[f]) for f in PRICE_FIELDS)
    return {"pricing": out}
