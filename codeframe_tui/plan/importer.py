"""Entry point of `codeframe-tui import`: picks the format, reads, checks the whole graph, writes nothing."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

from codeframe_tui.domain.graph import PlanError, validate_dependencies
from codeframe_tui.plan.checklist import parse_checklist
from codeframe_tui.plan.model import ImportedPlan, PlanImportError
from codeframe_tui.plan.speckit import looks_like_speckit, parse_speckit
from codeframe_tui.plan.taskmaster import parse_taskmaster

log = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024
# Where a folder keeps its plan: spec-kit's feature folder, then Task Master's current and old places.
_FOLDER_CANDIDATES = ("tasks.md", "tasks.json", ".taskmaster/tasks/tasks.json", "tasks/tasks.json")
_MARKDOWN = (".md", ".markdown")


def _pick_file(folder: Path) -> Path:
    found = [folder / name for name in _FOLDER_CANDIDATES if (folder / name).is_file()]
    if not found:
        raise PlanImportError(folder, "no plan here: expected " + ", ".join(_FOLDER_CANDIDATES))
    markdown = [p for p in found if p.suffix == ".md"]
    json_files = [p for p in found if p.suffix == ".json"]
    if markdown and json_files:
        # Guessing would import the wrong plan silently; the person names the one they mean.
        names = " and ".join(str(p.relative_to(folder)) for p in (markdown[0], json_files[0]))
        raise PlanImportError(folder, f"both {names} are here; import one of them by name")
    return found[0]


def _read_text(path: Path) -> str:
    try:
        info = path.stat()
    except OSError as exc:
        raise PlanImportError(path, f"cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        # A fifo would block the read forever and a device (/dev/zero) never ends.
        raise PlanImportError(path, "not a regular file")
    if info.st_size > MAX_BYTES:
        raise PlanImportError(path, f"file is {info.st_size / 1024 / 1024:.1f} MB; "
                                    f"the limit is {MAX_BYTES // 1024 // 1024} MB")
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)  # the file may grow after stat()
    except OSError as exc:
        raise PlanImportError(path, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise PlanImportError(path, f"file is over the limit of {MAX_BYTES // 1024 // 1024} MB")
    nul = data.find(b"\0")
    if nul >= 0:
        raise PlanImportError(path, f"a binary file, not a plan (a NUL byte at byte {nul})",
                              line=data.count(b"\n", 0, nul) + 1)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PlanImportError(path, f"not UTF-8 text (byte {exc.start})", line=line) from None


def _parse(path: Path, tag: str | None) -> ImportedPlan:
    suffix = path.suffix.lower()
    if suffix == ".json":
        return parse_taskmaster(path, _read_text(path), tag)
    if suffix in _MARKDOWN:
        if tag is not None:
            raise PlanImportError(path, "a tag only applies to a Task Master tasks.json")
        text = _read_text(path)
        if looks_like_speckit(text, path.name):
            return parse_speckit(path, text)
        return parse_checklist(path, text)
    raise PlanImportError(path, "unknown plan format: expected a spec-kit tasks.md, a Task Master tasks.json"
                                " or a markdown checklist (.md)")


def import_plan(path: Path, *, tag: str | None = None) -> ImportedPlan:
    """Read a plan file or folder into an ImportedPlan, or raise PlanImportError; nothing is written.

    A folder means its tasks.md or tasks.json (or .taskmaster/tasks/tasks.json). `.json` is Task
    Master (`tag` picks the tag); a `.md` with T-id tasks under "## Phase" headings (or named
    tasks.md) is spec-kit; any other `.md` is a checklist. The whole dependency graph is checked:
    unknown ids, self-dependencies and cycles (named by the ids on the cycle) are errors.
    """
    path = Path(path)
    if not path.exists():
        raise PlanImportError(path, "no such file or folder")
    if path.is_dir():
        path = _pick_file(path)
    plan = _parse(path, tag)
    try:
        validate_dependencies({t.key: t.depends_on for t in plan.tasks})
    except PlanError as exc:
        # The graph's message already names the ids ("dependency cycle: 1 -> 2 -> 1"), so it is not
        # prefixed again with "task X"; .task still points at the first id for callers.
        error = PlanImportError(path, str(exc))
        error.task = _first_id(str(exc))
        raise error from None
    log.info("read %d tasks from %s (%s)", len(plan.tasks), path, plan.format)
    return plan


def _first_id(message: str) -> str | None:
    words = message.replace("->", " ").replace(":", " ").split()
    if words and words[0] == "task" and len(words) > 1:
        return words[1]
    if words[:2] == ["dependency", "cycle"] and len(words) > 2:
        return words[2]
    return None
