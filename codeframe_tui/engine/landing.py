"""Landing a task's work: commit it in its worktree, bring the base in and test that, merge into the
base branch, test the base once more. Undo reverts the merge. Nothing here ever deletes work."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from codeframe_tui.domain import MAX_QUESTION_CHARS, IllegalTransition, Task, TaskStatus, TestRun, TestStatus
from codeframe_tui.engine.asking import MAX_ENGINE_QUESTIONS, ask_person, engine_questions
from codeframe_tui.engine.context import EngineContext
from codeframe_tui.engine.events import TaskLanded, TaskUndone, TestResult, TestStarted
from codeframe_tui.engine.workspace import WorkspaceError, branch_for, ensure_workspace
from codeframe_tui.runner import run_tests
from codeframe_tui.vcs import Git, GitError

log = logging.getLogger(__name__)

# Paths that look like tests, in the languages the runner knows.
TEST_HINTS = ("tests/", "test/", "__tests__/", "spec/")
TEST_NAMES = ("test_", "_test.", ".test.", ".spec.", "conftest.py")


def is_test_path(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return path.startswith(TEST_HINTS) or any(f"/{h}" in f"/{path}" for h in TEST_HINTS) or any(
        n in name for n in TEST_NAMES
    )


async def modified_tests(ctx: EngineContext, key: str) -> list[str]:
    """Existing test files the task edited or deleted: a reason to look before it lands.

    With worktrees, "existing" means on the base branch: a test the task wrote itself in an earlier,
    interrupted attempt is in its worktree before this attempt, but it is the task's own work."""
    touched = [c.path for c in await ctx.store.task_changes(key) if c.before is not None and is_test_path(c.path)]
    if not touched or ctx.workspace is None or not ctx.workspace.base:
        return touched
    git, base = Git(ctx.project), ctx.workspace.base
    return [path for path in touched if (await git.run("cat-file", "-e", f"{base}:{path}", check=False)).code == 0]


@dataclass(frozen=True)
class Landing:
    landed: bool
    problem: str = ""  # why not, for the blocker
    commit: str = ""


def trailer_message(task: Task, head: str) -> str:
    return f"{head}\n\nCodeframe-Task: {task.key}"


async def run_suite(ctx: EngineContext, task: Task, root, purpose: str) -> TestRun:
    """The project's full test command (the `test` part), run by the tool itself in `root`."""
    command = ctx.test_command("test", root)
    if command is None:
        return TestRun(status=TestStatus.NO_TESTS, output="no test command configured or detected")
    log = ctx.test_log(task.key, purpose)
    await ctx.publish(TestStarted(task_id=task.key, command=command.argv, attempt=0, purpose=purpose,
                                  log=str(log.relative_to(ctx.project))))
    run = await run_tests(command, timeout=ctx.settings.test_timeout, processes=ctx.processes, log_path=log,
                          sandbox=ctx.confined(root))
    await ctx.store.add_test_run(task.key, -1 if purpose == "verify" else -2, run)
    await ctx.publish(TestResult(task_id=task.key, attempt=0, purpose=purpose, **run.as_dict()))
    return run


