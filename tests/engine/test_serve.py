"""`serve`: usage errors, the command each browser session runs, and a real server on 127.0.0.1 only."""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from isolation import config_home_env

from codeframe_tui.cli.serve import main, serve, serve_command


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_serve(path: Path, port: int) -> tuple[int, str]:
    out = io.StringIO()
    code = serve(argparse.Namespace(path=path, port=port), out=out)
    return code, out.getvalue()


def test_a_missing_path_or_a_file_is_a_usage_error(tmp_path):
    code, text = run_serve(tmp_path / "nope", free_port())
    assert code == 2
    assert f"{tmp_path / 'nope'} is not a folder" in text
    (tmp_path / "f.txt").write_text("x")
    assert run_serve(tmp_path / "f.txt", free_port())[0] == 2


@pytest.mark.parametrize("port", [0, -1, 65536])
def test_a_port_out_of_range_is_a_usage_error(tmp_path, port):
    code, text = run_serve(tmp_path, port)
    assert code == 2
    assert f"--port {port} is not a port" in text


def test_a_taken_port_is_a_usage_error_and_says_so(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, text = run_serve(tmp_path, port)
    assert code == 2
    assert f"port {port} is already in use on 127.0.0.1" in text


def test_main_parses_the_arguments_and_rejects_a_non_number_port(tmp_path, capsys):
    assert main([str(tmp_path / "nope"), "--port", str(free_port())]) == 2
    assert "is not a folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main([str(tmp_path), "--port", "http"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit):
        main([str(tmp_path), "--host", "0.0.0.0"])  # no way to listen beyond this machine


def test_a_plain_folder_is_opened_and_a_demo_folder_rerun_as_the_demo(tmp_path):
    project = tmp_path / "my project"  # a space: the command goes through /bin/sh
    project.mkdir()
    assert shlex.split(serve_command(project)) == [sys.executable, "-m", "codeframe_tui", "open", str(project)]
    (project / ".codeframe").mkdir()
    (project / ".codeframe" / "demo").write_text("")
    assert shlex.split(serve_command(project)) == [
        sys.executable, "-m", "codeframe_tui", "demo", "--dir", str(project)]


def listeners(port: int) -> set[str]:
    """The local addresses listening on `port`, from /proc/net/tcp and tcp6 (hex, as the kernel has them)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                addr, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                    found.add(addr)
    return found


def start_server(tmp_path: Path) -> tuple[subprocess.Popen, int, str, Path]:
    """`python -m codeframe_tui.cli.serve` on tmp_path/proj in its own process group, once it answers:
    (process, port, the page's HTML, its stderr file). The caller must `stop` it."""
    project = tmp_path / "proj"
    project.mkdir()
    port = free_port()
    err_path = tmp_path / "err.txt"
    with open(tmp_path / "out.txt", "wb") as out, open(err_path, "wb") as err:
        # Output to files, not pipes: a pipe no one reads could fill and stall the server.
        proc = subprocess.Popen(
            [sys.executable, "-m", "codeframe_tui.cli.serve", str(project), "--port", str(port)],
            stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True,
            env={**config_home_env(), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        )
    deadline = time.monotonic() + 20
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    assert response.status == 200
                    return proc, port, response.read().decode(), err_path
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None, f"serve exited {proc.returncode}: {err_path.read_text()}"
                assert time.monotonic() < deadline, f"no answer in 20 s: {err_path.read_text()}"
                time.sleep(0.2)
    except BaseException:
        stop(proc, signal.SIGKILL, to_group=True)
        raise


def stop(proc: subprocess.Popen, sig: int, to_group: bool) -> int:
    """Send `sig` (to the process or its whole group), wait for the exit code; SIGKILL the group if it
    hangs. Either way nothing of the group is left after."""
    if to_group:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    try:
        code = proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        code = None
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # whatever the server left of its sessions
        proc.wait()
    except ProcessLookupError:
        pass
    assert code is not None, "serve did not stop in 20 s"
    return code


def test_serve_answers_on_127_0_0_1_only_and_stops_on_sigterm(tmp_path):
    proc, port, html, err_path = start_server(tmp_path)
    try:
        assert "textual.js" in html  # textual-serve's page, which runs the terminal in the browser
        assert "codeframe-tui: proj" in html
        assert f"ws://127.0.0.1:{port}/ws" in html
        line = err_path.read_text().splitlines()[0]
        assert line.startswith(f"Serving {tmp_path / 'proj'} at http://127.0.0.1:{port} (this machine only")
        assert f"ssh -L {port}:127.0.0.1:{port}" in line
        assert listeners(port) == {"0100007F"}  # 127.0.0.1, and neither 0.0.0.0 nor any IPv6 address
    finally:
        code = stop(proc, signal.SIGTERM, to_group=True)
    assert code == 0, err_path.read_text()  # SIGTERM stops it gracefully


def test_sigterm_to_the_server_alone_stops_it_at_once_with_a_tab_open(tmp_path):
    # A browser tab's websocket kept aiohttp's shutdown waiting ~15 s; serve cancels those sessions.
    import aiohttp  # textual-serve's own dependency

    proc, port, _, err_path = start_server(tmp_path)
    try:
        async def with_a_tab_open() -> float:
            async with aiohttp.ClientSession() as client:
                async with client.ws_connect(f"http://127.0.0.1:{port}/ws?width=80&height=24") as tab:
                    await asyncio.sleep(0.5)  # the session's app process starts
                    started = time.monotonic()
                    proc.send_signal(signal.SIGTERM)
                    # Read on as a browser does, so the server's close frame is answered at once.
                    async for _ in tab:
                        pass
                    while proc.poll() is None:
                        await asyncio.sleep(0.05)
                    return time.monotonic() - started

        took = asyncio.run(asyncio.wait_for(with_a_tab_open(), 30))
    finally:
        code = stop(proc, signal.SIGTERM, to_group=False)
    assert code == 0, err_path.read_text()
    assert took < 8, f"serve took {took:.1f} s to stop"
