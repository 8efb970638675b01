"""The command line's project tools: `tests`, `import`, `undo`, `status` and `config` (the TUI and runs
are in cli/main.py)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from codeframe_tui.cli.common import EXIT_NOT_ALL_DONE, EXIT_OK, UsageError, project_dir
from codeframe_tui.domain.safe_text import one_line


async def tests(args: argparse.Namespace) -> int:
    from codeframe_tui.config import ConfigError, load_settings
    from codeframe_tui.config.sandbox import confinement
    from codeframe_tui.runner import command_from_config, detect_test_command, run_tests
    from codeframe_tui.runner.sandbox import Sandboxed, SandboxUnavailable
    from codeframe_tui.runner.sandbox import choose as choose_executor

    project = project_dir(args.path)
    try:
        settings = load_settings(project)
    except ConfigError as exc:
        raise UsageError(str(exc)) from exc
    configured = settings.test_commands.get(args.part)
    command = (
        command_from_config(list(configured), project) if configured else detect_test_command(project, args.part)
    )
    if command is None:
        raise UsageError(f"no test command found for {project} (set [tests] in .codeframe/config.toml)")
    # Confined as the agents' runs are, so that a person sees what they see.
    try:
        choice = await choose_executor(settings.sandbox)
    except SandboxUnavailable as exc:
        raise UsageError(str(exc)) from exc
    if choice.warning and not args.json:
        print(choice.warning, file=sys.stderr)
    lines: list[str] = []
    run = await run_tests(command, timeout=settings.test_timeout,
                          on_line=None if args.json else lambda line: print(line, flush=True),
                          sandbox=Sandboxed(choice.executor, confinement(settings, project)))
    if args.json:
        # Each step in full here (the events carry their one-line forms).
        print(json.dumps({**run.as_dict(), "steps": [step.as_dict() for step in run.steps]}))
    else:
        print(f"{run.status}: {run.passed} passed, {run.failed} failed, {run.errors} errors, "
              f"{run.skipped} skipped of {run.total} in {run.duration:.2f}s")
        for step in run.steps:  # a chained JavaScript test script: each step, and what failed in it
            print(f"  {step.short}")
            for problem in step.problems:
                print(f"    {problem}")
    del lines
    return EXIT_OK if run.status == "passed" else EXIT_NOT_ALL_DONE


async def import_plan(args: argparse.Namespace) -> int:
    from codeframe_tui.domain import ImportRecord
    from codeframe_tui.domain.graph import PlanError
    from codeframe_tui.plan import PlanImportError, import_plan, plan_to_json
    from codeframe_tui.store import Store, StoreError

    same_file = args.same_file
    target = args.project.expanduser().resolve()
    if same_file is None and target.is_dir():  # a dry run may name no project yet
        from codeframe_tui.config import ConfigError, load_settings

        try:
            same_file = load_settings(target, env={}).import_same_file
        except ConfigError as exc:
            raise UsageError(str(exc)) from exc
    try:
        plan = import_plan(args.source.expanduser().resolve(), tag=args.tag, strict=args.strict,
                           same_file=same_file or "serialize", prefix=args.prefix)
    except PlanImportError as exc:
        raise UsageError(str(exc)) from exc
    if args.json:
        print(json.dumps(plan_to_json(plan), ensure_ascii=False, indent=None if args.dry_run else 2))
    else:
        print(f"{plan.source}: {plan.format}, {len(plan.tasks)} tasks ({_status_counts(plan.tasks)}), "
              f"{len(plan.edges())} dependencies, {len(plan.issues)} issues/phases")
        if plan.acceptance:
            items = sum(line.startswith("- [") for line in plan.acceptance.splitlines())
            print(f"acceptance notes: {items} checklist item(s), kept with the plan")
        for warning in plan.warnings:
            print(f"warning: {warning.message(plan.source)}", file=sys.stderr)
        if plan.warnings:
            print(f"{len(plan.warnings)} warning(s); --strict would refuse the file", file=sys.stderr)
    if args.dry_run:
        return EXIT_OK
    project = project_dir(args.project)
    from codeframe_tui.config import CONFIG_DIR

    tasks = plan.tasks
    if plan.context_files:
        # spec.md, plan.md and quickstart.md travel with every task, for its worker's prompt.
        from dataclasses import replace

        paths = [str(p) for p in plan.context_files]
        tasks = tuple(replace(t, extra={**t.extra, "context_files": paths}) for t in tasks)
    from codeframe_tui.engine.runlock import ProjectBusy, RunLock

    lock = RunLock(project / CONFIG_DIR)  # a live run owns the store: no plan changes under it
    try:
        lock.acquire()
    except ProjectBusy as exc:
        raise UsageError(f"{exc}; import when it has finished") from exc
    try:
        store = await Store.open(project / CONFIG_DIR / "state.db", project)
        try:
            record = ImportRecord(str(plan.source), plan.format, tuple(plan.warnings_json()), plan.acceptance)
            await store.add_plan(plan.issues, tasks, imported=record)  # one transaction: all or nothing
        except (PlanError, StoreError) as exc:
            raise UsageError(f"{plan.source}: not imported into {project}: {exc}") from exc
        finally:
            await store.close()
    finally:
        lock.release()
    if not args.json:
        waiting = sum(1 for t in plan.tasks if t.status == "proposed")
        then = " (approve them, or run with --approve-all)" if waiting else ""
        print(f"imported into {project}: {_status_counts(plan.tasks)}{then}")
    return EXIT_OK


def show_config(args: argparse.Namespace) -> int:
    """Every setting, its value and its origin (config/report.py builds them); a bad file is refused
    with its path and key, as a run would refuse it."""
    from codeframe_tui.config import ConfigError, load_layered
    from codeframe_tui.config import report as config_report

    try:
        layered = load_layered(project_dir(args.dir))
    except ConfigError as exc:
        raise UsageError(str(exc)) from exc
    print(config_report.as_json(layered) if args.json else "\n".join(config_report.as_text(layered)))
    return EXIT_OK


def _status_counts(tasks) -> str:
    """'3 done, 12 proposed, 1 rejected': what an import brings, by status."""
    counts: dict[str, int] = {}
    for t in tasks:
        counts[str(t.status)] = counts.get(str(t.status), 0) + 1
    return ", ".join(f"{n} {status}" for status, n in counts.items()) or "no tasks"


def undo(args: argparse.Namespace) -> int:
    """Show what undoing would revert and which later work touched the same files; ask; revert."""
    plan = asyncio.run(_with_engine(args.project, lambda engine: engine.undo_plan(args.task)))
    print(f"undo {plan.key}: reverts {plan.commit[:10]}, which changed {', '.join(plan.files) or 'no files'}")
    if plan.later:
        print("later work touched the same files (it stays):")
        for subject in plan.later:
            print(f"  {subject}")
    if not args.yes and input("revert it? [y/N] ").strip().lower() not in ("y", "yes"):
        print("nothing changed")
        return EXIT_NOT_ALL_DONE
    commit = asyncio.run(_with_engine(args.project, lambda engine: engine.undo(args.task, to=args.to)))
    print(f"undone by {commit[:10]}; task {args.task} is {args.to}")
    return EXIT_OK


async def _with_engine(path: Path, command, *, workspace: bool = True, read_only: bool = False):
    """Open the project's engine (no model: git and the store only), run `command(engine)`, close.
    `read_only` reads beside a live run; otherwise the run lock is taken, as a run would."""
    from codeframe_tui.config import ConfigError, load_settings
    from codeframe_tui.engine.refused import CommandRefused
    from codeframe_tui.engine.runlock import ProjectBusy
    from codeframe_tui.engine.session import Engine, NoModel
    from codeframe_tui.engine.workspace import WorkspaceError
    from codeframe_tui.store import StoreError

    project = project_dir(path)
    try:
        settings = load_settings(project)
    except ConfigError as exc:
        raise UsageError(str(exc)) from exc
    if not workspace and not settings.db_path.exists():
        raise UsageError(f"{project} has no plan yet (no {settings.db_path.relative_to(project)}); "
                          "start with `codeframe-tui new` or `codeframe-tui import`")
    try:
        if read_only:
            engine: Engine = await Engine.open_read_only(settings, lambda event: None)
        else:
            # NoModel: this engine (status, undo) calls no model, and only closes the one it is given.
            engine = await Engine.open(settings, NoModel(), lambda event: None)  # type: ignore[arg-type]
    except (ProjectBusy, StoreError) as exc:
        raise UsageError(str(exc)) from exc
    try:
        if workspace:
            await engine.lead.open_workspace()
        return await command(engine)
    except (CommandRefused, WorkspaceError) as exc:
        raise UsageError(str(exc)) from exc
    finally:
        await engine.close()


async def status(args: argparse.Namespace) -> int:
    """The project's tasks, what waits for a person, and usage, read from the store: nothing starts."""

    from codeframe_tui.costs.usage import totals, totals_by

    async def read(engine):
        tasks = await engine.store.list_tasks()
        usage = await totals(engine.store, engine.ctx.prices)
        per_task = await totals_by(engine.store, engine.ctx.prices, "task")
        return tasks, await engine.inbox(), usage, per_task, await engine.store.last_run(), engine.holder

    tasks, waiting, usage, per_task, last, holder = await _with_engine(args.path, read, workspace=False,
                                                                       read_only=True)
    run = _run_state(last, holder)
    sandbox = await _sandbox_state(project_dir(args.path))
    counts: dict[str, int] = {}
    for task in tasks:
        counts[str(task.status)] = counts.get(str(task.status), 0) + 1
    if args.json:
        print(json.dumps({
            "tasks": [{"task_id": t.key, "title": t.title, "status": str(t.status), "agent_type": str(t.agent_type),
                       "agent_id": t.agent_id, "depends_on": list(t.depends_on), "retries": t.retries,
                       "reason": t.reason, "landed_commit": t.extra.get("landed_commit", ""),
                       "usage": per_task[t.key].as_dict() if t.key in per_task else None} for t in tasks],
            "counts": counts,
            "waiting": [{"kind": i.kind, "task_id": i.task_key, "blocker_id": i.blocker_id, "text": i.text,
                         "since": i.since.isoformat()} for i in waiting],
            "usage": usage.as_dict(),
            "run": run,
            "sandbox": sandbox,
        }, ensure_ascii=False))
        return EXIT_OK
    print(f"{len(tasks)} tasks: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    print(f"last run: {run['text']}")
    print(f"sandbox: {sandbox}" if not sandbox.startswith("sandbox off") else f"⚠ {sandbox}: tests run unconfined")
    for t in tasks:
        why = f"  ({one_line(t.reason, 80)})" if t.reason else ""
        print(f"  {one_line(t.key, 20):<6} {str(t.status):<9} {t.agent_id or str(t.agent_type):<11} "
              f"{one_line(t.title, 50)}{why}")
    if waiting:
        print(f"{len(waiting)} waiting for a person (open the TUI and press b):")
        for item in waiting:
            what = "review" if item.kind == "review" else f"question {item.blocker_id}"
            print(f"  {what} on task {one_line(item.task_key, 20)}: {one_line(item.text, 100)}")
    hit = f", {usage.cache_hit:.0%} from the cache" if usage.cache_hit is not None else ""
    print(f"model: {usage.calls} calls, {usage.input_total} tokens in{hit}, {usage.output_tokens} out, "
          f"{usage.cost_text()}")
    return EXIT_OK


async def _sandbox_state(project: Path) -> str:
    """Where the next run's commands will run, tested now as a run tests it: `bwrap · no network`."""
    from codeframe_tui.config import load_settings
    from codeframe_tui.config.sandbox import confinement
    from codeframe_tui.runner.sandbox import SandboxUnavailable
    from codeframe_tui.runner.sandbox import choose as choose_executor

    settings = load_settings(project)
    try:
        choice = await choose_executor(settings.sandbox)
    except SandboxUnavailable as exc:
        return f"sandbox off: {exc}; a run refuses to start"
    return choice.warning or choice.executor.describe(confinement(settings, project))


def _run_state(last, holder: int | None) -> dict:
    """The last run as `status` tells it: live (with its pid), finished, stopped, or killed."""
    if holder is not None:
        state, text = "live", f"running now (pid {holder}); `codeframe-tui PATH` follows it read-only"
    elif last is None:
        return {"state": "never", "text": "none yet"}
    elif last.ended_at is None or last.outcome in ("killed", "stopped"):
        state = "killed" if last.ended_at is None or last.outcome == "killed" else "stopped"
        text = f"{state}; resume it with `codeframe-tui PATH` (or `run --headless --resume`)"
    else:
        state, text = "finished", "finished"
    out = {"state": state, "text": text}
    if last is not None:
        out.update(pid=last.pid, started_at=last.started_at, ended_at=last.ended_at)
    return out
