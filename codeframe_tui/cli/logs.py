"""Logging to a file under the project's .codeframe/ folder; never to the terminal the TUI owns."""

from __future__ import annotations

import logging
from pathlib import Path

from codeframe_tui.domain.safe_text import redact

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_HANDLER_NAME = "codeframe-file"


def configure_logging(log_path: Path, level: int = logging.INFO) -> None:
    """Send every record to `log_path`, replacing a log file set up earlier in this process.

    With a handler on the root logger, Python's last-resort handler never writes to stderr,
    which the TUI owns. Handlers that others installed (pytest's, say) are left alone.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_path, encoding="utf-8")
    handler.setFormatter(_RedactingFormatter(_FORMAT))
    handler.set_name(_HANDLER_NAME)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level)
    # The SDK and HTTP client log request lines at INFO; keep the file about our work.
    for noisy in ("httpx", "httpx2", "anthropic", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class _RedactingFormatter(logging.Formatter):
    """Masks the API key in every line, tracebacks included: an error may quote what a server sent."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
