"""What model calls cost: a price table per model (pricing.toml, overridable in config) applied to usage."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from codeframe_tui.domain import Usage


@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    input: float
    output: float
    cache_write: float
    cache_read: float

    def cost(self, usage: Usage) -> float:
        return (usage.input_tokens * self.input + usage.output_tokens * self.output
                + usage.cache_creation_input_tokens * self.cache_write
                + usage.cache_read_input_tokens * self.cache_read) / 1_000_000


def _builtin() -> dict[str, Price]:
    text = (resources.files("codeframe_tui.costs") / "pricing.toml").read_text(encoding="utf-8")
    return {model: Price(**fields) for model, fields in tomllib.loads(text)["models"].items()}


_BUILTIN = _builtin()


class PriceTable:
    """The built-in prices with the config's [pricing] laid over them."""

    def __init__(self, overrides: Mapping[str, tuple[float, float, float, float]] | None = None) -> None:
        self.prices = {**_BUILTIN, **{m: Price(*p) for m, p in (overrides or {}).items()}}

    def price(self, model: str) -> Price | None:
        """Exact id first; else the id of which this is a dated snapshot (`<id>-20261001`); else None.
        No looser match: `claude-opus-5-7` must not be priced as `claude-opus-5`."""
        if model in self.prices:
            return self.prices[model]
        known = [m for m in self.prices if model.startswith(m + "-") and _dated(model[len(m) + 1:])]
        return self.prices[max(known, key=len)] if known else None

    def dearest(self) -> Price:
        """The highest known price of each kind of token: what an unpriced model is capped at."""
        known = list(self.prices.values()) or [Price(0.0, 0.0, 0.0, 0.0)]
        return Price(*(max(getattr(p, f) for p in known) for f in ("input", "output", "cache_write", "cache_read")))

    def cost(self, model: str, usage: Usage) -> float | None:
        """None for a model with no price: unknown, never $0."""
        price = self.price(model)
        return price.cost(usage) if price is not None else None


def _dated(suffix: str) -> bool:
    return len(suffix) == 8 and suffix.isdigit()  # YYYYMMDD
