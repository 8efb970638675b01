"""Drive a program in a real terminal: one pane of a private, throwaway tmux server.

    with TmuxSession([app, "demo", "--dir", str(d)], env=env, cwd=tmp, term="vt100") as t:
        t.wait_for("PLAN REVIEW")
        t.send("q")
        assert t.wait_exit() == 0

How it is set up, and why:

- Every session has its own server (`tmux -L <unique name> -f /dev/null`): no test ever talks to the
  user's tmux server or reads a tmux config, and tests can run in parallel.
- The pane command is `env -i NAME=VALUE... TERM=<term> <argv>`. tmux always sets TERM in a pane to
  its `default-terminal` (and `new-session -e TERM=...` does not override that), and it adds TMUX,
  TMUX_PANE and TERM_PROGRAM=tmux; `env -i` gives the program exactly the environment the test asked
  for, TERM included. `env` execs the program, so the pane's pid *is* the program's pid.
- `remain-on-exit on` is set in the same command list as, and before, `new-session`: it is in force
  before the program starts, so even a program that exits at once leaves its pane (and its final
  screen, and its exit status in `#{pane_dead_status}`) to read.
- `status off`: the pane is the whole window, exactly width x height (no status line).

Pitfall handled in `exit_status`: Debian's tmux is built with libutempter, whose helper briefly takes
over SIGCHLD while tmux tears down the pty of a pane that hit EOF. The program's exit usually lands
in that window, so tmux misses the SIGCHLD: the pane shows dead but the child stays an unreaped
zombie with no status (tmux issue #311). Sending the server a SIGCHLD makes it reap it.
Also: when the pane dies tmux writes "Pane is dead (status N, <date>)" on the bottom line, which
scrolls the screen up one line. A full-screen app has left the alternate screen by then anyway.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

_DEAD_MESSAGE = re.compile(r"Pane is dead \((?:status (?P<status>\d+)|signal (?P<signal>\d+))")
_INFO = "#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}|#{pane_pid}"
# Terminal modes the program has set, as tmux's emulator tracks them (tmux 3.3 names).
MODE_FLAGS = ("alternate_on", "cursor_flag", "mouse_any_flag", "mouse_all_flag", "mouse_button_flag",
              "mouse_standard_flag", "mouse_sgr_flag", "keypad_flag", "keypad_cursor_flag")


def tmux_binary() -> str:
    """The tmux executable; skips the test when there is none."""
    found = shutil.which("tmux") or ("/usr/bin/tmux" if os.access("/usr/bin/tmux", os.X_OK) else None)
    if found is None:
        pytest.skip("tmux is not installed: apt-get install tmux")
    return found


def proc_state(pid: int) -> str | None:
    """The process's state letter from /proc (R, S, Z, ...), or None when there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name is in parentheses and may hold spaces: the state follows the last ')'.
    return stat[stat.rindex(")") + 2]


def pid_alive(pid: int) -> bool:
    state = proc_state(pid)
    return state is not None and state not in ("Z", "X")


