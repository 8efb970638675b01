"""The sandbox, through the runner: what a command the model wrote can do, with bwrap and without.

Each case runs twice: confined, it must fail to reach what it aims at, and with `none` it must
succeed, so that no case passes because the command itself was broken."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

import pytest
from isolation import config_home_env
from support import alive_with

from codeframe_tui.runner import run_command
from codeframe_tui.runner.sandbox import BwrapExecutor, Confinement, LocalExecutor, Sandboxed


def confined(kind: str, home: Path, project: Path, work: Path) -> Sandboxed:
    executor = BwrapExecutor(home=home) if kind == "bwrap" else LocalExecutor()
    return Sandboxed(executor, Confinement(writable=(work,), readable=(project,)))


async def run(kind: str, place, script: str, timeout: float = 30.0):
    home, project, work, _ = place
    return await run_command([sys.executable, "-c", script], work, timeout=timeout, env={"HOME": str(home)},
                             sandbox=confined(kind, home, project, work))


@pytest.mark.parametrize("kind", ["bwrap", "none"])
async def test_reading_the_persons_ssh_key(bwrap, place, kind):
    result = await run(kind, place, "import os; print(open(os.path.expanduser('~/.ssh/id_rsa')).read())")
    assert ("PRIVATE-KEY" in result.output_tail) == (kind == "none"), result.output_tail


@pytest.mark.parametrize("kind", ["bwrap", "none"])
async def test_writing_the_persons_bashrc(bwrap, place, kind):
    home = place[0]
    result = await run(kind, place, "import os; open(os.path.expanduser('~/.bashrc'), 'a').write('pwned\\n')")
    assert result.exit_code == 0  # confined, it writes into an empty home that vanishes with it
    assert ("pwned" in (home / ".bashrc").read_text()) == (kind == "none")


@pytest.mark.parametrize("kind", ["bwrap", "none"])
async def test_writing_etc(bwrap, place, kind):
    target = Path("/etc") / f"codeframe-sandbox-{uuid.uuid4().hex[:8]}"
    if kind == "none" and not os.access("/etc", os.W_OK):
        pytest.skip("/etc is not writable here even without a sandbox")
    try:
        await run(kind, place, f"open({str(target)!r}, 'w').write('pwned')")
        assert target.exists() == (kind == "none")
    finally:
        target.unlink(missing_ok=True)


@pytest.mark.parametrize("kind", ["bwrap", "none"])
async def test_writing_outside_the_worktree_through_a_symlink(bwrap, place, kind):
    outside = place[3]
    await run(kind, place, "open('out/escaped.txt', 'w').write('pwned')")
    assert (outside / "escaped.txt").exists() == (kind == "none")


@pytest.mark.parametrize("kind", ["bwrap", "none"])
async def test_reaching_a_listener_on_loopback(bwrap, place, kind):
    reached = []

    async def handle(reader, writer):
        reached.append(True)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        await run(kind, place, f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3).close()")
        await asyncio.sleep(0.1)
    finally:
        server.close()
        await server.wait_closed()
    assert bool(reached) == (kind == "none")


async def test_the_worktree_is_writable_and_the_venv_readable_but_not_writable(bwrap, place):
    home, project, work, _ = place
    script = ("import pathlib; pathlib.Path('made.txt').write_text('ok');"
              f"print(pathlib.Path({str(project / '.venv' / 'marker')!r}).read_text().strip());"
              f"pathlib.Path({str(project / '.venv' / 'new')!r}).write_text('x')")
    result = await run("bwrap", place, script)
    assert (work / "made.txt").read_text() == "ok"
    assert "venv" in result.output_tail and "Read-only file system" in result.output_tail
    assert not (project / ".venv" / "new").exists()


async def test_the_environment_is_cut_to_an_allow_list(bwrap, place, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "AKIA-SECRET")
    result = await run("bwrap", place, "import os; print(sorted(os.environ))")
    assert "AWS_SECRET_ACCESS_KEY" not in result.output_tail and "'PATH'" in result.output_tail


async def test_a_timeout_ends_everything_inside(bwrap, place, tmp_path):
    marker = f"codeframe-sandbox-sleeper-{uuid.uuid4().hex[:8]}"
    script = (f"import subprocess, time; subprocess.Popen(['sh', '-c', 'exec -a {marker} sleep 60']);"
              "time.sleep(60)")
    result = await run("bwrap", place, script, timeout=1.5)
    assert result.timed_out
    await asyncio.sleep(0.5)
    assert alive_with(marker) == []



async def test_a_toolchain_installed_in_the_home_stays_usable(bwrap, place):
    """A venv's python links into ~/.pyenv; node lives in ~/.nvm: the empty home keeps the program's
    own installation, read-only, and nothing else of the home."""
    home, project, work, _ = place
    tool = home / ".toolchain" / "versions" / "1.0" / "bin" / "hello"
    tool.parent.mkdir(parents=True)
    tool.write_text("#!/bin/sh\necho tool-ran; cat \"$HOME/.ssh/id_rsa\" 2>&1 | head -c 40\n")
    tool.chmod(0o755)
    result = await run_command([str(tool)], work, timeout=30, env={"HOME": str(home)},
                               sandbox=confined("bwrap", home, project, work))
    assert "tool-ran" in result.output_tail and "PRIVATE-KEY" not in result.output_tail


async def test_sandbox_bwrap_without_bwrap_is_refused_and_auto_warns(monkeypatch):
    from codeframe_tui.runner import sandbox

    monkeypatch.setattr(sandbox, "_probed", {})
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install bubblewrap"):
        await sandbox.choose("bwrap")
    choice = await sandbox.choose("auto")
    assert choice.executor.name == "none" and choice.warning.startswith("sandbox off: bubblewrap is not installed")
    assert (await sandbox.choose("none")).warning == ""


def test_the_config_takes_a_mode_or_a_table(tmp_path):
    from codeframe_tui.config import ConfigError, load_settings

    config = tmp_path / ".codeframe" / "config.toml"
    config.parent.mkdir()
    config.write_text('sandbox = "none"\n')
    assert load_settings(tmp_path).sandbox == "none"
    config.write_text('[sandbox]\nmode = "bwrap"\nnetwork = true\nread_paths = ["~/.cache/pip"]\n'
                      'env = {PIP_NO_INDEX = "1"}\n')
    settings = load_settings(tmp_path, env={"HOME": str(tmp_path)})
    assert (settings.sandbox, settings.sandbox_network, dict(settings.sandbox_env)) == ("bwrap", True,
                                                                                       {"PIP_NO_INDEX": "1"})
    assert settings.sandbox_read[0].endswith("/.cache/pip") and "~" not in settings.sandbox_read[0]
    for bad in ('sandbox = "docker"\n', "[sandbox]\nnetwork = 1\n", "[sandbox]\nwrite = []\n"):
        config.write_text(bad)
        with pytest.raises(ConfigError, match="sandbox"):
            load_settings(tmp_path)


def test_a_run_with_sandbox_bwrap_and_no_bwrap_exits_2_naming_the_package(tmp_path):
    import subprocess

    (tmp_path / ".codeframe").mkdir()
    (tmp_path / ".codeframe" / "config.toml").write_text('sandbox = "bwrap"\n')
    env = {**config_home_env(),
           "PATH": str(tmp_path / "nothing"), "HOME": str(tmp_path), "ANTHROPIC_API_KEY": "sk-test"}
    proc = subprocess.run([sys.executable, "-m", "codeframe_tui", "run", str(tmp_path), "--headless"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert 'sandbox = "bwrap"' in proc.stderr and "apt-get install bubblewrap" in proc.stderr


async def test_a_program_installed_under_tmp_stays_usable(bwrap, place, tmp_path):
    """A checkout under /tmp runs its own .venv's python: /tmp is private in the sandbox, so the
    program's folder is kept, read-only."""
    home, project, work, _ = place
    tool = tmp_path / "checkout" / ".venv" / "bin" / "tool"
    tool.parent.mkdir(parents=True)
    tool.write_text("#!/bin/sh\necho ran-from-tmp\n")
    tool.chmod(0o755)
    assert str(tool).startswith("/tmp/")
    result = await run_command([str(tool)], work, timeout=30, env={"HOME": str(home)},
                               sandbox=confined("bwrap", home, project, work))
    assert "ran-from-tmp" in result.output_tail, result.output_tail


