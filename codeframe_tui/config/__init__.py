"""Settings, read once from the person's user config, `<project>/.codeframe/config.toml` and the
environment (layered per key: config/layers.py), then passed down."""

from __future__ import annotations

import os
import shlex
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from codeframe_tui.config.costs import BUDGET_KEYS, CostConfigError, parse_budget, parse_models, parse_pricing
from codeframe_tui.config.layers import Layer, OriginKey, env_origin, merge, user_config_file
from codeframe_tui.config.sandbox import SandboxConfigError, parse_sandbox
from codeframe_tui.domain.safe_text import hide_secret
from codeframe_tui.runner.limits import Limits

DEFAULT_MODEL = "claude-sonnet-5-5"
CONFIG_DIR = ".codeframe"
CONFIG_FILE = "config.toml"


class ConfigError(ValueError):
    """Bad configuration: the message names the file, the key and what is wrong."""


@dataclass(frozen=True)
class Settings:
    project: Path
    model: str = DEFAULT_MODEL
    # 0: the model's documented maximum output (thinking counts toward it); a figure caps it lower.
    max_tokens: int = 0
    model_timeout: float = 300.0
    sdk_max_retries: int = 2
    max_concurrent: int = 4
    max_retries: int = 1
    max_corrections: int = 3
    test_timeout: float = 300.0
    bash_timeout: float = 120.0  # seconds for one command of the agents' bash tool (sandbox on only)
    # Per part ("backend", "frontend", "test"): an explicit test command, else it is detected.
    test_commands: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    base_url: str | None = None
    # "review": a task whose tests pass waits for the person's accept; "auto": it is done at once.
    review: str = "review"
    # Seconds after which an unanswered blocker expires and its task fails; 0 means never.
    blocker_expiry: float = 0.0
    # How many questions (ask_human) one attempt at a task may ask before it must submit its work.
    max_questions: int = 3
    # A worker's tool calls per attempt (and again after each failed finish); the model is told when
    # the last ones are spent.
    max_tool_calls: int = 80
    # The repository map in a worker's first prompt, in tokens (about 4 characters each).
    repo_map_tokens: int = 4000
    # Attention when a blocker or review appears or the run ends: terminal bell, OSC 9 desktop
    # notification, Textual toast.
    # Each task works in its own git worktree (false: every task works in the project folder itself).
    worktrees: bool = True
    # Run in each new worktree (e.g. "pip install -e ."), and untracked files copied into it.
    worktree_setup: str = ""
    worktree_copy: tuple[str, ...] = ()
    # File name or path globs the model never sees, over the built-in ones (*.pem, id_*, .env...).
    secret_patterns: tuple[str, ...] = ()
    # New tasks wait while the worktrees take more than this many GiB.
    worktree_disk_limit_gb: float = 5.0
    notify_bell: bool = True
    notify_desktop: bool = True
    notify_toast: bool = True
    # A model per role (lead, backend, frontend, test); a role not named uses `model`.
    models: Mapping[str, str] = field(default_factory=dict)
    # Caps: reaching one asks the person (the task waits); 0 turns a cap off.
    budget_task_usd: float = 2.0
    budget_task_tokens: int = 2_000_000
    budget_task_minutes: float = 60.0
    budget_run_usd: float = 20.0
    # Model calls in one attempt at a task, a guard against loops: a tool loop makes one per turn.
    max_calls_per_attempt: int = 200
    # Where test commands run: "auto" (bubblewrap when it works here, else unconfined with a warning),
    # "bwrap" (refuse to run without it) or "none". The rest widens the sandbox (config/sandbox.py).
    sandbox: str = "auto"
    sandbox_network: bool = False
    sandbox_read: tuple[str, ...] = ()
    sandbox_write: tuple[str, ...] = ()
    sandbox_env: Mapping[str, str] = field(default_factory=dict)
    sandbox_processes: int = Limits.processes
    sandbox_file_size_mb: int = Limits.file_size_mb
    sandbox_memory_mb: int = Limits.memory_mb  # -1: three quarters of the machine's memory
    # [landing]: the merge queue's largest batch, and how many candidates it tests besides the one
    # at its head (speculatively, each built on the one below; 0 = one at a time).
    landing_batch: int = 4
    landing_parallel: int = 1
    # [import] same_file: open tasks that may run together on one file are ordered ("serialize") or
    # only named ("warn"); see plan.same_file.
    import_same_file: str = "serialize"
    # USD per million tokens (input, output, cache write, cache read), over the built-in table.
    pricing: Mapping[str, tuple[float, float, float, float]] = field(default_factory=dict)
    # Never written anywhere: repr=False keeps it out of logs and error messages.
    api_key: str | None = field(default=None, repr=False)
    offline: bool = False

    def model_for(self, role: str) -> str:
        return self.models.get(role, self.model)

    @property
    def state_dir(self) -> Path:
        return self.project / CONFIG_DIR

    @property
    def db_path(self) -> Path:
        return self.state_dir / "state.db"

    @property
    def log_path(self) -> Path:
        return self.state_dir / "codeframe.log"


