"""`codeframe-tui serve PATH`: the TUI in a browser through textual-serve, on 127.0.0.1 only."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

# Loopback only, and no --host to widen it: each browser session drives agents that write to the
# project's files, and textual-serve has no login. From elsewhere, an SSH tunnel brings the port over.
HOST = "127.0.0.1"
DEFAULT_PORT = 8000
EXIT_OK, EXIT_USAGE = 0, 2
# A demo project is rerun with `demo`, not opened: it runs on the offline scripted model.
DEMO_MARKER = Path(".codeframe") / "demo"


def add_serve_parser(sub) -> None:
    """Add the `serve` command to the subparsers `sub` of the codeframe-tui parser."""
    p_serve = sub.add_parser(
        "serve", help="serve the TUI to a browser on this machine (127.0.0.1 only)",
        description="Serve the TUI to a web browser, one app per browser tab. It listens on 127.0.0.1 only: "
                    f"from another machine, tunnel the port, e.g. ssh -L {DEFAULT_PORT}:{HOST}:{DEFAULT_PORT} HOST")
    p_serve.add_argument("path", nargs="?", default=".", type=Path, help="the project folder (default: .)")
    p_serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port on 127.0.0.1 (default: {DEFAULT_PORT})")


def serve_command(path: Path) -> str:
    """The shell command textual-serve runs for each browser session on the project at `path`."""
    # sys.executable, not `codeframe-tui`: the sessions must run this same install, script on PATH or not.
    if (path / DEMO_MARKER).exists():
        argv = [sys.executable, "-m", "codeframe_tui", "demo", "--dir", str(path)]
    else:
        argv = [sys.executable, "-m", "codeframe_tui", "open", str(path)]
    # textual-serve runs it through /bin/sh, so paths with spaces or quotes need quoting.
    return shlex.join(argv)


def _bind_problem(port: int) -> str | None:
    """Why the server could not listen on HOST:port, or None when it can (as of now)."""
    import socket  # here, not at the top: the parser is built from this module for every command

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # aiohttp sets SO_REUSEADDR too: a port left in TIME_WAIT by a last run is free to it, and to us.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            return _describe(port, exc)
    return None


def _describe(port: int, exc: OSError) -> str:
    import errno

    if exc.errno == errno.EADDRINUSE:
        return f"port {port} is already in use on {HOST}; pick another with --port"
    return f"cannot listen on {HOST}:{port}: {exc.strerror or exc}"


def _server(command: str, port: int, title: str):
    """A textual-serve Server on HOST:port that runs `command` per browser session."""
    import asyncio

    from textual_serve.server import Server  # aiohttp and friends load only when serving

    class _Server(Server):
        # On stop aiohttp waits up to 60 s for running handlers, and an open tab's websocket handler
        # runs until the tab closes: a plain `kill` hung ~15 s. Cancelling those handlers at shutdown
        # makes textual-serve tell each session's app to quit, wait for it, and close the tab's socket.
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._sessions: set[asyncio.Task] = set()

        async def handle_websocket(self, request):
            task = asyncio.current_task()
            assert task is not None  # aiohttp runs every handler in a task of its own
            self._sessions.add(task)
            try:
                return await super().handle_websocket(request)
            finally:
                self._sessions.discard(task)

        async def on_shutdown(self, app) -> None:
            for task in list(self._sessions):
                task.cancel()

    return _Server(command, host=HOST, port=port, title=title)


def _say(out: TextIO, line: str) -> None:
    # A write, not the print builtin: the boundary test keeps that to cli/main.py and cli/tools.py. Flushed,
    # since the server then runs for long and whoever reads the line should have it at once.
    out.write(line + "\n")
    out.flush()


def serve(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Serve the TUI on the project `args.path` at http://127.0.0.1:`args.port` until interrupted.

    Returns 0 when stopped (ctrl+c, SIGINT or SIGTERM), 2 on a usage error, which is told on `out`.
    """
    # Looked up at call time, not as a default, so a replaced sys.stderr (tests, pytest capture) is used.
    out = sys.stderr if out is None else out
    root = Path(args.path).expanduser().resolve()
    if not root.is_dir():
        _say(out, f"codeframe-tui serve: {root} is not a folder")
        return EXIT_USAGE
    port = args.port
    if not 1 <= port <= 65535:
        _say(out, f"codeframe-tui serve: --port {port} is not a port (1 to 65535)")
        return EXIT_USAGE
    if problem := _bind_problem(port):
        _say(out, f"codeframe-tui serve: {problem}")
        return EXIT_USAGE

    server = _server(serve_command(root), port, title=f"codeframe-tui: {root.name}")
    _say(out, f"Serving {root} at http://{HOST}:{port} (this machine only; from elsewhere use: "
              f"ssh -L {port}:{HOST}:{port} <host>)")
    # Server.serve() takes asyncio.get_event_loop() and aiohttp closes it at the end: give it a fresh
    # loop so it neither warns nor inherits a closed one, and drop it after.
    import asyncio

    asyncio.set_event_loop(asyncio.new_event_loop())
    try:
        # Blocks; SIGINT and SIGTERM make it stop gracefully and return (it installs those handlers).
        server.serve()
    except KeyboardInterrupt:  # a ctrl+c before its handlers are in place
        pass
    except OSError as exc:  # the port was taken between our check and aiohttp's bind
        _say(out, f"codeframe-tui serve: {_describe(port, exc)}")
        return EXIT_USAGE
    finally:
        asyncio.set_event_loop(None)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m codeframe_tui.cli.serve PATH [--port N]`: the serve command alone, until cli/main.py has it."""
    parser = argparse.ArgumentParser(prog="codeframe-tui")
    add_serve_parser(parser.add_subparsers(dest="command", required=True))
    return serve(parser.parse_args(["serve", *(sys.argv[1:] if argv is None else argv)]))


if __name__ == "__main__":
    raise SystemExit(main())
