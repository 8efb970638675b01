"""The model table: its invariants, dated snapshots, a price for every model, unknown ids kept safe."""

from __future__ import annotations

import re

import pytest

from codeframe_tui.costs.pricing import PriceTable
from codeframe_tui.llm import models
from codeframe_tui.llm.models import (
    MODELS,
    RETIRED,
    UNKNOWN,
    editor_tool_type,
    is_known,
    model_info,
    output_tokens,
    refuses_forced_tool_choice,
    thinks_adaptively,
)

# The lineup the docs list on 2026-12-06 (platform.claude.com/docs models overview and model pages).
CURRENT = {
    "claude-fable-5-2", "claude-mythos-5-2", "claude-fable-5-1", "claude-mythos-5-1", "claude-fable-5",
    "claude-mythos-5", "claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5", "claude-opus-5",
    "claude-sonnet-5", "claude-opus-4-8", "claude-opus-4-7", "claude-opus-4-6", "claude-sonnet-4-6",
    "claude-opus-4-5", "claude-haiku-4-5",
}  # fmt: skip
EDITOR_TYPE = re.compile(r"text_editor_\d{8}")


def test_the_table_holds_the_current_lineup() -> None:
    assert set(MODELS) == CURRENT


@pytest.mark.parametrize("model", sorted(MODELS))
def test_each_row_is_sane(model: str) -> None:
    info = MODELS[model]
    assert info.id == model  # keyed by its own id
    assert 0 < info.max_output_tokens < info.context_window
    assert EDITOR_TYPE.fullmatch(info.editor_tool)
    assert not re.search(r"-\d{8}$", model)  # rows are ids, snapshots read through them


def test_a_model_that_refuses_forced_tool_choice_thinks_adaptively() -> None:
    # The 400 comes from thinking that cannot be turned off: there is no refusing model without it.
    for info in MODELS.values():
        assert info.adaptive_thinking or not info.refuses_forced_tool_choice, info.id


def test_documented_figures() -> None:
    assert model_info("claude-opus-5-5") == models.ModelInfo(
        "claude-opus-5-5", 128_000, 1_000_000, True, True, "text_editor_20250728")
    assert model_info("claude-haiku-4-5") == models.ModelInfo(
        "claude-haiku-4-5", 64_000, 200_000, False, False, "text_editor_20250728")
    for model in ("claude-opus-5-5", "claude-sonnet-5-5", "claude-fable-5-1", "claude-mythos-5-1",
                  "claude-fable-5-2", "claude-mythos-5-2"):
        assert refuses_forced_tool_choice(model), model
    for model in ("claude-haiku-5-5", "claude-opus-5", "claude-sonnet-5", "claude-fable-5", "claude-opus-4-8",
                  "claude-opus-4-5", "claude-haiku-4-5"):
        assert not refuses_forced_tool_choice(model), model
    assert thinks_adaptively("claude-fable-5-2") and not thinks_adaptively("claude-opus-4-8")


@pytest.mark.parametrize(("snapshot", "model"), [
    ("claude-haiku-4-5-20251001", "claude-haiku-4-5"),
    ("claude-opus-4-5-20251101", "claude-opus-4-5"),
    ("claude-sonnet-5-5-20261001", "claude-sonnet-5-5"),
    ("claude-fable-5-20260609", "claude-fable-5"),  # not Fable 5.2 or 5.1: the whole id must match
])
def test_a_dated_snapshot_reads_as_its_id(snapshot: str, model: str) -> None:
    assert model_info(snapshot) is MODELS[model]
    assert is_known(snapshot)


@pytest.mark.parametrize("near_miss", [
    "claude-opus-5-7",  # a newer model is not an older one
    "claude-opus-5-5-2026100",  # seven digits is no date
    "claude-opus-5-5-202610011",
    "claude-opus-5-5-latest",
    "claude-opus-5-5x",
    "CLAUDE-OPUS-5-5",
    "opus-5-5",
    "claude-opus-5-5-20261001-20261001",
    "",
])
def test_a_near_miss_is_unknown(near_miss: str) -> None:
    assert model_info(near_miss) is UNKNOWN
    assert not is_known(near_miss)


@pytest.mark.parametrize("retired", sorted(RETIRED) + ["claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805",
                                                      "claude-sonnet-4-20250514", "claude-3-7-sonnet-20250219"])
def test_retired_models_are_not_in_the_table(retired: str) -> None:
    assert not is_known(retired)


def test_an_unknown_model_is_treated_conservatively() -> None:
    # Every guess that could cost a 400 goes the safe way; the output stays modest.
    info = model_info("claude-opus-9")
    assert info is UNKNOWN
    assert refuses_forced_tool_choice("claude-opus-9")  # ask with "auto": never a 400 for forcing
    assert thinks_adaptively("claude-opus-9")  # thinking blocks are kept and sent back
    assert editor_tool_type("claude-opus-9") == "text_editor_20250728"
    assert UNKNOWN.max_output_tokens <= min(m.max_output_tokens for m in MODELS.values())
    assert UNKNOWN.context_window <= min(m.context_window for m in MODELS.values())


def test_output_tokens() -> None:
    assert output_tokens("claude-opus-5-5") == 128_000
    assert output_tokens("claude-haiku-4-5") == 64_000
    assert output_tokens("claude-haiku-4-5", 8_000) == 8_000
    assert output_tokens("claude-haiku-4-5", 500_000) == 64_000  # never above the model's maximum
    assert output_tokens("claude-haiku-4-5", -1) == 64_000
    assert output_tokens("claude-nobody-knows") == UNKNOWN.max_output_tokens


@pytest.mark.parametrize("model", sorted(MODELS))
def test_every_model_has_a_price(model: str) -> None:
    price = PriceTable().price(model)
    assert price is not None, f"{model} has no row in pricing.toml"
    assert price.input > 0 and price.output > price.input
    assert price.cache_read < price.input < price.cache_write


def test_a_snapshot_is_priced_as_its_id() -> None:
    table = PriceTable()
    assert table.price("claude-opus-4-5-20251101") == table.price("claude-opus-4-5")
    assert table.price("claude-fable-5-20260609") == table.price("claude-fable-5")
    assert table.price("claude-fable-5-20260609") != table.price("claude-fable-5-2")


def _rates(model: str) -> tuple[float, float, float, float] | None:
    price = PriceTable().price(model)
    return None if price is None else (price.input, price.output, price.cache_write, price.cache_read)


def test_documented_prices() -> None:
    # input, output, 5-minute cache write, cache read: USD per million tokens
    assert _rates("claude-sonnet-5-5") == (2.0, 10.0, 2.5, 0.1)  # reads at half Sonnet 5's rate
    assert _rates("claude-sonnet-5") == (2.0, 10.0, 2.5, 0.2)
    assert _rates("claude-opus-5-5") == (4.0, 20.0, 5.0, 0.2)
    assert _rates("claude-fable-5-1") == (10.0, 50.0, 12.5, 0.25)
    assert _rates("claude-haiku-4-5") == (1.0, 5.0, 1.25, 0.1)
    assert _rates("claude-fable-5-2")[:2] == (8.0, 40.0)  # type: ignore[index]
