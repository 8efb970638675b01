"""Fixed scenes for snapshot tests and README screenshots: the demo app fed a scripted event story."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from codeframe_tui.costs.pricing import PriceTable
from codeframe_tui.domain import Usage
from codeframe_tui.engine.events import (
    AgentStatusChanged,
    CorrectionAttempted,
    Event,
    ModelCalled,
    RunFinished,
    RunStarted,
    TaskStatusChanged,
    TestOutput,
    TestResult,
    TestStarted,
)
from codeframe_tui.ui.app import CodeframeApp
from codeframe_tui.ui.bridge import EngineEvent
from codeframe_tui.ui.launch import OFFLINE_BANNER, demo_app

T0 = datetime(2026, 11, 28, 9, 30, 0, tzinfo=UTC)
TITLES = {"1.1": "Book model with validation", "1.2": "In-memory shelf repository",
          "1.3": "Reading statistics", "1.4": "Search by title or author", "2.1": "Book card component",
          "2.2": "List page with search", "3.1": "Tests for the store and search",
          "3.2": "Tests for the list page"}
PYTEST = ("python", "-m", "pytest", "-v")


class _Clock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self, seconds: float = 0.3) -> datetime:
        self.t += timedelta(seconds=seconds)
        return self.t


def _status(clock, key, status, agent=None, previous=""):
    return TaskStatusChanged(ts=clock(), task_id=key, title=TITLES[key], status=status, agent_id=agent,
                             previous=previous)


def _agent(clock, agent, kind, status, task, step):
    return AgentStatusChanged(ts=clock(0.1), agent_id=agent, agent_type=kind, status=status, task_id=task, step=step)


PRICES = PriceTable()
MODEL = "claude-sonnet-5-5"


def _called(clock, key, agent, *, first: bool):
    """A model call as a worker reports it: the first reads the project once, later ones hit the cache."""
    usage = Usage(input_tokens=900, output_tokens=1400, cache_creation_input_tokens=5200 if first else 0,
                  cache_read_input_tokens=0 if first else 5200)
    return ModelCalled(ts=clock(1.2), task_id=key, agent_id=agent, model=MODEL, input_tokens=usage.input_tokens,
                       output_tokens=usage.output_tokens, cache_write_tokens=usage.cache_creation_input_tokens,
                       cache_read_tokens=usage.cache_read_input_tokens, cost_usd=PRICES.cost(MODEL, usage),
                       latency=1.2, stop_reason="tool_use")


def _tests(clock, key, passed, failed=0, names=()):
    lines = tuple(f"tests/{n} PASSED" for n in names)
    total = passed + failed
    return [
        TestStarted(ts=clock(), task_id=key, command=PYTEST, attempt=0),
        TestOutput(ts=clock(0.2), task_id=key, lines=("============ test session starts ============",
                                                     f"collected {total} items", *lines)),
        TestResult(ts=clock(0.5), task_id=key, status="failed" if failed else "passed", total=total,
                   passed=passed, failed=failed, errors=0, skipped=0, duration=0.61),
    ]


def mid_run_story() -> list[Event]:
    """1.1 done; 1.2, 1.3 and 2.1 running at once; 2.1's tests streaming."""
    c = _Clock()
    story: list[Event] = [
        RunStarted(ts=c(), project="/tmp/codeframe-demo-x1y2z3", tasks=(), model=MODEL, offline=True,
                   sandbox="bwrap · no network"),
        _status(c, "1.1", "running", "backend-1", "approved"),
        _agent(c, "backend-1", "backend", "busy", "1.1", "reading the task"),
        _called(c, "1.1", "backend-1", first=True),
        _agent(c, "backend-1", "backend", "busy", "1.1", "run_tests test_models.py"),
        *_tests(c, "1.1", 5, names=("test_models.py::test_book_keeps_its_fields",)),
        _status(c, "1.1", "done", "backend-1", "running"),
        _agent(c, "backend-1", "backend", "idle", None, "idle"),
    ]
    for key, agent, kind, step in (("1.2", "backend-1", "backend", 'search "class Book"'),
                                   ("1.3", "backend-2", "backend", "view models.py:1-12"),
                                   ("2.1", "frontend-1", "frontend", "reading the task")):
        story.append(_status(c, key, "running", agent, "approved"))
        story.append(_agent(c, agent, kind, "busy", key, step))
    story.append(_called(c, "1.2", "backend-1", first=False))
    story.append(_called(c, "2.1", "frontend-1", first=False))
    story.append(_agent(c, "backend-1", "backend", "busy", "1.2", "edit store.py:14"))
    story.append(_agent(c, "frontend-1", "frontend", "busy", "2.1", "run_tests test_components.py"))
    story.append(TestStarted(ts=c(), task_id="2.1", command=PYTEST, attempt=0))
    story.append(TestOutput(ts=c(0.2), task_id="2.1", lines=(
        "============ test session starts ============", "collected 11 items",
        "tests/test_components.py::test_card_shows_title_author_year PASSED [  9%]",
        "tests/test_components.py::test_card_escapes_markup PASSED      [ 18%]",
        "tests/test_models.py::test_book_keeps_its_fields PASSED        [ 27%]")))
    return story


