"""Logging to a file under the project's .codeframe/ folder; never to the terminal the TUI owns."""

from __future__ import annotations

import logging
from pathlib import Path

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(log_path: Path, level: int = logging.INFO) -> None:
    """Send every record to `log_path`. Replaces earlier handlers so nothing reaches stderr."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level)
    # The SDK and HTTP client log request lines at INFO; keep the file about our work.
    for noisy in ("httpx", "httpx2", "anthropic", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