_INT_KEYS = {"max_tokens": 0, "max_concurrent": 1, "max_retries": 0, "max_corrections": 0, "sdk_max_retries": 0,
             "max_questions": 0, "max_tool_calls": 1, "repo_map_tokens": 500}
_FLOAT_KEYS = {"model_timeout", "test_timeout", "bash_timeout", "worktree_disk_limit_gb"}
_STR_KEYS = {"model", "base_url", "worktree_setup"}
REVIEW_MODES = ("review", "auto")
_NOTIFY_KEYS = {"bell": "notify_bell", "desktop": "notify_desktop", "toast": "notify_toast"}
_LANDING_KEYS = {"batch": "landing_batch", "parallel": "landing_parallel"}
_LANDING_LEAST = {"batch": 1, "parallel": 0}
_COST_TABLES = {"models": parse_models, "budget": parse_budget, "pricing": parse_pricing}


@dataclass(frozen=True)
class Layered:
    """Settings with where each key came from (see config/layers.py), and the two files looked at."""

    settings: Settings
    origins: Mapping[OriginKey, str]
    user_file: Path | None
    project_file: Path


def load_settings(project: Path, env: Mapping[str, str] | None = None, *, user_file: Path | bool = True,
                  **overrides: Any) -> Settings:
    """Build Settings from defaults, the user file, the project's config.toml, the environment, then
    overrides. user_file: True finds the person's file (config/layers.py), False leaves it out."""
    return load_layered(project, env, user_file=user_file, **overrides).settings


def load_layered(project: Path, env: Mapping[str, str] | None = None, *, user_file: Path | bool = True,
                 **overrides: Any) -> Layered:
    env = os.environ if env is None else env
    project = project.resolve()
    path = project / CONFIG_DIR / CONFIG_FILE
    # The user file's place comes from the process environment, not `env`: callers pass env={} to
    # leave out CODEFRAME_MODEL and the like, not to forget the person's own defaults.
    user = user_config_file() if user_file is True else user_file or None
    layers: list[Layer] = []
    if user is not None and user.is_file() and user.resolve() != path:
        layers.append((str(user), _parse_file(user)))
    if path.is_file():
        layers.append((str(path), _parse_file(path)))
    for var, key in (("ANTHROPIC_BASE_URL", "base_url"), ("CODEFRAME_MODEL", "model")):
        if env.get(var):
            layers.append((env_origin(var), {key: env[var]}))
    values, origins = merge(layers, {k: v for k, v in overrides.items() if v is not None})
    api_key = env.get("ANTHROPIC_API_KEY") or None
    hide_secret(api_key)  # masked in every error, log line, test output and screen from here on
    if api_key:
        origins["api_key"] = env_origin("ANTHROPIC_API_KEY")
    return Layered(Settings(project=project, api_key=api_key, **values), origins, user, path)


MAX_CONFIG_BYTES = 1_000_000  # a config is a few hundred bytes; anything this big is a mistake


