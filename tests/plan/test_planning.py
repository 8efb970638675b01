"""Planning from a goal on the scripted model: questions, fallback, PRD, decomposition and its checks."""

from __future__ import annotations

import pytest

from codeframe_tui.config import load_settings
from codeframe_tui.domain import AgentType
from codeframe_tui.llm.offline import scripted_model_client
from codeframe_tui.llm.scripted import ErrorReply, ScriptedModel, ToolUseReply
from codeframe_tui.plan.planning import (
    FALLBACK_QUESTIONS,
    QA,
    DecompositionError,
    decompose,
    next_question,
    parse_plan,
    save_prd,
    write_prd,
)

PLAN = {
    "issues": [{"key": "1", "title": "Core"}, {"key": "2", "title": "Web"}],
    "tasks": [
        {"key": "1.1", "issue": "1", "title": "Model", "description": "d", "agent_type": "backend",
         "depends_on": [], "priority": "high", "acceptance": "a", "test_strategy": "t"},
        {"key": "1.10", "issue": "1", "title": "Store", "description": "d", "agent_type": "backend",
         "depends_on": ["1.1"]},
        {"key": "2.1", "issue": "2", "title": "Page", "description": "d", "agent_type": "frontend",
         "depends_on": ["1.1", "1.10"]},
    ],
}


def make_model(tmp_path, responder):
    settings = load_settings(tmp_path, offline=True, sdk_max_retries=0)
    model = ScriptedModel(responder)
    return model, scripted_model_client(settings, model)


async def test_questions_come_from_the_model_and_see_the_answers_so_far(tmp_path):
    def responder(request):
        if "A: families" in request.last_user_text():
            return ToolUseReply("ask_question", {"question": "", "topic": "other", "enough": True})
        if "A: a shared reading list" in request.last_user_text():
            return ToolUseReply("ask_question", {"question": "Who reads it?", "topic": "users", "enough": False})
        return ToolUseReply("ask_question", {"question": "What problem?", "topic": "problem", "enough": False})

    scripted, client = make_model(tmp_path, responder)
    try:
        first = await next_question(client, "a reading app", [])
        assert (first.text, first.topic, first.from_model) == ("What problem?", "problem", True)
        answers = [QA(first.text, first.topic, "a shared reading list")]
        second = await next_question(client, "a reading app", answers)
        assert second.text == "Who reads it?"
        answers.append(QA(second.text, second.topic, "families"))
        assert await next_question(client, "a reading app", answers) is None  # the model says enough
    finally:
        await client.close()
    assert "Goal: a reading app" in scripted.requests[0].last_user_text()


async def test_an_unreachable_model_falls_back_to_fixed_questions_and_an_assembled_prd(tmp_path):
    scripted, client = make_model(tmp_path, lambda r: ErrorReply(529, "overloaded_error", "Overloaded"))
    try:
        answers: list[QA] = []
        while (question := await next_question(client, "a reading app", answers)) is not None:
            assert not question.from_model
            answers.append(QA(question.text, question.topic, None if question.topic == "users" else "yes"))
        assert [qa.topic for qa in answers] == [t for t, _ in FALLBACK_QUESTIONS]
        prd = await write_prd(client, "a reading app", answers)
    finally:
        await client.close()
    assert "the model was not reached" in prd and "## Problem" in prd and "## Users" not in prd


async def test_prd_by_the_model_is_saved_atomically(tmp_path):
    scripted, client = make_model(tmp_path, lambda r: ToolUseReply("write_prd", {"markdown": "# Shelf\n\nBooks."}))
    try:
        prd = await write_prd(client, "goal", [QA("q", "problem", "a")])
    finally:
        await client.close()
    path = save_prd(tmp_path, prd)
    assert path == tmp_path / ".codeframe" / "prd.md" and path.read_text() == "# Shelf\n\nBooks.\n"
    assert [p.name for p in path.parent.iterdir()] == ["prd.md"]  # no temp file left behind


async def test_decomposition_gives_issues_tasks_and_edges(tmp_path):
    scripted, client = make_model(tmp_path, lambda r: ToolUseReply("submit_plan", PLAN))
    try:
        issues, tasks = await decompose(client, "# PRD")
    finally:
        await client.close()
    assert issues == [("1", "Core"), ("2", "Web")]
    by_key = {t.key: t for t in tasks}
    assert by_key["2.1"].depends_on == ("1.1", "1.10") and by_key["2.1"].agent_type == AgentType.FRONTEND
    assert by_key["1.1"].priority == "high" and by_key["1.1"].test_strategy == "t"
    assert "PRD:\n\n# PRD" in scripted.requests[0].last_user_text()


@pytest.mark.parametrize("change,message", [
    (lambda p: p["tasks"][1].update(depends_on=["2.1"]), "dependency cycle: "),
    (lambda p: p["tasks"][1].update(depends_on=["9.9"]), "unknown task 9.9"),
    (lambda p: p["tasks"][1].update(key="1.1"), "task 1.1 appears twice"),
    (lambda p: p["tasks"][0].update(agent_type="designer"), "agent_type must be"),
    (lambda p: p["tasks"][0].update(issue="7"), "unknown issue 7"),
    (lambda p: p.update(tasks=[]), "non-empty list of tasks"),
    (lambda p: p["tasks"][0].update(key="1.1\x1b[2J"), "a task has no key"),
    (lambda p: p["tasks"][0].update(key="k" * 101), "at most 100 characters"),
    (lambda p: p.update(tasks=p["tasks"] * 5001), "more than 10,000 tasks"),
])
def test_a_bad_plan_is_refused_with_the_task_named(change, message):
    import copy

    plan = copy.deepcopy(PLAN)
    change(plan)
    with pytest.raises(DecompositionError, match=message):
        parse_plan(plan)


def test_the_model_s_control_characters_and_overlong_text_are_scrubbed_not_stored():
    import copy

    plan = copy.deepcopy(PLAN)
    plan["issues"][0]["title"] = "Issue \x1b]0;pwned\x07one\x9b2J"
    plan["tasks"][0].update(title="Read\nthe \x1b[31mfile\x1b[0m", description="line 1\nline\x00 2" + "x" * 200_000)
    issues, tasks = parse_plan(plan)
    assert issues[0][1] == "Issue ]0;pwnedone2J"
    assert tasks[0].title == "Readthe [31mfile[0m"
    assert tasks[0].description.startswith("line 1\nline 2") and len(tasks[0].description) == 100_000
