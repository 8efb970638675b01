"""Usage, cost, caps and models, engine only: every token counted, caps that ask instead of burn."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from support import make_project, module_answer, open_engine, passing_responder, task_key_of, tasks

from codeframe_tui.costs import budget
from codeframe_tui.costs.pricing import Price, PriceTable
from codeframe_tui.costs.usage import totals, totals_by
from codeframe_tui.domain import TaskStatus, Usage
from codeframe_tui.engine.events import BlockerCreated, ModelCalled
from codeframe_tui.llm.scripted import ToolUseReply
from codeframe_tui.llm.scripted.agent import change_set_agent, finish, place, play, writes

STEPS = 5  # a two-file change set in the loop: view, create, view, create, finish


def fixed_usage(request):
    """Every call reports the same, known usage: the numbers the store must hold."""
    return replace(passing_responder(request), usage_in=1200, usage_out=345)


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
        assert [(r[0], r[2], r[3], r[4]) for r in rows] == [("1", STEPS, STEPS * 1200, STEPS * 345),
                                                             ("2", STEPS, STEPS * 1200, STEPS * 345)]
        model = rows[0][1]
        assert model == engine.settings.model  # the model the response named, priced by the table
        price = PriceTable().price(model)
        expected = (1200 * price.input + 345 * price.output) / 1_000_000
        used = await totals(engine.store, engine.ctx.prices)
        calls = 2 * STEPS  # every call of both tool loops
        assert used.calls == calls and used.cost == pytest.approx(calls * expected) and used.cost_known
        assert [e.cost_usd for e in recorder.of(ModelCalled)] == [pytest.approx(expected)] * calls
        by_run = await totals(engine.store, engine.ctx.prices, run_id=engine.ctx.run_id)
        assert by_run.calls == calls
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


async def test_an_unpriced_model_is_capped_at_the_dearest_known_price(tmp_path):
    """Its cost is unknown, not free: the usd cap counts its tokens at the highest price in the table."""
    project = make_project(tmp_path / "p")
    dearest = PriceTable().dearest()
    per_round = STEPS * (1200 * dearest.input + 345 * dearest.output) / 1_000_000
    cap = round(per_round * 0.9, 4)  # passed within the first round, had the calls been free
    engine, model, recorder = await open_engine(project, two_calls, tasks(("1", "backend")),
                                                models={"backend": "claude-nobody-knows"}, budget_task_usd=cap)
    try:
        await engine.run()
        used = await totals(engine.store, engine.ctx.prices, task_key="1")
    finally:
        await engine.close()
    assert used.cost == 0.0 and used.unpriced == ("claude-nobody-knows",) and used.cap_cost > cap
    [asked] = recorder.of(BlockerCreated)
    assert "reached its cost cap" in asked.question and asked.source.startswith("budget:usd"), asked.question
    assert len(model.requests) < 2 * STEPS  # stopped before the correction round


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

@change_set_agent
def _two_rounds(request):
    key = task_key_of(request)
    if place(request).round == 0:
        return module_answer(key, test="def test_it():\n    assert False\n")
    return module_answer(key)


def two_calls(request):
    """Task 1 needs two rounds of STEPS calls each: its first change set fails its tests, the
    correction passes. Every call reports 1,200 + 345 tokens."""
    return replace(_two_rounds(request), usage_in=1200, usage_out=345)


ROUND_TOKENS = STEPS * (1200 + 345)  # 7,725: what the first round uses


async def test_a_task_cap_asks_and_raising_it_resumes_with_nothing_lost(tmp_path):
    project = make_project(tmp_path / "p")
    # The cap is passed by the first round's last call: the question comes before the correction.
    engine, model, recorder = await open_engine(project, two_calls, tasks(("1", "backend")), people_present=True,
                                                budget_task_tokens=7000)
    try:
        run = asyncio.ensure_future(engine.run())
        [asked] = await _answer_each(engine, recorder, "yes", until=run.done)
        summary = await run
        assert summary.all_done and len(model.requests) == 2 * STEPS
        assert asked.question.startswith(f"Task 1 'Task 1' reached its token cap of 7,000 ({ROUND_TOKENS:,} used). "
                                         f"Raise it to {2 * ROUND_TOKENS:,}?")  # twice what is used: one yes is enough
        assert asked.source.startswith("budget:tokens:") and asked.yes_no
        assert (await engine.store.get_task("1")).extra["budget"] == {"tokens": float(2 * ROUND_TOKENS)}
        # Nothing lost: the correction round went on in the same conversation, after the red finish.
        assert [place(r).round for r in model.requests] == [0] * STEPS + [1] * STEPS
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
        assert summary.all_done and len(model.requests) == 4 * STEPS and engine.ctx.run_usd_cap == 10.0
    finally:
        await engine.close()


def same_wrong_answer(request):
    """Writes a failing change set, then answers every red finish with the same finish again."""
    answer = module_answer(task_key_of(request), test="def test_it():\n    assert False\n")
    where = place(request)
    if where.round == 0:
        return play(writes({f["path"]: f["content"] for f in answer["files"]}, answer["summary"]), where.step)
    return finish(answer["summary"])


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
        # The first round, then the same finish twice more with the same red result: the loop is seen
        # on the request after the third, before it is sent.
        assert len(model.requests) == STEPS + 2
        assert [place(r).round for r in model.requests] == [0] * STEPS + [1, 2]
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
        assert summary.all_done and len(asked) == 1 and len(model.requests) == 2 * STEPS
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
    """The worker's loop never forces a tool (tool_choice auto, for every model): an answer without a
    tool call is told once to call one, in the same conversation, and every call is counted."""
    from codeframe_tui.llm.prompts import NUDGE
    from codeframe_tui.llm.scripted import TextReply

    answer = module_answer("1")
    steps = writes({f["path"]: f["content"] for f in answer["files"]}, answer["summary"])

    def chatty_first(request):
        step = place(request).step
        if step == 0:
            return TextReply("Let me think about the models first.")
        return replace(play(steps, step - 1), usage_in=50, usage_out=5)

    project = make_project(tmp_path / "p")
    engine, model, recorder = await open_engine(project, chatty_first, tasks(("1", "backend")),
                                                models={"backend": "claude-opus-5-5"})
    try:
        summary = await engine.run()
    finally:
        await engine.close()
    assert summary.all_done and len(model.requests) == 1 + STEPS
    assert all(r.body["tool_choice"]["type"] == "auto" for r in model.requests)
    assert model.requests[1].last_user_text() == NUDGE  # told once, then it used its tools
    assert all(NUDGE not in r.last_user_text() for r in model.requests[2:])
    called = recorder.of(ModelCalled)  # one call per request: the chatty answer's tokens counted too
    assert [c.stop_reason for c in called] == ["end_turn"] + ["tool_use"] * STEPS
    assert [c.output_tokens for c in called][1:] == [5] * STEPS and called[0].output_tokens > 0


async def test_forcing_a_tool_on_a_model_that_refuses_it_is_a_400_in_the_scripted_model_too(tmp_path):
    from codeframe_tui.llm.client import ModelReplyError

    project = make_project(tmp_path / "p")
    engine, model, _ = await open_engine(project, passing_responder, [], models={"backend": "claude-sonnet-5-5"})
    try:
        refused = '400.*tool_choice: type "tool" and "any" are not supported for this model'
        with pytest.raises(ModelReplyError, match=refused):
            await engine.model._stream(None, model="claude-sonnet-5-5", max_tokens=10, messages=[
                {"role": "user", "content": "hi"}], tools=[{"name": "t", "input_schema": {"type": "object"}}],
                tool_choice={"type": "any"})
    finally:
        await engine.close()