def _parse_file(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: {path.stat().st_size:,} bytes; a config over {MAX_CONFIG_BYTES:,} is refused")
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except RecursionError:  # tomllib recurses per nesting level: [[[[...]]]] would crash the app
        raise ConfigError(f"{path}: nested too deeply to be a config") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it: {exc.strerror or exc}") from exc
    known = {f.name for f in fields(Settings)} - {"project", "api_key", "offline", "test_commands",
                                                  *_NOTIFY_KEYS.values(), *BUDGET_KEYS.values(),
                                                  "sandbox_network", "sandbox_read", "sandbox_write", "sandbox_env",
                                                  "sandbox_processes", "sandbox_file_size_mb", "sandbox_memory_mb",
                                                  *_LANDING_KEYS.values(), "import_same_file"}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "tests":
            out["test_commands"] = _parse_tests(path, value)
        elif key == "notify":
            out.update(_parse_notify(path, value))
        elif key == "landing":
            out.update(_parse_landing(path, value))
        elif key == "import":
            out.update(_parse_import(path, value))
        elif key == "sandbox":
            try:
                out.update(parse_sandbox(path, value))
            except SandboxConfigError as exc:
                raise ConfigError(str(exc)) from exc
        elif key in _COST_TABLES:
            try:
                out.update(_COST_TABLES[key](path, value))
            except CostConfigError as exc:
                raise ConfigError(str(exc)) from exc
        elif key not in known:
            tables = {"tests", "notify", "landing", "import", "sandbox", *_COST_TABLES}
            raise ConfigError(f"{path}: unknown key {key!r} (known: {', '.join(sorted(known | tables))})")
        elif key == "review":
            if value not in REVIEW_MODES:
                raise ConfigError(f"{path}: review must be \"review\" or \"auto\", got {value!r}")
            out[key] = value
        elif key == "worktrees":
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: worktrees must be true or false, got {value!r}")
            out[key] = value
        elif key in ("worktree_copy", "secret_patterns"):
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                raise ConfigError(f"{path}: {key} must be a list of file names or patterns, like [\".env\"]")
            out[key] = tuple(value)
        elif key == "blocker_expiry":
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"{path}: blocker_expiry must be seconds >= 0 (0 = never), got {value!r}")
            out[key] = float(value)
        elif key in _INT_KEYS:
            if not isinstance(value, int) or isinstance(value, bool) or value < _INT_KEYS[key]:
                raise ConfigError(f"{path}: {key} must be an integer >= {_INT_KEYS[key]}, got {value!r}")
            out[key] = value
        elif key in _FLOAT_KEYS:
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                raise ConfigError(f"{path}: {key} must be a positive number of seconds, got {value!r}")
            out[key] = float(value)
        elif key in _STR_KEYS:
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{path}: {key} must be a non-empty string, got {value!r}")
            out[key] = value
    return out


def _parse_notify(path: Path, value: Any) -> dict[str, bool]:
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [notify] must be a table like bell = false")
    out: dict[str, bool] = {}
    for key, flag in value.items():
        if key not in _NOTIFY_KEYS:
            raise ConfigError(f"{path}: [notify] key {key!r} must be one of {', '.join(_NOTIFY_KEYS)}")
        if not isinstance(flag, bool):
            raise ConfigError(f"{path}: [notify] {key} must be true or false, got {flag!r}")
        out[_NOTIFY_KEYS[key]] = flag
    return out


def _parse_import(path: Path, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [import] must be a table like same_file = \"serialize\"")
    out: dict[str, str] = {}
    for key, mode in value.items():
        if key != "same_file":
            raise ConfigError(f"{path}: [import] key {key!r} must be same_file")
        if mode not in ("serialize", "warn"):
            raise ConfigError(f"{path}: [import] same_file must be \"serialize\" or \"warn\", got {mode!r}")
        out["import_same_file"] = mode
    return out


def _parse_landing(path: Path, value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [landing] must be a table like parallel = 1")
    out: dict[str, int] = {}
    for key, number in value.items():
        if key not in _LANDING_KEYS:
            raise ConfigError(f"{path}: [landing] key {key!r} must be one of {', '.join(_LANDING_KEYS)}")
        least = _LANDING_LEAST[key]
        if not isinstance(number, int) or isinstance(number, bool) or not least <= number <= 64:
            raise ConfigError(f"{path}: [landing] {key} must be an integer from {least} to 64, got {number!r}")
        out[_LANDING_KEYS[key]] = number
    return out


def _parse_tests(path: Path, value: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [tests] must be a table like backend = \"pytest -q\"")
    out: dict[str, tuple[str, ...]] = {}
    for part, cmd in value.items():
        if part not in ("backend", "frontend", "test"):
            raise ConfigError(f"{path}: [tests] key {part!r} must be backend, frontend or test")
        if isinstance(cmd, str):
            argv = tuple(shlex.split(cmd))
        elif isinstance(cmd, list) and all(isinstance(a, str) for a in cmd):
            argv = tuple(cmd)
        else:
            raise ConfigError(f"{path}: [tests] {part} must be a string or a list of strings")
        if not argv:
            raise ConfigError(f"{path}: [tests] {part} is empty")
        out[part] = argv
    return out


def with_overrides(settings: Settings, **changes: Any) -> Settings:
    return replace(settings, **changes)
