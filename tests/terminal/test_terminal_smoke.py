"""The terminal harness works: tmux runs the real app under each TERM, and a local sshd delivers
SIGHUP to the remote program when the SSH client dies."""

from __future__ import annotations

import os
import re
import secrets
import signal
import sys
import time
from pathlib import Path

import pytest
from isolation import config_home_env

from .sshd import LocalSshd, remote_command
from .tmux import TmuxSession, pid_alive

pytestmark = pytest.mark.terminal

# The venv's own scripts, wherever the checkout is (a clean clone in CI included).
APP = Path(sys.executable).parent / "codeframe-tui"

TERMINALS = [
    pytest.param("xterm-256color", {}, id="xterm-256color"),
    pytest.param("xterm", {}, id="xterm"),
    pytest.param("vt100", {}, id="vt100"),
    pytest.param("xterm-256color", {"NO_COLOR": "1"}, id="no-color"),
]


def app_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A minimal environment: the caller's PATH, an empty HOME, and `extra` (TERM is TmuxSession's)."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {**config_home_env(), "PATH": os.environ.get("PATH", os.defpath), "HOME": str(home), **extra}


@pytest.mark.parametrize(("term", "extra"), TERMINALS)
def test_pane_gets_exactly_the_asked_environment(tmp_path, term, extra):
    # The probe lives a moment after it prints: a program that exits at once can leave tmux, on a
    # loaded machine, with its status but not yet its output.
    probe = ('echo "TERM=$TERM NO_COLOR=${NO_COLOR-unset} TMUX=${TMUX-unset} HOME=$HOME"; '
             'echo "CFG=${CODEFRAME_CONFIG_HOME-unset}"; sleep 0.3; exit 3')
    with TmuxSession(["sh", "-c", probe], env=app_env(tmp_path, **extra), term=term, cwd=tmp_path) as t:
        # A program that has ended still leaves its pane, its output and its status to read.
        assert t.wait_exit(timeout=5) == 3
        screen = t.screen(history=True, join=True)
    no_color = extra.get("NO_COLOR", "unset")
    assert f"TERM={term} NO_COLOR={no_color} TMUX=unset HOME={tmp_path / 'home'}" in screen
    assert f"CFG={os.environ['CODEFRAME_CONFIG_HOME']}" in screen  # the test's own user config, not the person's


@pytest.mark.parametrize(("term", "extra"), TERMINALS)
def test_demo_opens_on_plan_review_and_q_quits(tmp_path, term, extra):
    if not APP.exists():
        pytest.skip(f"{APP} is not installed (pip install -e .)")
    demo = tmp_path / "demo"
    argv = [str(APP), "demo", "--dir", str(demo)]
    with TmuxSession(argv, env=app_env(tmp_path, **extra), term=term, cwd=tmp_path) as t:
        t.wait_for("PLAN REVIEW · OFFLINE DEMO", timeout=15)
        # The footer is drawn last: with it on screen the whole first frame is there.
        screen = t.wait_for(re.compile(r"\bq Quit\b"), timeout=5)
        assert "CodeFRAME — plan review" in screen
        assert t.modes()["alternate_on"]
        t.send("q")
        status = _quit(t)
        assert status == 0, t.screen(history=True)
        # The terminal is put back: main screen, no mouse reporting. (Not the cursor: tmux hides
        # a dead pane's cursor itself.)
        modes = t.modes()
        assert not modes["alternate_on"], modes
        assert not any(v for k, v in modes.items() if k.startswith("mouse_")), modes
        assert f"demo project: {demo}" in t.screen(history=True, join=True)
    assert (demo / ".codeframe").is_dir()


def _quit(t: TmuxSession, timeout: float = 10.0) -> int:
    """After `q`: answer "y" if the app asks to confirm; the exit status."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = t.exit_status()
        if status is not None:
            return status
        if "quit?" in t.screen():
            t.send("y")
        time.sleep(0.1)
    raise AssertionError(f"the app did not quit in {timeout} s; last screen:\n{t.screen()}")


# The remote side, as the app would run over SSH: the session leader (the app's place) traps
# SIGHUP and logs it; a background `sleep` with a unique duration stands for the app's children,
# and a subshell logs how it ended (129 = 128 + SIGHUP).
HUP_PROBE = """
log=$1
trap 'echo leader-got-HUP >> "$log"; exit 129' HUP
(trap 'echo sleeper-shell-got-HUP >> "$log"' HUP; sleep "$2"; echo "sleep-exit=$?" >> "$log") &
echo "hello-from-ssh $TERM"
wait
"""


def test_ssh_client_killed_sends_sighup_to_the_remote_program(sshd: LocalSshd, tmp_path):
    log = tmp_path / "hup.log"
    sleep_arg = f"30.{secrets.randbelow(10**6):06d}"  # the marker in the sleep's command line
    remote = remote_command(["sh", "-c", HUP_PROBE, "hup-probe", str(log), sleep_arg], cwd=tmp_path)
    argv = sshd.ssh_argv(remote)
    with TmuxSession(argv, env=app_env(tmp_path), term="xterm-256color", cwd=tmp_path) as t:
        # TERM went from the client's terminal through ssh's pty request to the remote program.
        t.wait_for("hello-from-ssh xterm-256color", timeout=15)
        sleepers = _wait_for_pids(["sleep", sleep_arg])
        ssh_pid = t.pid()
        assert Path(f"/proc/{ssh_pid}/comm").read_text().strip() == "ssh"
        os.kill(ssh_pid, signal.SIGKILL)
        assert t.wait_exit(timeout=5) == -signal.SIGKILL

        deadline = time.monotonic() + 5
        while any(pid_alive(p) for p in sleepers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(pid_alive(p) for p in sleepers), f"the remote sleep outlived the SSH drop\n{sshd.log()}"
        deadline = time.monotonic() + 5
        while "sleep-exit=" not in _read(log) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert _read(log).split() == ["leader-got-HUP", "sleeper-shell-got-HUP", "sleep-exit=129"], sshd.log()


def _wait_for_pids(cmdline: list[str], timeout: float = 5.0) -> list[int]:
    want = "\0".join(cmdline).encode() + b"\0"
    deadline = time.monotonic() + timeout
    while True:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if (entry / "cmdline").read_bytes() == want:
                        found.append(int(entry.name))
                except OSError:
                    pass
        if found or time.monotonic() > deadline:
            assert found, f"no process {cmdline}"
            return found
        time.sleep(0.05)


def _read(path: Path) -> str:
    return path.read_text() if path.exists() else ""
