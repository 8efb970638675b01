"""Usage, cost, caps and models, engine only: every token counted, caps that ask instead of burn."""

from __future__ import annotations

import asyncio

import pytest
from support import make_project, module_answer, open_engine, passing_responder, task_key_of, tasks

from codeframe_tui.domain import TaskStatus, Usage
from codeframe_tui.engine import budget
from codeframe_tui.engine.events import BlockerCreated, ModelCalled
from codeframe_tui.engine.usage import totals, totals_by
from codeframe_tui.llm.pricing import Price, PriceTable
from codeframe_tui.llm.scripted import ToolUseReply
from codeframe_tui.llm.tools import SUBMIT_CHANGES


def fixed_usage(request):
    """Every call reports the same, known usage: the numbers the store must hold."""
    return ToolUseReply(SUBMIT_CHANGES, module_answer(task_key_of(request)), usage_in=1200, usage_out=345)


async def _answer_each(engine, recorder, answer: str, *, until) -> list[BlockerCreated]:
    """Answer every cap question with `answer` as it comes, until `until()` holds."""
    answered: set[int] = set()
    while not until():
        for event in recorder.of(BlockerCreated):
            if event.blocker_id not in answered:
                answered.add(event.blocker_id)
                await engine.answer_blocker(event.blocker_id, answer)
        await asyncio.sleep(0.02)
    return recorder.of(BlockerCreated)


# ---- usage and cost ---------------------------------------------------------------------------

async def test_usage_rows_hold_what_the_transport_reported_and_cost_comes_from_the_table(tmp_path):
    project = make_project(tmp_path / "p")
    engine, _, recorder = await open_engine(project, fixed_usage, tasks(("1", "backend"), ("2", "test")))
    try:
        await engine.run()
        rows = await engine.store.usage_rows(by="task")
        assert [(r[0], r[2], r[3], r[4]) for r in rows] == [("1", 1, 1200, 345), ("2", 1, 1200, 345)]
        model = rows[0][1]
        assert model == engine.settings.model  # the model the response named, priced by the table
        price = PriceTable().price(model)
        expected = (1200 * price.input + 345 * price.output) / 1_000_000
        used = await totals(engine.store, engine.ctx.prices)
        assert used.calls == 2 and used.cost == pytest.approx(2 * expected) and used.cost_known
        assert [e.cost_usd for e in recorder.of(ModelCalled)] == [pytest.approx(expected)] * 2
        by_run = await totals(engine.store, engine.ctx.prices, run_id=engine.ctx.run_id)
        assert by_run.calls == 2
        assert set(await totals_by(engine.store, engine.ctx.prices, "agent")) == {"backend-1", "test-1"}
    finally:
        await engine.close()


def test_prices_cover_cache_reads_and_writes_and_dated_snapshots():
    table = PriceTable({"claude-x": (3.0, 15.0, 3.75, 0.3)})
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000, cache_creation_input_tokens=1_000_000,
                  cache_read_input_tokens=1_000_000)
    assert table.cost("claude-x", usage) == pytest.approx(3.0 + 15.0 + 3.75 + 0.3)
    assert table.price("claude-x-20261001") == Price(3.0, 15.0, 3.75, 0.3)  # a dated snapshot
    assert table.price("claude-x-2") is None and table.price("claude-opus-5-7") is None  # no loose match
    assert PriceTable().price("claude-sonnet-5-5") is not None


async def test_an_unpriced_model_shows_its_cost_as_unknown_never_zero(tmp_path):
    project = make_project(tmp_path / "p")
    engine, _, recorder = await open_engine(project, fixed_usage, tasks(("1", "backend")),
                                            models={"backend": "claude-nobody-knows"})
    try:
        await engine.run()
        used = await totals(engine.store, engine.ctx.prices)
        assert not used.cost_known and used.unpriced == ("claude-nobody-knows",)
        assert used.cost_text().startswith("$?") and used.as_dict()["cost_usd"] is None
        assert recorder.of(ModelCalled)[0].cost_usd is None
    finally:
        await engine.close()


# ---- models per role, and the prompt cache ------------------------------------------------------

