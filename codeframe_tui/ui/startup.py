"""Start-up, from an open engine to a running plan: the inbox left from before, the offer to resume,
discovery when there is no plan, plan review, the offer to make the folder a git repository, the run.

Each step that needs the person waits on a screen; the app's engine worker runs this once.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from codeframe_tui.domain import TaskStatus
from codeframe_tui.engine.session import ReadOnlyEngine
from codeframe_tui.ui.attention import Attention
from codeframe_tui.ui.bridge import app_sink
from codeframe_tui.ui.content import hide_secret, plain
from codeframe_tui.ui.follow import follow_run
from codeframe_tui.ui.screens.confirm import confirm
from codeframe_tui.ui.screens.review import PlanReviewScreen

if TYPE_CHECKING:
    from codeframe_tui.ui.app import CodeframeApp

log = logging.getLogger(__name__)


async def start_up(app: CodeframeApp) -> None:
    try:
        app.engine = await app.opener(app_sink(app))
    except Exception as exc:  # shown on screen, not swallowed: the person must see why
        log.exception("could not open the engine")
        app.engine_error = f"Could not start: {exc}"
        app.notify(plain(app.engine_error), severity="error", timeout=30, markup=False)
        app.sub_title = "not started"
        return
    settings = app.engine.settings
    hide_secret(settings.api_key)
    app.attention = Attention(app, bell=settings.notify_bell, desktop=settings.notify_desktop,
                               toast=settings.notify_toast)
    if isinstance(app.engine, ReadOnlyEngine):  # the one engine with read_only set
        await follow_run(app, app.engine)
        return
    await app.refresh_inbox()  # questions and reviews left from an earlier session
    if app.inbox_items:
        app.attention.alert(f"{len(app.inbox_items)} item(s) wait for you in the inbox (b)")
    tasks = await app.engine.tasks()
    if app.engine.interrupted is not None and app.auto_run:
        app.main.load_tasks(tasks)
        answer = await app.push_screen_wait(confirm(
            "Resume the interrupted run?", app.engine.interrupted.describe(),
            yes="Resume", no="Not now",
        ))
        if answer != "yes":
            await app.wait_for_start("not resumed: press s to start the run")
    if app.discover and not tasks:
        # No plan yet: discovery, then the PRD, then its decomposition lead into plan review.
        from codeframe_tui.ui.screens.discovery import DiscoveryScreen  # its widgets: 70 ms at start-up

        await app.push_screen(DiscoveryScreen(app.engine))
        await app.plan_ready.wait()
        tasks = await app.engine.tasks()
    app.main.load_tasks(tasks)
    if app.review and any(t.status == TaskStatus.PROPOSED for t in tasks):
        # Nothing runs without approval: plan review first, then `s` starts the run.
        await app.push_screen(PlanReviewScreen(app.engine, app.banner))
        await app.start_requested.wait()
        app.main.load_tasks(await app.engine.tasks())
    if not app.auto_run:
        return
    init_git = False
    problem = await app.engine.workspace_problem()
    if problem is not None:
        # Each task works in its own git worktree: a plain folder must become a repository first.
        answer = await app.push_screen_wait(confirm(
            "Make it a git repository?",
            f"{problem}. Each task works in its own git worktree and lands by a merge, so that "
            "parallel agents never overwrite each other and every task can be undone.\n\n"
            "y runs `git init` and commits what is there now (.codeframe/ is left out). "
            "n leaves the folder alone; nothing runs.",
            yes="git init", no="Leave it",
        ))
        if answer != "yes":
            app.engine_error = f"Not started: {problem}. Run `git init`, or set worktrees = false."
            app.notify(plain(app.engine_error), severity="warning", timeout=30, markup=False)
            app.sub_title = "not started: not a git repository"
            return
        init_git = True
    try:
        app.summary = await app.engine.run(init_git=init_git)
    except Exception as exc:  # the workers are already stopped; the person must see why
        log.exception("the run stopped on an error")
        app.engine_error = f"The run stopped on an error: {exc}"
        app.attention.alert(app.engine_error, severity="error", timeout=30)
        app.sub_title = "stopped on an error (see .codeframe/codeframe.log)"
