"""The config's sandbox: `sandbox = "auto" | "bwrap" | "none"`, or a [sandbox] table that widens it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codeframe_tui.runner.limits import Limits
from codeframe_tui.runner.sandbox import Confinement

if TYPE_CHECKING:
    from codeframe_tui.config import Settings

MODES = ("auto", "bwrap", "none")
_LISTS = {"read_paths": "sandbox_read", "write_paths": "sandbox_write"}
_LIMITS = {"processes": "sandbox_processes", "file_size_mb": "sandbox_file_size_mb", "memory_mb": "sandbox_memory_mb"}
KEYS = "mode, network, read_paths, write_paths, env, processes, file_size_mb, memory_mb"


class SandboxConfigError(ValueError):
    pass


def parse_sandbox(path: Path, value: Any) -> dict[str, Any]:
    """`sandbox = "bwrap"`, or [sandbox] mode = "auto", network = false, read_paths = ["~/.cache/pip"],
    write_paths = [...], env = {NAME = "value"}, processes = 4096, file_size_mb = 16384, memory_mb = 8192
    (0: no limit). Paths may start with ~ (the person's home)."""
    if isinstance(value, str):
        value = {"mode": value}
    if not isinstance(value, dict):
        raise SandboxConfigError(f'{path}: sandbox must be "auto", "bwrap" or "none", or a [sandbox] table')
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key == "mode":
            if item not in MODES:
                raise SandboxConfigError(f'{path}: sandbox mode must be "auto", "bwrap" or "none", got {item!r}')
            out["sandbox"] = item
        elif key == "network":
            if not isinstance(item, bool):
                raise SandboxConfigError(f"{path}: [sandbox] network must be true or false, got {item!r}")
            out["sandbox_network"] = item
        elif key in _LISTS:
            if not isinstance(item, list) or not all(isinstance(p, str) and p.strip() for p in item):
                raise SandboxConfigError(f'{path}: [sandbox] {key} must be a list of paths, like ["~/.cache/pip"]')
            out[_LISTS[key]] = tuple(str(Path(p).expanduser()) for p in item)
        elif key == "env":
            if not isinstance(item, dict) or not all(isinstance(v, str) for v in item.values()):
                raise SandboxConfigError(f'{path}: [sandbox] env must be a table of strings, like {{NAME = "value"}}')
            out["sandbox_env"] = dict(item)
        elif key in _LIMITS:
            if not isinstance(item, int) or isinstance(item, bool) or item < 0:
                raise SandboxConfigError(f"{path}: [sandbox] {key} must be a whole number, 0 for no limit, "
                                         f"got {item!r}")
            out[_LIMITS[key]] = item
        else:
            raise SandboxConfigError(f"{path}: [sandbox] key {key!r} must be one of {KEYS}")
    return out


def confinement(settings: Settings, root: Path) -> Confinement:
    """What a command working in `root` (a worktree, or the project in place) may touch: write there,
    read the project; the config's [sandbox] widens that, and bounds it."""
    project = settings.project
    in_place = (project / ".venv", project / "node_modules") if root == project else ()
    return Confinement(
        writable=(root,), readable=(project,) if root != project else (),
        read_only=(*in_place, *_linked_installations(project)),
        home_read=tuple(Path(p) for p in settings.sandbox_read),
        home_write=tuple(Path(p) for p in settings.sandbox_write),
        network=settings.sandbox_network, env=dict(settings.sandbox_env),
        limits=Limits(settings.sandbox_processes, settings.sandbox_file_size_mb, settings.sandbox_memory_mb),
    )


def _linked_installations(project: Path) -> tuple[Path, ...]:
    """Where the project's .venv or node_modules really are when they are links out of the project
    (to another disk, a shared install, a folder under /tmp or the home, which the sandbox hides):
    shown again, read-only, or nothing in them could run."""
    out: list[Path] = []
    for folder in (project, project / "frontend", project / "web"):
        for name in (".venv", "venv", "node_modules"):
            link = folder / name
            if link.is_symlink():
                target = Path(os.path.realpath(link))
                if target.is_dir() and not target.is_relative_to(project.resolve()) and target not in out:
                    out.append(target)
    return tuple(out)