async def test_in_place_the_project_is_writable_but_its_venv_and_node_modules_are_not(bwrap, place, tmp_path):
    """With worktrees = false the command works in the project itself: it writes there, but the
    project's own environment stays as the person installed it."""
    from codeframe_tui.config import load_settings
    from codeframe_tui.config.sandbox import confinement

    home, project, _, _ = place
    (project / "node_modules").mkdir()
    settings = load_settings(project)
    boxed = Sandboxed(BwrapExecutor(home=home), confinement(settings, project))
    script = ("import pathlib\n"
              "pathlib.Path('made.txt').write_text('ok')\n"
              "for folder in ('.venv', 'node_modules'):\n"
              "    try: pathlib.Path(folder, 'new').write_text('x')\n"
              "    except OSError as exc: print(folder, exc)\n")
    result = await run_command([sys.executable, "-c", script], project, timeout=30, env={"HOME": str(home)},
                               sandbox=boxed)
    assert (project / "made.txt").read_text() == "ok"
    assert result.output_tail.count("Read-only file system") == 2, result.output_tail
    assert not (project / ".venv" / "new").exists() and not (project / "node_modules" / "new").exists()



async def test_node_modules_linked_to_a_folder_the_sandbox_hides_stays_usable_from_a_worktree(bwrap, place, tmp_path):
    """A project's node_modules may be a link out of the project (a shared install; under /tmp here,
    which the sandbox makes private): a worktree's tools, reached through its own link to the
    project's, must still run."""
    from codeframe_tui.config import load_settings
    from codeframe_tui.config.sandbox import confinement

    home, project, work, _ = place
    shared = tmp_path / "shared-install" / "node_modules"
    (shared / ".bin").mkdir(parents=True)
    (shared / ".bin" / "lint-tool").write_text("#!/bin/sh\necho linted-from-the-shared-install\n")
    (shared / ".bin" / "lint-tool").chmod(0o755)
    assert str(shared).startswith("/tmp/")
    (project / "node_modules").symlink_to(shared, target_is_directory=True)
    (work / "node_modules").symlink_to(project / "node_modules", target_is_directory=True)
    boxed = Sandboxed(BwrapExecutor(home=home), confinement(load_settings(project), work))
    path = f"{work / 'node_modules' / '.bin'}:/usr/bin:/bin"
    result = await run_command(["sh", "-c", "lint-tool"], work, timeout=30, env={"HOME": str(home), "PATH": path},
                               sandbox=boxed)
    assert "linted-from-the-shared-install" in result.output_tail, result.output_tail