async def test_each_role_calls_its_own_model_and_the_shared_prefix_is_marked_for_caching(tmp_path):
    project = make_project(tmp_path / "p")
    engine, model, _ = await open_engine(project, passing_responder, tasks(("1", "backend"), ("2", "test")),
                                         models={"backend": "claude-haiku-4-5", "test": "claude-opus-5"})
    try:
        await engine.run()
    finally:
        await engine.close()
    used = {task_key_of(r): r.model for r in model.requests}
    assert used == {"1": "claude-haiku-4-5", "2": "claude-opus-5"}
    for request in model.requests:
        body = request.body
        assert body["system"][-1]["cache_control"] == {"type": "ephemeral"}
        assert body["messages"][0]["content"][-1]["cache_control"] == {"type": "ephemeral"}


# ---- caps ---------------------------------------------------------------------------------------

def two_calls(request):
    """Task 1 needs two calls: its first answer fails its tests, the correction passes."""
    key = task_key_of(request)
    if len(request.messages) == 1:
        return ToolUseReply(SUBMIT_CHANGES, module_answer(key, test="def test_it():\n    assert False\n"),
                            usage_in=1200, usage_out=345)
    return ToolUseReply(SUBMIT_CHANGES, module_answer(key), usage_in=1200, usage_out=345)


async def test_a_task_cap_asks_and_raising_it_resumes_with_nothing_lost(tmp_path):
    project = make_project(tmp_path / "p")
    engine, model, recorder = await open_engine(project, two_calls, tasks(("1", "backend")), people_present=True,
                                                budget_task_tokens=1000)
    try:
        run = asyncio.ensure_future(engine.run())
        [asked] = await _answer_each(engine, recorder, "yes", until=run.done)
        summary = await run
        assert summary.all_done and len(model.requests) == 2
        assert asked.question.startswith("Task 1 'Task 1' reached its token cap of 1,000 (1,545 used). "
                                         "Raise it to 3,090?")  # twice what is used: one yes is enough
        assert asked.source.startswith("budget:tokens:") and asked.yes_no
        assert (await engine.store.get_task("1")).extra["budget"] == {"tokens": 3090.0}
        # The cap's question is the person's and the engine's business, not the model's.
        assert "token cap" not in model.requests[-1].all_text()
    finally:
        await engine.close()


async def test_with_nobody_to_ask_the_capped_task_waits_and_a_later_raise_lets_it_finish(tmp_path):
    project = make_project(tmp_path / "p")
    engine, model, recorder = await open_engine(project, two_calls, tasks(("1", "backend")), budget_task_usd=1e-9)
    try:
        first = await engine.run()
        assert first.blocked == 1 and first.waiting == 1 and len(model.requests) == 1
        [asked] = recorder.of(BlockerCreated)
        assert "reached its cost cap of $0.00" in asked.question
        await engine.answer_blocker(asked.blocker_id, "$5")
        assert (await engine.store.get_task("1")).status == TaskStatus.APPROVED
        second = await engine.run()
        assert second.all_done
        assert (await engine.store.get_task("1")).extra["budget"] == {"usd": 5.0}
    finally:
        await engine.close()


async def test_no_to_a_cap_stops_the_task_for_good(tmp_path):
    project = make_project(tmp_path / "p")
    engine, model, recorder = await open_engine(project, two_calls, tasks(("1", "backend")), people_present=True,
                                                budget_task_tokens=1000)
    try:
        run = asyncio.ensure_future(engine.run())
        await _answer_each(engine, recorder, "no", until=run.done)
        summary = await run
        task = await engine.store.get_task("1")
        assert summary.failed == 1 and task.status == TaskStatus.FAILED and "stopped at its tokens cap" in task.reason
        assert len(model.requests) == 1
    finally:
        await engine.close()


