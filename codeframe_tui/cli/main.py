"""Command line: `codeframe-tui [PATH]` and its commands (demo, run, tests, config...). Heavy imports wait."""
# Even asyncio waits: `--help` and a usage error need none of it (it was a third of their time).

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from codeframe_tui.cli.common import EXIT_NEEDS_PERSON, EXIT_NOT_ALL_DONE, EXIT_OK, EXIT_USAGE, UsageError, project_dir
from codeframe_tui.cli.serve import add_serve_parser, serve

COMMANDS = ("demo", "run", "tests", "open", "import", "new", "undo", "status", "serve", "config")



def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codeframe-tui",
        description="Run a team of AI coding agents on a project, in the terminal.",
        epilog="With no command, `codeframe-tui [PATH]` opens the TUI on PATH (default: .).",
    )
    sub = parser.add_subparsers(dest="command")
    p_open = sub.add_parser("open", help="open the TUI on a project (the default command)")
    p_open.add_argument("path", nargs="?", default=".", type=Path)

    p_demo = sub.add_parser("demo", help="make a demo project and run it on the offline scripted model")
    p_demo.add_argument("--dir", type=Path,
                        help="folder for the demo project: new or empty, or a demo made there before (reopened "
                             "as it was left); default: a new temp folder")
    p_demo.add_argument("--stack", choices=("python", "web"), default=None,
                        help="'web': a TypeScript project with vitest, lint and type steps (needs Node.js 20+; "
                             "its dependencies are installed with npm). Default: the Python demo")
    p_demo.add_argument("--headless", action="store_true", help="no screen: print events instead")
    p_demo.add_argument("--json", action="store_true", help="with --headless: one JSON object per line")
    p_demo.add_argument("--latency", type=float, default=None, help="scripted model latency per call, seconds")
    p_demo.add_argument("--approve-all", action="store_true", help="skip plan review (the headless demo always does)")
    p_demo.add_argument("--answers", type=Path, metavar="FILE",
                        help="with --headless: answers file (default: the demo's own, in .codeframe/answers.json)")
    p_demo.add_argument("--resume", action="store_true",
                        help="with --headless: go on with an interrupted run of the demo in --dir")
    p_demo.add_argument("--review", choices=("review", "auto"),
                        help="'review' waits for your accept of each task (the demo's config says 'auto')")

    p_new = sub.add_parser("new", help="plan a project from a goal: discovery, PRD, tasks, review")
    p_new.add_argument("path", nargs="?", default=".", type=Path)

    p_run = sub.add_parser("run", help="run a project's approved tasks with the real model")
    p_run.add_argument("path", nargs="?", default=".", type=Path)
    p_run.add_argument("--headless", action="store_true")
    p_run.add_argument("--json", action="store_true")
    p_run.add_argument("--approve-all", action="store_true", help="approve every proposed task first")
    p_run.add_argument("--answers", type=Path, metavar="FILE",
                       help="headless: a JSON file mapping task ids or question patterns to answers")
    p_run.add_argument("--init-git", action="store_true",
                       help="make the project a git repository first if it is not one (each task gets a worktree)")
    p_run.add_argument("--review", choices=("review", "auto"),
                       help="override the config: 'review' waits for your accept, 'auto' marks passing tasks done")
    p_run.add_argument("--resume", action="store_true",
                       help="headless: go on with the last run, which was interrupted (killed, or stopped)")

    p_import = sub.add_parser("import", help="import a plan (spec-kit tasks.md, Task Master tasks.json, checklist)")
    p_import.add_argument("source", type=Path, help="the plan file, or a folder holding one")
    p_import.add_argument("--project", type=Path, default=Path("."), help="the project to import into (default: .)")
    p_import.add_argument("--tag", help="Task Master: which tag to import (default: master, or the only one)")
    p_import.add_argument("--dry-run", action="store_true",
                          help="check and show the plan and its warnings; write nothing")
    p_import.add_argument("--same-file", choices=("serialize", "warn"),
                          help="open tasks that may run together on one file: order them, or only warn"
                               " (default: the config's [import] same_file, else serialize)")
    p_import.add_argument("--serialize-same-file", dest="same_file", action="store_const", const="serialize",
                          help="the same as --same-file serialize")
    p_import.add_argument("--prefix", help="put this before every task id, so several features fit in one project"
                                           " (default: a spec-kit folder's number, like 005-; \"\" for none)")
    p_import.add_argument("--strict", action="store_true",
                          help="refuse the file if anything in it cannot be read with confidence, naming every problem")
    p_import.add_argument("--json", action="store_true", help="print the tasks and edges as JSON")

    p_undo = sub.add_parser("undo", help="undo a done task: git revert of its merge into the base branch")
    p_undo.add_argument("task", help="the task's id, e.g. 1.2")
    p_undo.add_argument("--project", type=Path, default=Path("."), help="the project (default: .)")
    p_undo.add_argument("--to", choices=("approved", "rejected"), default="approved",
                        help="the task's status afterwards: approved (runs again) or rejected")
    p_undo.add_argument("--yes", action="store_true", help="do not ask to confirm")

    p_status = sub.add_parser("status", help="print the tasks, what waits for a person, and usage; start nothing")
    p_status.add_argument("path", nargs="?", default=".", type=Path)
    p_status.add_argument("--json", action="store_true")

    p_tests = sub.add_parser("tests", help="run a project's tests as the agents will, and print the result")
    p_tests.add_argument("path", nargs="?", default=".", type=Path)
    p_tests.add_argument("--part", choices=("backend", "frontend", "test"), default="test")
    p_tests.add_argument("--json", action="store_true")
    p_config = sub.add_parser("config", help="print every setting, its value, and where it came from")
    p_config.add_argument("--dir", type=Path, default=Path("."), help="the project (default: .)")
    p_config.add_argument("--json", action="store_true")
    add_serve_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (args_list[0] not in COMMANDS and not args_list[0].startswith("-")):
        args_list.insert(0, "open")
    args = build_parser().parse_args(args_list)
    if args.command is None:
        build_parser().print_help()
        return EXIT_OK
    try:
        if args.command == "serve":
            return serve(args)
        if args.command == "demo":
            return _demo(args)
        if args.command in ("tests", "import", "undo", "status", "config"):
            from codeframe_tui.cli import tools as cli_tools

            if args.command == "undo":
                return cli_tools.undo(args)
            if args.command == "config":
                return cli_tools.show_config(args)
            tool = {"tests": cli_tools.tests, "import": cli_tools.import_plan, "status": cli_tools.status}
            import asyncio

            return asyncio.run(tool[args.command](args))
        if args.command == "run":
            return _run(args.path, headless=args.headless, as_json=args.json, approve_all=args.approve_all,
                        answers=args.answers, review=args.review, init_git=args.init_git, resume=args.resume)
        # `new`, or opening a project with no plan yet, starts discovery.
        return _run(args.path, headless=False, as_json=False, approve_all=False, discover=True)
    except (KeyboardInterrupt, _Signalled):
        return 130
    except UsageError as exc:
        print(f"codeframe-tui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return _pipe_closed()


def _pipe_closed() -> int:
    """The reader went away (`status | head`): that is the reader's choice, not an error. Python
    would still fail flushing stdout at exit, so stdout points at /dev/null from here on."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from codeframe_tui.demo.setup import DEFAULT_LATENCY, demo_folder_state, new_demo_dir

    root = args.dir.expanduser().resolve() if args.dir else new_demo_dir()
    if demo_folder_state(root) == "foreign":
        raise UsageError(f"--dir {root} must be a new or empty folder, or a demo made there before")
    if args.resume and not args.headless:
        raise UsageError("--resume is for --headless runs; the TUI offers to resume by itself")
    latency = DEFAULT_LATENCY if args.latency is None else args.latency
    import asyncio

    from codeframe_tui.demo.web_setup import DemoUnavailable

    try:
        if args.headless:
            if not args.json:
                print(f"demo project: {root}", file=sys.stderr)
            return asyncio.run(_demo_headless(root, latency, args.json, args.answers, args.resume, args.review,
                                              args.stack))
        print(f"demo project: {root}")
        if args.stack == "web" or demo_folder_state(root) == "ready":
            # Made (and its dependencies installed) here, where npm's progress can be seen, not under the
            # TUI; a demo made before is checked for its stack. The TUI then reopens it.
            from codeframe_tui.demo.setup import prepare_demo

            asyncio.run(prepare_demo(root, latency=latency, review=args.review, stack=args.stack))
    except DemoUnavailable as exc:
        raise UsageError(str(exc)) from exc
    from codeframe_tui.ui.launch import run_demo_tui

    return run_demo_tui(root, latency, approve_all=args.approve_all, review=args.review)


def _answer_book(path: Path | None):
    if path is None:
        return None
    from codeframe_tui.cli.answers_file import AnswersFileError, load_answers

    try:
        return load_answers(path.expanduser().resolve())
    except AnswersFileError as exc:
        raise UsageError(str(exc)) from exc


async def _demo_headless(root: Path, latency: float, as_json: bool, answers: Path | None, resume: bool,
                         review: str | None, stack: str | None = None) -> int:
    from codeframe_tui.cli.logs import configure_logging
    from codeframe_tui.demo.setup import prepare_demo
    from codeframe_tui.llm.offline import scripted_model_client

    book = _answer_book(answers)  # checked before the demo folder is filled
    setup = await prepare_demo(root, latency=latency, review=review, stack=stack)
    configure_logging(setup.settings.log_path)
    book = book or _answer_book(setup.answers_file)  # None without one
    engine = await _open_engine(setup.settings, scripted_model_client(setup.settings, setup.scripted), as_json,
                                book, resume)
    try:
        summary = await _until_signalled(engine.run(approve_all=True))
        return await _headless_exit(engine, summary, as_json)
    finally:
        await engine.close()


async def _open_engine(settings, model, as_json: bool, book, resume: bool):
    """The engine for a headless run: refused (exit 2) while another process runs the project, and
    on an interrupted run unless --resume says to go on with it."""
    from codeframe_tui.cli.headless import JsonLinesSink, TextSink
    from codeframe_tui.engine.runlock import ProjectBusy
    from codeframe_tui.engine.session import Engine

    sink = JsonLinesSink(sys.stdout) if as_json else TextSink(sys.stdout)
    try:
        engine = await Engine.open(settings, model, sink, answerer=book)
    except ProjectBusy as exc:
        await model.close()
        raise UsageError(f"{exc}; follow it with `codeframe-tui {settings.project}` (read-only) or "
                          f"`codeframe-tui status {settings.project}`") from exc
    if engine.interrupted is not None and not resume:
        text = engine.interrupted.describe()
        await engine.close()
        raise UsageError(f"{text}\nPass --resume to go on with it.")
    return engine


class _Signalled(Exception):
    """SIGTERM or SIGHUP stopped a headless run; the agents were stopped cleanly first."""


async def _until_signalled(run):
    """Run the engine; on SIGTERM or SIGHUP (a dropped SSH session) cancel it, so the workers stop
    cleanly and running tasks go back to approved, then exit 130 like ctrl+c."""
    import asyncio
    import signal

    task = asyncio.ensure_future(run)
    loop = asyncio.get_running_loop()
    hit: list[int] = []

    def stop(sig: int) -> None:
        hit.append(sig)
        task.cancel()

    for sig in (signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, stop, sig)
    try:
        return await task
    except asyncio.CancelledError:
        if hit:
            raise _Signalled() from None
        raise
    finally:
        for sig in (signal.SIGTERM, signal.SIGHUP):
            loop.remove_signal_handler(sig)


async def _headless_exit(engine, summary, as_json: bool) -> int:
    """0 when all is done; 3 when questions or reviews wait for a person (they are printed, to stderr
    under --json so stdout stays pure JSON lines); 1 otherwise."""
    if summary.all_done:
        return EXIT_OK
    items = await engine.inbox()
    waiting = [i for i in items if i.kind == "review" or i.sync]
    if not waiting:
        return EXIT_NOT_ALL_DONE
    out = sys.stderr if as_json else sys.stdout
    print(f"{len(waiting)} item(s) wait for a person:", file=out)
    from codeframe_tui.domain.safe_text import one_line

    for item in waiting:
        if item.kind == "review":
            line = f"review task {item.task_key} '{item.task_title}': {item.text}"
        else:
            line = f"question {item.blocker_id} on task {item.task_key}: {item.text}"
        print(f"  {one_line(line, 4000)}", file=out)
    print("Answer them in the TUI (codeframe-tui PATH, then b), or with --answers FILE.", file=out)
    return EXIT_NEEDS_PERSON


def _run(path: Path, *, headless: bool, as_json: bool, approve_all: bool, discover: bool = False,
         answers: Path | None = None, review: str | None = None, init_git: bool = False,
         resume: bool = False) -> int:
    from codeframe_tui.config import ConfigError, load_settings

    project = project_dir(path)
    if answers is not None and not headless:
        raise UsageError("--answers is for --headless runs; in the TUI you answer with b")
    if resume and not headless:
        raise UsageError("--resume is for --headless runs; the TUI offers to resume by itself")
    book = _answer_book(answers)
    try:
        settings = load_settings(project, review=review)
    except ConfigError as exc:
        raise UsageError(str(exc)) from exc
    _check_sandbox(settings)
    if not settings.api_key:
        raise UsageError(
            "ANTHROPIC_API_KEY is not set. Export it to run with Claude, or try `codeframe-tui demo` "
            "for the offline scripted model."
        )
    if headless:
        import asyncio

        return asyncio.run(_run_headless(settings, as_json, approve_all, book, init_git, resume))
    from codeframe_tui.ui.launch import run_project_tui

    return run_project_tui(settings, discover=discover)


def _check_sandbox(settings) -> None:
    """`sandbox = "bwrap"` where bubblewrap cannot run: refused before anything starts (exit 2)."""
    if settings.sandbox != "bwrap":
        return
    import asyncio

    from codeframe_tui.runner.sandbox import probe_bwrap

    problem = asyncio.run(probe_bwrap())
    if problem is not None:
        raise UsageError(f'sandbox = "bwrap" in the config, but {problem}')


async def _run_headless(settings, as_json: bool, approve_all: bool, book, init_git: bool, resume: bool) -> int:
    from codeframe_tui.cli.logs import configure_logging
    from codeframe_tui.engine.workspace import WorkspaceError
    from codeframe_tui.llm.client import ModelClient, build_anthropic_client

    configure_logging(settings.log_path)
    engine = await _open_engine(settings, ModelClient(settings, build_anthropic_client(settings)), as_json, book,
                                resume)
    try:
        summary = await _until_signalled(engine.run(approve_all=approve_all, init_git=init_git))
        return await _headless_exit(engine, summary, as_json)
    except WorkspaceError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        await engine.close()