def session_members(sid: int) -> list[int]:
    """Live processes whose session id is `sid` (a pane's program leads its own session)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        # After the name: state, ppid, pgrp, session, ...
        if fields[0] not in ("Z", "X") and int(fields[3]) == sid:
            found.append(int(entry.name))
    return found


class TmuxSession:
    """One program in one 80x24 (by default) tmux pane, on a tmux server of its own."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        term: str | None = None,
        width: int = 80,
        height: int = 24,
    ) -> None:
        self.tmux = tmux_binary()
        self.env_binary = shutil.which("env") or "/usr/bin/env"
        self.argv = [str(a) for a in argv]
        self.env = dict(os.environ if env is None else env)
        # TERM: the `term` argument, else the env's own TERM, else xterm-256color.
        self.term = term or self.env.get("TERM") or "xterm-256color"
        self.env["TERM"] = self.term
        self.cwd = str(cwd if cwd is not None else Path.cwd())
        self.width, self.height = width, height
        self.socket_name = f"cft-{os.getpid()}-{secrets.token_hex(4)}"
        self.session_name = "app"
        self.pane_id = ""
        self.server_pid: int | None = None
        self._pane_pid: int | None = None
        self._socket_path = ""
        # tmux commands themselves run in this environment: never the caller's TMUX (-L picks the
        # server anyway), and the same TMUX_TMPDIR for every call so -L finds the same socket.
        self._control_env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> TmuxSession:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.kill_server()

    def start(self) -> None:
        pane_command = [self.env_binary, "-i", *(f"{k}={v}" for k, v in self.env.items() if "=" not in k),
                        *self.argv]
        try:
            out = self._start(pane_command)
        except BaseException:
            self._tmux("kill-server", check=False)
            raise
        pane_id, pane_pid, server_pid, socket_path = out.split(maxsplit=3)
        self.pane_id, self._pane_pid, self.server_pid = pane_id, int(pane_pid), int(server_pid)
        self._socket_path = socket_path.strip()

    def _start(self, pane_command: list[str]) -> str:
        # One command list: the options are in force before the program starts.
        return self._tmux(
            "set-option", "-g", "remain-on-exit", "on", ";",
            "set-option", "-g", "status", "off", ";",
            "new-session", "-d", "-P", "-F", "#{pane_id} #{pane_pid} #{pid} #{socket_path}",
            "-x", str(self.width), "-y", str(self.height), "-s", self.session_name, "-c", self.cwd,
            "--", *pane_command,
        )

    def kill_server(self) -> None:
        """End the server, then make sure nothing started in the pane survives it."""
        if self.server_pid is None:
            return
        pane_pid, server_pid = self._pane_pid, self.server_pid
        self.server_pid = None
        # Closing the pane's pty sends SIGHUP to the program (it leads the pane's session).
        self._tmux("kill-server", check=False)
        _wait_until(lambda: not pid_alive(server_pid), 3.0)
        if pid_alive(server_pid):
            _kill(server_pid, signal.SIGKILL)
        if pane_pid is not None:
            # Give the program a moment to act on the SIGHUP, then kill whatever is left of its
            # session: the program, and any child it did not take down with it.
            _wait_until(lambda: not session_members(pane_pid), 5.0)
            for pid in session_members(pane_pid):
                _kill(pid, signal.SIGKILL)
            _wait_until(lambda: not session_members(pane_pid), 3.0)
        if self._socket_path:
            Path(self._socket_path).unlink(missing_ok=True)

    # -- the pane ----------------------------------------------------------------------------

    def send(self, *keys: str) -> None:
        """Keys in tmux's names: "j", "Enter", "Escape", "C-c", "Up", "Space", "BSpace"..."""
        self._tmux("send-keys", "-t", self.pane_id, "--", *keys)

    def send_text(self, text: str) -> None:
        """Type `text` literally (no key names)."""
        self._tmux("send-keys", "-t", self.pane_id, "-l", "--", text)

    def resize(self, width: int, height: int) -> None:
        self._tmux("resize-window", "-t", self.session_name, "-x", str(width), "-y", str(height))
        self.width, self.height = width, height

    def screen(self, *, history: bool = False, join: bool = False) -> str:
        """The pane's text as shown (no escape sequences); with history, scrolled-off lines too;
        with join, a line the terminal wrapped is one line again."""
        args = ["capture-pane", "-p", "-t", self.pane_id]
        if history:
            args += ["-S", "-"]
        if join:
            args.append("-J")
        return self._tmux(*args)

    def wait_for(self, pattern: str | re.Pattern[str], timeout: float = 10.0) -> str:
        """Poll the screen every 0.1 s until it shows `pattern` (a substring or a regex); return it.

        Once the program has ended, the scrollback counts too; if `pattern` is not there either,
        fail at once rather than at the timeout.
        """
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if _matches(pattern, screen):
                return screen
            if not self.alive():
                # Its last output may have scrolled up, by tmux's "Pane is dead" line if nothing else.
                screen = self.screen(history=True)
                if _matches(pattern, screen):
                    return screen
                raise AssertionError(
                    f"the program ended ({self._describe_exit()}) without showing {_show(pattern)}; "
                    f"last screen:\n{screen}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {_show(pattern)} on screen after {timeout} s; last screen:\n{screen}")
            time.sleep(0.1)

    def wait_gone(self, pattern: str | re.Pattern[str], timeout: float = 10.0) -> str:
        """Poll the screen every 0.1 s until it no longer shows `pattern`; return that screen."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if not _matches(pattern, screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{_show(pattern)} still on screen after {timeout} s; last screen:\n{screen}")
            time.sleep(0.1)

    def modes(self) -> dict[str, bool]:
        """The pane's terminal modes: alternate screen on, cursor shown, mouse reporting, keypad...

        After a full-screen program ends they tell whether it put the terminal back: alternate_on
        and every mouse_* False. Not cursor_flag: tmux hides the cursor of a dead pane itself.
        """
        out = self._tmux("display-message", "-p", "-t", self.pane_id, "|".join(f"#{{{f}}}" for f in MODE_FLAGS))
        return {flag: value == "1" for flag, value in zip(MODE_FLAGS, out.strip().split("|"), strict=True)}

    # -- the program -------------------------------------------------------------------------

    def pid(self) -> int:
        """The pid of the program in the pane (it stays the same after it ends, until the server does)."""
        if self.server_pid is not None:
            out = self._tmux("display-message", "-p", "-t", self.pane_id, "#{pane_pid}", check=False).strip()
            if out.isdigit():
                self._pane_pid = int(out)
        if self._pane_pid is None:
            raise RuntimeError("the session has not started")
        return self._pane_pid

    def alive(self) -> bool:
        """The program runs (not ended, not a zombie); a child it left behind does not count."""
        dead, *_ = self._pane_info()
        return dead != "1" and self._pane_pid is not None and pid_alive(self._pane_pid)

    def exit_status(self) -> int | None:
        """None while the program runs; then its exit status, or -N if signal N ended it (as subprocess)."""
        dead, status, sig, _ = self._pane_info()
        # tmux marks the pane dead at EOF on its pty, which a child that outlives the program
        # can hold open: the program's own end is told by its pid.
        if dead != "1" and self._pane_pid is not None and pid_alive(self._pane_pid):
            return None
        if status:
            return int(status)
        if sig:  # tmux >= 3.4 has #{pane_dead_signal}
            return -int(sig)
        # tmux 3.3 tells a signal only in the pane's message; and the status may not be in yet.
        found = _DEAD_MESSAGE.search(self.screen())
        if found:
            return int(found["status"]) if found["status"] else -int(found["signal"])
        # Dead but not reaped: tmux missed the SIGCHLD (see the module's docstring). Nudge it.
        if self.server_pid is not None:
            _kill(self.server_pid, signal.SIGCHLD)
        return None

    def wait_exit(self, timeout: float = 10.0) -> int:
        """Wait for the program to end; its exit status (-N for signal N)."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.exit_status()
            if status is not None:
                return status
            if time.monotonic() > deadline:
                raise AssertionError(f"the program still runs after {timeout} s; last screen:\n{self.screen()}")
            time.sleep(0.1)

    # -- internals ---------------------------------------------------------------------------

    def _pane_info(self) -> tuple[str, str, str, str]:
        if self.server_pid is None:
            return ("1", "", "", "")
        out = self._tmux("display-message", "-p", "-t", self.pane_id, _INFO)
        dead, status, sig, pid = out.strip().split("|")
        return dead, status, sig, pid

    def _describe_exit(self) -> str:
        status = self.exit_status()
        if status is None:
            return "exit status not known yet"
        return f"killed by signal {-status}" if status < 0 else f"status {status}"

    def _tmux(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            [self.tmux, "-u", "-L", self.socket_name, "-f", "/dev/null", *args],
            env=self._control_env, capture_output=True, text=True, timeout=15,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args[:1])} failed ({done.returncode}): {done.stderr.strip()}")
        return done.stdout


def _matches(pattern: str | re.Pattern[str], screen: str) -> bool:
    return pattern.search(screen) is not None if isinstance(pattern, re.Pattern) else pattern in screen


def _show(pattern: str | re.Pattern[str]) -> str:
    return f"/{pattern.pattern}/" if isinstance(pattern, re.Pattern) else repr(pattern)


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
