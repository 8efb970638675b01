"""A throwaway OpenSSH server on 127.0.0.1, for tests of the app over a real SSH connection.

The `sshd` fixture starts one as the current user (root or not), with everything in a tmp dir:
a fresh ed25519 host key and user key, an authorized_keys file, and a minimal sshd_config. It
yields a `LocalSshd`, whose `ssh_argv(...)` is the client command line for that server, and
`remote_command(...)` builds the command string to run on the far side.

Notes:
- sshd runs with `-D -e -f <config>`: no daemon, log to stderr (kept in `<tmp>/sshd.log`), no
  system config. It must be started by absolute path (it re-execs itself for each connection).
- As root, sshd needs its privilege separation directory /run/sshd (the Debian service makes it at
  boot; a container has none): it is made if missing. Unprivileged, sshd skips privilege
  separation and can log in only its own user, which is all the tests need; it uses PAM then
  (see `LocalSshd.__init__`), as root it does not.
- The remote command runs under the user's login shell with sshd's minimal environment (PATH is
  sshd's default, HOME is the real home, TERM is the ssh client's TERM), plus what the shell's rc
  files add (bash started by sshd reads ~/.bashrc): `remote_command` makes it
  `cd <cwd> && exec env NAME=VALUE... <argv>`, so use absolute paths in argv and set HOME.
- The ssh client gets `-F /dev/null` (no user or system config), no known_hosts, only our key,
  BatchMode (never a prompt), and `-e none`: with -tt a "~" typed after Enter is otherwise ssh's
  escape character and "~." would end the connection.
"""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from .tmux import pid_alive

SKIP_REASON = "OpenSSH sshd is not installed: apt-get install openssh-server (…/.ci/run does this)"


def sshd_binary() -> str | None:
    for candidate in (shutil.which("sshd"), "/usr/sbin/sshd", "/usr/local/sbin/sshd"):
        if candidate and os.access(candidate, os.X_OK):
            return str(Path(candidate).resolve())
    return None


def remote_command(argv: Sequence[str], env: Mapping[str, str] | None = None,
                   cwd: str | os.PathLike[str] | None = None, *, clear_env: bool = False) -> str:
    """The string for ssh's remote command: `cd CWD && exec env NAME=VALUE... ARGV`, each word quoted.

    The far side's environment is sshd's plus whatever the user's shell rc files add (bash run by
    sshd reads ~/.bashrc); with clear_env it is only `env`, and TERM (which ssh forwards from the
    client when it asks for a pty).
    """
    words = ["exec", "env"]
    if clear_env:
        words += ["-i", '"TERM=$TERM"']
    words += [shlex.quote(f"{k}={v}") for k, v in (env or {}).items()]
    words += [shlex.quote(str(a)) for a in argv]
    command = " ".join(words)
    return f"cd {shlex.quote(str(cwd))} && {command}" if cwd is not None else command


