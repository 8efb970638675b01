"""The full output of a test run on disk: every line written, safe names, old logs pruned, windows read back."""

from __future__ import annotations

import sys
from pathlib import Path

from codeframe_tui.runner import TestCommand, logfile, logpage, run_tests
from codeframe_tui.runner.logfile import RunLog, new_log_path, task_log_dir, task_logs
from codeframe_tui.runner.logpage import LogPager

CHATTY = r"""
import sys
out = sys.stdout.buffer
for i in range(int(sys.argv[1])):
    out.write(b"line %06d \xff\xfe bytes\r\n" % i if i % 1000 == 7 else b"line %06d\n" % i)
out.write(b"3 passed in 0.01s\n")
"""


async def test_every_line_of_a_run_is_in_its_log_with_a_header_and_a_footer(tmp_path):
    (tmp_path / "chatty.py").write_text(CHATTY)
    seen: list[str] = []
    log = tmp_path / "logs" / "1" / "0001-agent.log"
    run = await run_tests(TestCommand((sys.executable, "chatty.py", "30000"), tmp_path), timeout=60,
                          on_line=seen.append, log_path=log)
    lines = log.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("$ ") and "chatty.py 30000" in lines[0]
    assert lines[1:-1] == seen  # what the caller got, line for line, undecodable bytes replaced alike
    assert len(seen) == 30001 and seen[0] == "line 000000" and seen[-1] == "3 passed in 0.01s"
    assert "\ufffd" in seen[7] and not seen[7].endswith("\r")
    assert lines[-1].startswith("→ passed: exit code 0 after ")
    assert run.output.count("\n") < 2000  # the TestRun keeps a tail only; the log keeps it all


async def test_a_run_that_cannot_start_still_leaves_its_log(tmp_path):
    log = tmp_path / "logs" / "x.log"
    run = await run_tests(TestCommand(("no-such-command-here",), tmp_path), timeout=10, log_path=log)
    text = log.read_text()
    assert run.exit_code == 127 and "command not found" in text and "exit code 127" in text


def test_a_log_that_cannot_be_written_does_not_stop_the_run(tmp_path):
    (tmp_path / "blocked").write_text("a file where the folder should be")
    log = RunLog(tmp_path / "blocked" / "1" / "0001-agent.log", "$ header")
    log.write("still counted")
    log.close("footer")
    assert log.lines == 1 and not (tmp_path / "blocked").is_dir()


def test_task_keys_become_safe_folder_names(tmp_path):
    logs = tmp_path / "logs"
    for key in ("..", ".", "../../etc", "a/b", "x\x1b[31m", "é 1.2", "", "1.2"):
        folder = task_log_dir(logs, key)
        assert folder.parent == logs and folder.name not in (".", "..") and "/" not in folder.name
    assert task_log_dir(logs, "1.2").name == "1.2"


def test_runs_are_numbered_and_old_logs_pruned(tmp_path, monkeypatch):
    monkeypatch.setattr(logfile, "KEEP_PER_TASK", 3)
    logs = tmp_path / "logs"
    made = []
    for purpose in ("agent", "verify", "merge", "agent", "agent"):
        path = new_log_path(logs, "2.1", purpose)
        RunLog(path).close()
        made.append(path.name)
    assert made == ["0001-agent.log", "0002-verify.log", "0003-merge.log", "0004-agent.log", "0005-agent.log"]
    assert [p.name for p in task_logs(logs, "2.1")] == made[-3:]
    assert task_logs(logs, "never-ran") == []


def _numbered(path: Path, count: int) -> list[str]:
    lines = [f"{n:05d} " + "x" * (n % 97) for n in range(count)]
    path.write_text("\n".join(lines) + "\n")
    return lines


def test_windows_forwards_and_backwards_give_the_same_lines(tmp_path, monkeypatch):
    monkeypatch.setattr(logpage, "CHUNK", 333)  # windows that cross many chunk edges
    lines = _numbered(tmp_path / "a.log", 2000)
    pager = LogPager(tmp_path / "a.log")
    assert [line.text for line in pager.lines_from(0, 5)] == lines[:5]
    assert [line.text for line in pager.last_lines(7)] == lines[-7:]
    # Page down through the whole file, then up again from the end: every line, in order, once.
    seen, offset = [], 0
    while page := pager.lines_from(offset, 41):
        seen += [line.text for line in page]
        offset = page[-1].end
    assert seen == lines
    back, offset = [], pager.size()
    while page := pager.lines_before(offset, 41):
        back = [line.text for line in page] + back
        offset = page[0].offset
    assert back == lines


def test_a_last_line_being_written_and_an_endless_line_are_shown(tmp_path, monkeypatch):
    path = tmp_path / "b.log"
    path.write_bytes(b"one\ntwo\nhalf a li")
    pager = LogPager(path)
    assert [line.text for line in pager.last_lines(2)] == ["two", "half a li"]
    assert [line.text for line in pager.lines_from(4, 10)] == ["two", "half a li"]
    monkeypatch.setattr(logpage, "MAX_LINE_BYTES", 100)
    path.write_bytes(b"start\n" + b"y" * 1000 + b"\nend\n")
    pieces = pager.lines_from(6, 100)
    assert pieces[-1].text == "end" and all(len(p.text) <= 100 for p in pieces) and len(pieces) > 5
    assert pager.last_lines(1)[0].text == "end"
    assert pager.lines_before(pieces[-1].offset, 1)[0].text.startswith("y")


class _Counting:
    """A path whose reads are counted: the pager must never read a big file whole."""

    def __init__(self, path: Path) -> None:
        self.path, self.read = path, 0

    def stat(self):
        return self.path.stat()

    def open(self, mode: str):
        outer, handle = self, self.path.open(mode)

        class Reader:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                handle.close()

            def seek(self, offset):
                handle.seek(offset)

            def read(self, size=-1):
                data = handle.read(size)
                outer.read += len(data)
                return data

        return Reader()


def test_a_window_of_a_big_log_reads_a_few_kilobytes(tmp_path):
    path = tmp_path / "big.log"
    with path.open("w") as f:
        for n in range(400_000):
            f.write(f"tests/test_big.py::test_{n:07d} PASSED\n")
    counting = _Counting(path)
    pager = LogPager(counting)  # type: ignore[arg-type]
    assert pager.last_lines(40)[-1].text.endswith("0399999 PASSED")
    assert pager.lines_from(path.stat().st_size // 2, 40)
    assert counting.read <= 3 * logpage.CHUNK and path.stat().st_size > 50 * counting.read