async def land(ctx: EngineContext, task: Task) -> Landing:
    """Merge the task's branch into the base. On a conflict or red tests the branch stays as it is.
    Called under `ctx.landing` (see `complete`): one landing, undo or discard at a time."""
    workspace = ctx.workspace
    assert workspace is not None
    branch = branch_for(task.key)
    main = workspace.git
    try:
        root = ctx.roots.get(task.key)
        if root is None or not root.is_dir():
            if not await main.branch_exists(branch):
                return Landing(True)  # it never had a worktree: nothing to land (never commit the main tree)
            root, _ = await workspace.open_for(task.key)  # its folder went missing: made again from its branch
            ctx.roots[task.key] = root
        tree = Git(root)
        if await main.current_branch() != workspace.base:
            return Landing(False, f"the project folder is no longer on {workspace.base}; switch back to land")
        changed = [c.path for c in await ctx.store.task_changes(task.key)]
        unmerged = (await tree.out("diff", "--name-only", "--diff-filter=U")).split()
        marked = conflict_marked(root, sorted(set(changed) | set(unmerged)))
        if marked:
            return Landing(False, f"conflict markers remain in: {', '.join(sorted(set(marked)))}")
        # Only what the agent wrote: test caches and setup output never ride along.
        await tree.commit_all(trailer_message(task, f"{task.key}: {task.title}"), changed)
        if await main.is_merged(branch, workspace.base):
            return Landing(True)  # nothing new since it last landed: no merge, and no commit to call its own
        before = await tree.head()
        ok, conflicts = await tree.merge(workspace.base, f"Merge {workspace.base} into {branch}")
        if not ok:
            return Landing(False, f"the base branch {workspace.base} conflicts with it in: {', '.join(conflicts)}")
        tested = ""  # the tree the suite has just passed on, in the worktree, under this same lock
        if await tree.head() != before:  # the base moved on: test what will really land
            run = await run_suite(ctx, task, tree.root, "merge")
            if run.status not in (TestStatus.PASSED, TestStatus.NO_TESTS):
                return Landing(False, f"with {workspace.base} merged in, the tests fail ({_brief(run)})")
            tested = await _tree_of(tree)
        base_before = await main.head()
        ok, conflicts = await main.merge(branch, trailer_message(task, f"Land {task.key}: {task.title}"))
        if not ok:
            return Landing(False, f"merging into {workspace.base} conflicts in: {', '.join(conflicts)}")
        commit = await main.head()
        if commit == base_before:
            return Landing(True)
    except (GitError, WorkspaceError, OSError) as exc:
        return Landing(False, f"git refused: {exc}")
    await ctx.store.set_extra(task.key, landed_commit=commit, branch=branch)
    await ctx.publish(TaskLanded(task_id=task.key, commit=commit, branch=branch, base=workspace.base))
    # The base's tests once more, on exactly the landed tree. The task's worktree holds that same tree
    # (its branch already had the base merged in), without the person's own uncommitted files, which
    # must neither be touched nor turn every landing red; otherwise the project folder itself.
    if not tested or tested != await _tree_of(main):
        same = await _same_tree(tree, main)
        run = await run_suite(ctx, task, tree.root if same else workspace.project, "merge")
    # else the landed tree is exactly the one the suite passed on just now, in the same folder: running
    # it again would only hold every other landing up for as long again.
    if run.status not in (TestStatus.PASSED, TestStatus.NO_TESTS):
        # The merge stays (work is never thrown away); the person decides, and `u` can undo it.
        return Landing(False, f"landed as {commit[:10]}, but then {workspace.base}'s tests fail "
                              f"({_brief(run)}); `u` undoes the merge", commit)
    try:
        await workspace.remove(task.key)
        ctx.roots.pop(task.key, None)
    except (GitError, WorkspaceError, OSError) as exc:
        log.warning("kept the worktree of %s after landing: %s", task.key, exc)
    return Landing(True, commit=commit)


async def _tree_of(git: Git) -> str:
    try:
        return await git.out("rev-parse", "HEAD^{tree}")
    except GitError:
        return ""


async def _same_tree(a: Git, b: Git) -> bool:
    try:
        return await a.out("rev-parse", "HEAD^{tree}") == await b.out("rev-parse", "HEAD^{tree}")
    except GitError:
        return False


def conflict_marked(root, paths: list[str]) -> list[str]:
    """Files still holding git's conflict markers: they must never land."""
    marked = []
    for rel in paths:
        try:
            text = (root / rel).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        lines = text.splitlines()
        if any(x.startswith("<<<<<<< ") for x in lines) and any(x.startswith(">>>>>>> ") for x in lines):
            marked.append(rel)
    return marked


def _brief(run: TestRun) -> str:
    names = ", ".join(run.failing_tests[:3])
    return f"{run.status}: {run.failed} failed, {run.errors} errors" + (f"; {names}" if names else "")


async def complete(ctx: EngineContext, task: Task, *, reason: str, agent_id: str | None = None) -> Task:
    """Work that is accepted (by review, or `auto`) becomes `done`; with worktrees, only once it has
    landed. A landing that fails blocks the task with a question, its branch kept as it is."""
    if await ensure_workspace(ctx) is None:
        return await ctx.move(task, TaskStatus.DONE, reason=reason, agent_id=agent_id)
    async with ctx.landing:
        current = await ctx.store.get_task(task.key)
        if current.status != task.status:  # another decision won while this one waited
            raise IllegalTransition(task.key, current.status, TaskStatus.DONE)
        landing = await land(ctx, task)
        return await _settle_landing(ctx, task, landing, reason, agent_id)