async def test_the_run_cap_stops_every_agent_until_it_is_raised(tmp_path):
    project = make_project(tmp_path / "p")
    plan = tasks(("1", "backend"), ("2", "backend"), ("3", "backend"), ("4", "test", ("1", "2", "3")))
    engine, model, recorder = await open_engine(project, fixed_usage, plan, people_present=True,
                                                budget_run_usd=1e-9, max_concurrent=3)
    try:
        run = asyncio.ensure_future(engine.run())
        while not recorder.of(BlockerCreated):
            await asyncio.sleep(0.02)
        # The calls already in flight when the cap was passed finish; after that, one question for
        # the whole run, and no agent calls the model until it is answered.
        sent = len(model.requests)
        await asyncio.sleep(0.5)
        assert 1 <= sent <= 3 and len(model.requests) == sent and len(recorder.of(BlockerCreated)) == 1
        asked = recorder.of(BlockerCreated)[0]
        assert asked.source.startswith("budget:run_usd:")
        assert "Every agent has stopped calling the model" in asked.question
        await engine.answer_blocker(asked.blocker_id, "10")
        summary = await run
        assert summary.all_done and len(model.requests) == 4 and engine.ctx.run_usd_cap == 10.0
    finally:
        await engine.close()


def same_wrong_answer(request):
    return ToolUseReply(SUBMIT_CHANGES, module_answer(task_key_of(request), test="def test_it():\n    assert False\n"))


async def test_the_same_request_three_times_in_a_row_is_a_loop_and_asks(tmp_path):
    project = make_project(tmp_path / "p")
    engine, model, recorder = await open_engine(project, same_wrong_answer, tasks(("1", "backend")),
                                                people_present=True, max_corrections=6)
    try:
        run = asyncio.ensure_future(engine.run())
        asked = await _answer_each(engine, recorder, "no", until=run.done)
        await run
        loops = [b for b in asked if b.source.startswith("budget:loop")]
        assert len(loops) == 1 and "same answer 3 times in a row" in loops[0].question
        # First try, then corrections: the loop is seen on the fourth request, before it is sent.
        assert len(model.requests) == 3
        assert (await engine.store.get_task("1")).status == TaskStatus.FAILED
    finally:
        await engine.close()


async def test_model_calls_per_attempt_are_capped(tmp_path):
    project = make_project(tmp_path / "p")
    engine, model, recorder = await open_engine(project, two_calls, tasks(("1", "backend")),
                                                max_calls_per_attempt=1)
    try:
        summary = await engine.run()
        [asked] = recorder.of(BlockerCreated)
        assert summary.blocked == 1 and asked.source.startswith("budget:calls") and len(model.requests) == 1
    finally:
        await engine.close()


@pytest.mark.parametrize(("answer", "kind", "expected"), [
    ("yes", "usd", 1.0), ("Yes, raise it", "usd", 1.0), ("yeah", "usd", 1.0), ("$2.50", "usd", 2.5),
    ("make it 3", "usd", 3.0), ("$1,000", "usd", 1000.0), ("raise it to 5", "usd", 5.0),
    ("yes, 10 minutes", "minutes", 10.0), ("500k", "tokens", 500_000), ("2m", "tokens", 2_000_000),
    ("6,000,000", "tokens", 6_000_000), ("1 million", "tokens", 1_000_000),
    ("no", "usd", None), ("No thanks", "usd", None), ("nope", "usd", None), ("no, 5 is too much", "usd", None),
    ("yes", "loop", 1.0), ("no", "loop", None),
])
def test_answers_to_a_cap(answer, kind, expected):
    assert budget.parse_raise(answer, kind, 1.0) == expected


@pytest.mark.parametrize(("answer", "kind"), [("whatever", "usd"), ("0", "usd"), ("-1", "usd"), ("5k", "usd"),
                                              ("maybe", "loop")])
def test_an_unclear_answer_to_a_cap_is_asked_again_not_taken_as_no(answer, kind):
    with pytest.raises(budget.Unclear):
        budget.parse_raise(answer, kind, 1.0)


async def test_raising_the_run_cap_while_another_task_waits_for_a_slot_does_not_deadlock(tmp_path):
    """The run-cap question is never awaited under a lock: the task that asked gives its slot to
    a queued one, which waits for the answer; the answer lets both go on."""
    project = make_project(tmp_path / "p")
    engine, model, recorder = await open_engine(project, fixed_usage, tasks(("1", "backend"), ("2", "backend")),
                                                people_present=True, budget_run_usd=1e-9, max_concurrent=1)
    try:
        run = asyncio.ensure_future(engine.run())
        asked = await asyncio.wait_for(_answer_each(engine, recorder, "100", until=run.done), timeout=30)
        summary = await run
        assert summary.all_done and len(asked) == 1 and len(model.requests) == 2
    finally:
        await engine.close()