class LocalSshd:
    """sshd on 127.0.0.1:<free port>, all of its files under `workdir`. A context manager."""

    host = "127.0.0.1"

    def __init__(self, workdir: str | os.PathLike[str], sshd: str | None = None,
                 use_pam: bool | None = None) -> None:
        self.workdir = Path(workdir)
        # Without PAM, sshd itself refuses an account whose password it reads as locked, and an
        # unprivileged sshd reads most accounts so ("User nobody not allowed because account is
        # locked"); through PAM the same key login works. As root, no PAM: no motd scripts, no
        # loginuid or session bookkeeping for a test login.
        self.use_pam = os.geteuid() != 0 if use_pam is None else use_pam
        self.sshd = sshd or sshd_binary()
        if self.sshd is None:
            raise FileNotFoundError(SKIP_REASON)
        self.ssh = shutil.which("ssh") or "/usr/bin/ssh"
        self.keygen = shutil.which("ssh-keygen") or "/usr/bin/ssh-keygen"
        self.user = pwd.getpwuid(os.getuid()).pw_name
        self.host_key = self.workdir / "ssh_host_ed25519_key"
        self.key = self.workdir / "id_ed25519"
        self.authorized_keys = self.workdir / "authorized_keys"
        self.config = self.workdir / "sshd_config"
        self.pid_file = self.workdir / "sshd.pid"
        self.log_file = self.workdir / "sshd.log"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> LocalSshd:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- client side -------------------------------------------------------------------------

    def ssh_argv(self, remote_command: str, tty: bool = True) -> list[str]:
        """The ssh client's argv to run `remote_command` on this server (with a pty when tty)."""
        return [
            self.ssh, "-F", "/dev/null", "-tt" if tty else "-T", "-e", "none", "-a", "-x",
            "-p", str(self.port), "-i", str(self.key), "-l", self.user,
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "GlobalKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
            "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
            self.host, remote_command,
        ]

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    # -- server side -------------------------------------------------------------------------

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._keygen(self.host_key)
        self._keygen(self.key)
        self.authorized_keys.write_text(self.key.with_suffix(".pub").read_text())
        if os.geteuid() == 0:
            # Privilege separation: sshd chroots its pre-auth child here and refuses to start without it.
            Path("/run/sshd").mkdir(mode=0o755, parents=True, exist_ok=True)
        extra = self._extra_options()
        # A free port can be taken between our probe and sshd's bind: try a few.
        for _attempt in range(5):
            self.port = _free_port(self.host)
            self.config.write_text(self._config_text(extra))
            if self._launch():
                return
        raise RuntimeError(f"sshd did not start; its log:\n{self.log()}")

    def stop(self) -> None:
        """Stop the server, and every process it started (per-connection sshd, remote commands)."""
        if self.process is None:
            return
        process, self.process = self.process, None
        family = _descendants(process.pid)
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        family += [p for p in _descendants(process.pid) if p not in family]
        for pid in family:
            _kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 3
        while any(pid_alive(p) for p in family) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in family:
            if pid_alive(pid):
                _kill(pid, signal.SIGKILL)

    # -- internals ---------------------------------------------------------------------------

    def _keygen(self, path: Path) -> None:
        if not path.exists():
            subprocess.run([self.keygen, "-q", "-N", "", "-t", "ed25519", "-C", "codeframe-tui-tests",
                            "-f", str(path)], check=True, capture_output=True, timeout=30)

    def _config_text(self, extra: Sequence[str]) -> str:
        lines = [
            f"ListenAddress {self.host}",
            f"Port {self.port}",
            f"HostKey {self.host_key}",
            f"PidFile {self.pid_file}",
            f"AuthorizedKeysFile {self.authorized_keys}",
            "AuthenticationMethods publickey",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            f"UsePAM {'yes' if self.use_pam else 'no'}",
            # The tmp dir's modes are not sshd's business: it is ours, and throwaway.
            "StrictModes no",
            # Only meaningful when we are root; "prohibit-password" still allows our key.
            "PermitRootLogin prohibit-password",
            f"AllowUsers {self.user}",
            "PermitUserRC no",
            "PermitUserEnvironment no",
            "PrintMotd no",
            "PrintLastLog no",
            "X11Forwarding no",
            "AllowAgentForwarding no",
            "AllowTcpForwarding no",
            "PermitTunnel no",
            "UseDNS no",
            "LoginGraceTime 20",
            "LogLevel VERBOSE",
            *extra,
        ]
        return "\n".join(lines) + "\n"

    def _extra_options(self) -> list[str]:
        """Options only some OpenSSH versions know, kept when this sshd accepts them (`sshd -t`)."""
        # 9.8+ penalises a source address for connections that never authenticate, such as our
        # readiness probe; over many tests on 127.0.0.1 that would refuse the real connections.
        kept = []
        for option in ("PerSourcePenalties no",):
            self.port = 22
            self.config.write_text(self._config_text([option]))
            check = subprocess.run([self.sshd, "-t", "-f", str(self.config)], capture_output=True, timeout=30)
            if check.returncode == 0:
                kept.append(option)
        return kept

    def _launch(self) -> bool:
        """Start sshd; True once it answers with its SSH banner, False if it exits first."""
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [self.sshd, "-D", "-e", "-f", str(self.config)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                return False
            if _banner(self.host, self.port).startswith(b"SSH-"):
                return True
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"sshd did not answer on port {self.port} in 10 s; its log:\n{self.log()}")


@pytest.fixture
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSshd]:
    """A running `LocalSshd` for this test; skips when OpenSSH's sshd is not installed."""
    binary = sshd_binary()
    if binary is None or not (shutil.which("ssh") or os.access("/usr/bin/ssh", os.X_OK)):
        pytest.skip(SKIP_REASON)
    with LocalSshd(tmp_path_factory.mktemp("sshd"), binary) as server:
        yield server


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _banner(host: str, port: int) -> bytes:
    try:
        with socket.create_connection((host, port), timeout=1) as conn:
            conn.settimeout(1)
            return conn.recv(64)
    except OSError:
        return b""


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