async def _settle_landing(ctx: EngineContext, task: Task, landing: Landing, reason: str,
                          agent_id: str | None) -> Task:
    if landing.landed and not landing.commit:
        return await ctx.move(task, TaskStatus.DONE, reason=reason, agent_id=agent_id)
    if landing.landed:
        landed = f"landed as {landing.commit[:10]}"
        return await ctx.move(task, TaskStatus.DONE, reason=f"{reason}; {landed}" if reason else landed,
                              agent_id=agent_id)
    task = await ctx.move(task, TaskStatus.BLOCKED, reason=f"could not land: {landing.problem}", agent_id=agent_id)
    if await engine_questions(ctx, task.key) >= MAX_ENGINE_QUESTIONS:
        # Answered and retried enough (an answers file answers every time): stop, do not loop.
        return await ctx.move(task, TaskStatus.FAILED, reason=f"could not land after {MAX_ENGINE_QUESTIONS} "
                                                              f"tries: {landing.problem}")
    question = (
        f"Task {task.key} '{task.title}' could not land: {landing.problem}. Its branch {branch_for(task.key)} "
        f"is kept as it is. Answer, and the agent tries again from the current {ctx.workspace.base} "
        "with your answer in its prompt."
    )
    await ask_person(ctx, task, question[:MAX_QUESTION_CHARS], agent_id=agent_id, wait=False)
    return task


@dataclass(frozen=True)
class UndoPlan:
    """What undoing a landed task involves, shown to the person before they confirm."""

    key: str
    commit: str
    files: tuple[str, ...]
    later: tuple[str, ...]  # later landed commits (subjects) that touched the same files


async def plan_undo(ctx: EngineContext, key: str) -> UndoPlan:
    task = await ctx.store.get_task(key)
    commit = str(task.extra.get("landed_commit", "")) if isinstance(task.extra, dict) else ""
    await ensure_workspace(ctx)
    if task.status not in (TaskStatus.DONE, TaskStatus.BLOCKED) or not commit or ctx.workspace is None:
        raise GitError(("revert",), None, f"task {key} has no landed merge to undo (it is {task.status})")
    git = ctx.workspace.git
    files = tuple(await git.files_changed(commit))
    later = tuple(await git.commits_touching(commit, list(files)))
    return UndoPlan(key, commit, files, later)


async def undo(ctx: EngineContext, key: str, to: TaskStatus = TaskStatus.APPROVED) -> str:
    """Revert the task's merge commit on the base branch; the task goes back to `to`."""
    if to not in (TaskStatus.APPROVED, TaskStatus.REJECTED):
        raise ValueError("a task is undone back to approved or rejected")
    plan = await plan_undo(ctx, key)
    task = await ctx.store.get_task(key)
    async with ctx.landing:
        if await ctx.workspace.git.branch_exists(branch_for(key)):
            # Landed but kept (its tests went red after): its work is in the base's history, and a
            # retry must start afresh, for merging a reverted branch again would drop its files.
            # Refused (WorkspaceError), before anything changes, if its worktree holds someone's files.
            await ctx.workspace.remove(key)
            ctx.roots.pop(key, None)
        ok, conflicts = await ctx.workspace.git.revert_merge(
            plan.commit, trailer_message(task, f"Undo {key}: {task.title}")
        )
        if not ok:
            raise GitError(("revert", plan.commit), None,
                           f"later work conflicts with undoing {key} in: {', '.join(conflicts)}; nothing was changed")
        commit = await ctx.workspace.git.head()
    await ctx.store.set_extra(key, landed_commit="", undone_by=commit)
    await ctx.move(task, to, reason=f"undone by {commit[:10]} (reverts {plan.commit[:10]})")
    await ctx.publish(TaskUndone(task_id=key, commit=commit, status=str(to)))
    ctx.inbox.wake()
    return commit