async def test_an_answer_that_does_not_lift_the_cap_is_asked_again_a_few_times_then_stops(tmp_path):
    project = make_project(tmp_path / "p")
    engine, model, recorder = await open_engine(project, two_calls, tasks(("1", "backend")), people_present=True,
                                                budget_task_tokens=1000)
    try:
        run = asyncio.ensure_future(engine.run())
        asked = await asyncio.wait_for(_answer_each(engine, recorder, "500", until=run.done), timeout=30)
        await run
        assert len(asked) == budget.MAX_CAP_QUESTIONS and len(model.requests) == 1
        assert "answers did not lift it" in (await engine.store.get_task("1")).reason
    finally:
        await engine.close()


async def test_the_lead_agents_planning_calls_are_counted_on_the_leads_model(tmp_path):
    from codeframe_tui.plan.planning import next_question

    def lead(request):
        return ToolUseReply("ask_question", {"question": "Who uses it?", "topic": "users", "enough": False},
                            usage_in=700, usage_out=40)

    project = make_project(tmp_path / "p")
    engine, model, recorder = await open_engine(project, lead, [], models={"lead": "claude-opus-5"})
    try:
        question = await next_question(engine.model, "a shelf of books", [])
        assert question is not None and question.text == "Who uses it?"
        assert model.requests[0].model == "claude-opus-5"
        [called] = recorder.of(ModelCalled)
        assert called.agent_id == "lead" and called.task_id == "" and called.cost_usd is not None
        used = await totals_by(engine.store, engine.ctx.prices, "agent")
        assert used["lead"].calls == 1 and used["lead"].input_tokens == 700
    finally:
        await engine.close()


async def test_the_time_cap_asks_too(tmp_path):
    project = make_project(tmp_path / "p")
    engine, model, recorder = await open_engine(project, two_calls, tasks(("1", "backend")),
                                                budget_task_minutes=1e-6)
    try:
        summary = await engine.run()
        [asked] = recorder.of(BlockerCreated)
        assert summary.blocked == 1 and asked.source.startswith("budget:minutes") and "time cap" in asked.question
        assert model.requests == []  # the cap is checked before the call, not after
    finally:
        await engine.close()


async def test_a_model_that_refuses_forced_tools_is_asked_with_auto_and_told_again_once(tmp_path):
    from codeframe_tui.llm.scripted import TextReply

    def chatty_first(request):
        if not any("a reply without that tool call cannot be used" in t for t in [request.last_user_text()]):
            return TextReply("Let me think about the models first.")
        return ToolUseReply(SUBMIT_CHANGES, module_answer(task_key_of(request)), usage_in=50, usage_out=5)

    project = make_project(tmp_path / "p")
    engine, model, recorder = await open_engine(project, chatty_first, tasks(("1", "backend")),
                                                models={"backend": "claude-opus-5-5"})
    try:
        summary = await engine.run()
    finally:
        await engine.close()
    assert summary.all_done and len(model.requests) == 2
    assert all(r.body["tool_choice"]["type"] == "auto" for r in model.requests)
    [called] = recorder.of(ModelCalled)  # one model call for the worker: both requests' usage in it
    assert called.output_tokens > 5


async def test_forcing_a_tool_on_a_model_that_refuses_it_is_a_400_in_the_scripted_model_too(tmp_path):
    from codeframe_tui.llm.client import ModelReplyError

    project = make_project(tmp_path / "p")
    engine, model, _ = await open_engine(project, passing_responder, [], models={"backend": "claude-sonnet-5-5"})
    try:
        with pytest.raises(ModelReplyError, match="400.*forcing tool use is not supported"):
            await engine.model._stream(None, model="claude-sonnet-5-5", max_tokens=10, messages=[
                {"role": "user", "content": "hi"}], tools=[{"name": "t", "input_schema": {"type": "object"}}],
                tool_choice={"type": "any"})
    finally:
        await engine.close()
