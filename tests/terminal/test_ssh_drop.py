"""Through a real SSH server: the client dies mid-run; the app stops cleanly on SIGHUP, and the run
resumes to the end with nothing lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from crash_harness import processes_under
from isolation import config_home_env

from .sshd import LocalSshd, remote_command
from .test_terminal_flow import status
from .test_terminal_smoke import APP, app_env
from .tmux import TmuxSession

pytestmark = pytest.mark.terminal


def test_killing_the_ssh_client_mid_run_loses_nothing_and_the_run_resumes(sshd: LocalSshd, tmp_path):
    if not APP.exists():
        pytest.skip(f"{APP} is not installed (pip install -e .)")
    demo = tmp_path / "demo"
    env = app_env(tmp_path)
    home = Path(env["HOME"])
    remote = remote_command([str(APP), "demo", "--dir", str(demo), "--approve-all", "--latency", "0.6"],
                            env={**config_home_env(), "PATH": env["PATH"], "HOME": env["HOME"]}, cwd=tmp_path)
    with TmuxSession(sshd.ssh_argv(remote), env=env, term="xterm-256color", cwd=tmp_path) as t:
        t.wait_for("OFFLINE DEMO", timeout=30)
        deadline = time.monotonic() + 60
        while True:  # mid-run: some work done, agents still at it
            state = status(demo, home)
            if state["counts"].get("done", 0) >= 1 and state["counts"].get("running", 0) >= 1:
                break
            assert time.monotonic() < deadline, t.screen()
            time.sleep(0.2)
        done_before = {task["task_id"] for task in state["tasks"] if task["status"] == "done"}
        assert state["run"]["state"] == "live"
        ssh_pid = t.pid()
        assert Path(f"/proc/{ssh_pid}/comm").read_text().strip() == "ssh"
        os.kill(ssh_pid, signal.SIGKILL)  # the connection drops, as when a laptop sleeps
        assert t.wait_exit(timeout=5) == -signal.SIGKILL

    # sshd hangs up the remote terminal: the app stops its agents and exits on SIGHUP.
    deadline = time.monotonic() + 30
    while processes_under(demo) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_under(demo) == [], f"left running after the SSH drop\n{sshd.log()}"
    left = status(demo, home)
    assert left["run"]["state"] == "stopped", left["run"]  # stopped cleanly, not killed
    assert "running" not in left["counts"]
    assert done_before <= {task["task_id"] for task in left["tasks"] if task["status"] == "done"}

    resumed = subprocess.run(
        [sys.executable, "-m", "codeframe_tui", "demo", "--dir", str(demo), "--headless", "--resume",
         "--latency", "0"],
        capture_output=True, text=True, timeout=180, env={**config_home_env(),
                                                          "PATH": "/usr/bin:/bin", "HOME": str(home)})
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    final = status(demo, home)
    assert final["counts"] == {"done": 8} and final["run"]["state"] == "finished"