def finished_story() -> list[Event]:
    """The whole plan done, with 3.2's first test run failing and its correction succeeding."""
    c = _Clock()
    story: list[Event] = [RunStarted(ts=c(), project="/tmp/codeframe-demo-x1y2z3", tasks=(), model=MODEL, offline=True,
                                     sandbox="bwrap · no network")]
    agents = {"1.1": "backend-1", "1.2": "backend-1", "1.3": "backend-2", "1.4": "backend-1",
              "2.1": "frontend-1", "2.2": "frontend-1", "3.1": "test-1", "3.2": "test-1"}
    for key, agent in agents.items():
        story.append(_status(c, key, "running", agent, "approved"))
        story.append(_called(c, key, agent, first=key == "1.1"))
        story.append(_agent(c, agent, agent.split("-")[0], "busy", key, "running tests"))
        if key == "3.2":
            story += _tests(c, key, 18, failed=1)
            story.append(CorrectionAttempted(ts=c(), task_id=key, attempt_number=1, max_attempts=3, status="started"))
            story.append(_called(c, key, agent, first=False))
            story += _tests(c, key, 19)
            story.append(CorrectionAttempted(ts=c(), task_id=key, attempt_number=1, max_attempts=3, status="success"))
        else:
            story += _tests(c, key, 5)
        story.append(_status(c, key, "done", agent, "running"))
        story.append(_agent(c, agent, agent.split("-")[0], "idle", None, "idle"))
    story.append(RunFinished(ts=c(), done=8, failed=0, blocked=0, total=8, elapsed=14.2))
    return story


def scene_app(root: Path) -> CodeframeApp:
    app = demo_app(root, latency=0.0, approve_all=True)
    app.auto_run = False
    app.banner = OFFLINE_BANNER.format(root="/tmp/codeframe-demo-x1y2z3")
    return app


async def play(pilot, story: list[Event]) -> None:
    """Wait for the plan to load, then deliver the story exactly as the engine's sink would."""
    app = pilot.app
    while app.engine is None or app.main.tasks_table.row_count == 0:
        await pilot.pause(0.05)
    for event in story:
        app.post_message(EngineEvent(event))
    await pilot.pause(0.3)


def review_app(root: Path) -> CodeframeApp:
    app = demo_app(root, latency=0.0)  # opens on plan review
    app.banner = OFFLINE_BANNER.format(root="/tmp/codeframe-demo-x1y2z3")
    return app


async def review_scene(pilot) -> None:
    """Plan review with 1.1 approved, 1.2 and 1.3 selected, the cursor on 1.3."""
    from codeframe_tui.ui.screens.review import PlanReviewScreen

    app = pilot.app
    while not (isinstance(app.screen, PlanReviewScreen) and app.screen.tasks):
        await pilot.pause(0.05)
    await pilot.press("a")
    while app.screen.tasks["1.1"].status != "approved":
        await pilot.pause(0.05)
    await pilot.press("j", "space", "j", "space")
    await pilot.pause(0.3)
    app.clear_notifications()
    await pilot.pause(0.1)


def discovery_scene_app(root: Path) -> CodeframeApp:
    """A project with no plan, opened for discovery, on a scripted lead agent."""
    from codeframe_tui.config import load_settings
    from codeframe_tui.engine.session import Engine
    from codeframe_tui.llm.offline import scripted_model_client
    from codeframe_tui.llm.scripted import ScriptedModel, ToolUseReply

    root.mkdir(parents=True, exist_ok=True)
    questions = iter([
        ("Who will use the reading list, and on which devices?", "users"),
        ("Which features must the first version have?", "features"),
    ])

    def responder(request):
        question, topic = next(questions, ("", "other"))
        return ToolUseReply("ask_question", {"question": question, "topic": topic, "enough": not question})

    async def opener(sink):
        settings = load_settings(root, offline=True)
        return await Engine.open(settings, scripted_model_client(settings, ScriptedModel(responder)), sink)

    return CodeframeApp(opener, banner="discovery", offline=True, review=True, discover=True)


