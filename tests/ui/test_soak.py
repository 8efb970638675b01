"""The soak test's short form: 40 tasks through the TUI on a faulty model, every promise checked.

`make soak` runs the full form (200 tasks, 10 at once, 5% faults) and prints its figures."""

from __future__ import annotations

from soak import run_soak


async def test_a_short_soak_loses_nothing_and_the_pane_matches_the_database(tmp_path):
    # A higher fault rate than the full soak's 5%, so that 40 tasks still meet most kinds of fault.
    report = await run_soak(tmp_path / "project", tasks=40, concurrency=10, fault_rate=0.15, seed=7, timeout=240)
    assert report.problems == [], "\n".join(report.lines())
    assert sum(report.statuses.values()) == 40
    assert sum(report.faults.values()) >= 4 and report.calls >= 40
    assert report.rss_mark and report.rss_end
