"""Any checklist or tasks.md text: the import reads it with warnings at real lines, or refuses it by name.

Lines are drawn from the pieces real files are made of (headings, phases, checkboxes with every kind of
mark, ids, tags, emoji, bullets, fences, comments, control characters), in any order.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codeframe_tui.plan import PlanImportError, import_plan
from codeframe_tui.plan.model import PlanRefused

MARKS = st.sampled_from(["[ ]", "[x]", "[X]", "[~]", "[]", "[-]", "[SKIP]", "[✓]", "[ x]", "[P]"])
IDS = st.sampled_from(["T001", "T002", "T010", "TXXX", "T###", "T1", "", "do T003", "T0 4", "T001:"])
TAGS = st.lists(st.sampled_from(["[P]", "[US1]", "[P1]", "[SKIP]", "✅", "⚠️", "[]", "["]), max_size=3).map(" ".join)
WORDS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
INDENT = st.sampled_from(["", "  ", "    ", "\t"])
BULLET = st.sampled_from(["-", "*", "+", "1.", "2)"])

LINE = st.one_of(
    st.builds(lambda n, t: "#" * n + " " + t, st.integers(1, 4), WORDS),
    st.builds(lambda k, t: f"## Phase {k}: {t}", st.sampled_from(["1", "2", "2", "A", "3.1", "x"]), WORDS),
    st.builds(lambda i, b, m, d, g, t: f"{i}{b} {m} {d} {g} {t}", INDENT, BULLET, MARKS, IDS, TAGS, WORDS),
    st.builds(lambda i, b, t: f"{i}{b} {t}", INDENT, BULLET, WORDS),
    st.builds(lambda i, t: f"{i}{t}", INDENT, WORDS),
    st.sampled_from(["", "```", "~~~", "<!--", "-->", "**Manual Testing Checklist**:", "\x1b[31m- [ ] T009 red"]),
)


def _check(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    lines = text.count("\n") + 1
    try:
        plan = import_plan(path)
    except PlanImportError as refused:  # refused as a whole, by name: never a traceback
        assert str(refused).startswith(str(path))
        for warning in getattr(refused, "warnings", ()):
            assert warning.line is None or 1 <= warning.line <= lines
        return
    for warning in plan.warnings:
        assert warning.line is None or 1 <= warning.line <= lines, (warning, text)
        assert warning.message(path).startswith(str(path))
    keys = [t.key for t in plan.tasks]
    assert len(keys) == len(set(keys))
    try:
        strict = import_plan(path, strict=True)
    except PlanRefused as refused:
        assert plan.warnings and len(refused.warnings) == len(plan.warnings)
    else:
        assert not plan.warnings and strict.tasks == plan.tasks


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINE, max_size=40))
def test_any_tasks_md_imports_with_warnings_at_real_lines_or_is_refused_by_name(lines):
    with tempfile.TemporaryDirectory() as tmp:
        _check(Path(tmp) / "tasks.md", "\n".join(lines) + "\n")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINE, max_size=40))
def test_any_checklist_imports_with_warnings_at_real_lines_or_is_refused_by_name(lines):
    with tempfile.TemporaryDirectory() as tmp:
        _check(Path(tmp) / "todo.md", "\n".join(lines) + "\n")