async def discovery_scene(pilot) -> None:
    from codeframe_tui.ui.screens.discovery import DiscoveryScreen

    app = pilot.app
    while not isinstance(app.screen, DiscoveryScreen):
        await pilot.pause(0.05)
    await pilot.press(*"A shared reading list for a family, with who-is-reading-what", "enter")
    while app.screen.current is None or app.screen.busy:
        await pilot.pause(0.05)
    await pilot.press(*"Two parents and two kids, phones and a laptop", "enter")
    while len(app.screen.answers) < 1 or app.screen.busy or app.screen.current.topic != "features":
        await pilot.pause(0.05)
    # Under load the last question's line is mounted and scrolled to a frame or two later: wait for
    # the five lines (goal, answer, question, answer, question) and the scroll at their end.
    chat = app.screen.query_one("#chat")
    while len(chat.children) < 5 or chat.scroll_y < chat.max_scroll_y:
        await pilot.pause(0.05)
    # The answer box's cursor blinks every 0.5 s: held still (shown), the picture no longer depends
    # on when it is taken.
    app.screen.query_one("#answer").cursor_blink = False
    await pilot.pause(0.3)


INBOX_NOW = datetime(2026, 11, 28, 9, 42, 0, tzinfo=UTC)


async def inbox_state(pilot) -> None:
    """A stored state with three things waiting: 1.2's work for review (since 09:31), 1.3's yes/no
    question (09:34) and 2.1's question asked while it goes on (09:39); the clock reads 09:42."""
    from codeframe_tui.demo.answers import STATS_QUESTION, STORE, TEST_STORE

    DOC = b'"""shelf: a reading list."""\n'  # noqa: N806
    app = pilot.app
    app.inbox_clock = lambda: INBOX_NOW
    while app.engine is None or app.main.tasks_table.row_count == 0:
        await pilot.pause(0.05)
    store = app.engine.store
    for key, target in (("1.1", "running"), ("1.1", "done"), ("1.2", "running"), ("1.2", "review"),
                        ("1.3", "running"), ("1.3", "blocked"), ("2.1", "running")):
        agent = {"1.3": "backend-2", "2.1": "frontend-1"}.get(key, "backend-1")
        await store.transition(key, target, agent_id=agent)
    await store.record_changes("1.2", {
        "shelf/store.py": (None, STORE.encode(), None),
        "tests/test_store.py": (None, TEST_STORE.encode(), None),
        "shelf/__init__.py": (DOC, DOC + b'\nfrom shelf.store import Shelf\n\n__all__ = ["Shelf"]\n', 0o644),
    })
    await store.create_blocker("1.3", STATS_QUESTION, agent_id="backend-2", source="model", yes_no=True)
    await store.create_blocker("2.1", "Should the card show the year in brackets, like 'Dune (1965)'?", "async",
                               agent_id="frontend-1", source="model", yes_no=True, assumption="the year in brackets")
    async with store.db.transaction() as conn:
        await conn.execute("UPDATE tasks SET updated_at = '2026-11-28T09:31:00+00:00' WHERE key = '1.2'")
        await conn.execute("UPDATE blockers SET created_at = '2026-11-28T09:34:00+00:00' WHERE kind = 'sync'")
        await conn.execute("UPDATE blockers SET created_at = '2026-11-28T09:39:00+00:00' WHERE kind = 'async'")
    app.main.load_tasks(await store.list_tasks())
    await app.refresh_inbox()


async def inbox_scene(pilot) -> None:
    """The inbox open, the cursor on the oldest item (1.2's review)."""
    from codeframe_tui.ui.screens.inbox import InboxScreen

    await inbox_state(pilot)
    await pilot.press("b")
    while not (isinstance(pilot.app.screen, InboxScreen) and pilot.app.screen.items):
        await pilot.pause(0.05)
    await pilot.pause(0.2)
    pilot.app.clear_notifications()
    await pilot.pause(0.1)


async def answer_scene(pilot) -> None:
    """The answer editor for 1.3's question, an answer typed but not sent."""
    from codeframe_tui.ui.screens.answer import AnswerScreen

    await inbox_scene(pilot)
    await pilot.press("j", "enter")
    while not isinstance(pilot.app.screen, AnswerScreen):
        await pilot.pause(0.05)
    await pilot.press(*"Yes, a percentage with one decimal: 66.7")
    pilot.app.screen.query_one("#answer-text").cursor_blink = False  # held still, shown (see discovery)
    await pilot.pause(0.2)


async def diff_scene(pilot) -> None:
    """1.2's diff open from the inbox, on its second file."""
    from codeframe_tui.ui.screens.diff import DiffScreen

    await inbox_scene(pilot)
    await pilot.press("d")
    while not isinstance(pilot.app.screen, DiffScreen):
        await pilot.pause(0.05)
    await pilot.press("]")
    await pilot.pause(0.2)


def inbox_app(root: Path) -> CodeframeApp:
    """The demo app, not running: the scene writes the waiting items into its store itself."""
    return scene_app(root)
